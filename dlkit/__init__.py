"""dlkit: the helper package every lesson of the course imports.

Submodules, named after what a learner does with them:

- ``dlkit.checks``     what a lesson's check cells call
- ``dlkit.reference``  numpy reference implementations (PyTorch semantics)
- ``dlkit.gradcheck``  numerical gradients for checking a backward pass
- ``dlkit.data``       offline datasets and real downloaders
- ``dlkit.plot``       figures (each returns a matplotlib Figure)
- ``dlkit.widgets``    interactive explorers (ipywidgets), with static fallbacks
- ``dlkit.train``      device, seeding and a training loop
- ``dlkit.notebook``   the setup cell of every lesson and the Colab links
"""

__version__ = "0.1.0"

# -- where the course lives: the one setting a course that forks this repository changes -------------
#
# The Colab setup cell of every student notebook installs dlkit from REPOSITORY_URL at RELEASE_REF,
# and the "Open in Colab" badges point at the same repository and ref. `python -m autograder release`
# stamps both into lessons/ (the solutions keep the unpinned setup cell), so a student's notebook and
# the checks it runs come from the same release. A fork sets its own URL here and nothing else; then it
# tags each release it hands out with RELEASE_REF (`git tag v0.1.0 && git push --tags`), or sets
# RELEASE_REF to a commit hash, and runs `make release` again.

#: The course repository on GitHub (https, no trailing ``.git``).
REPOSITORY_URL = "https://github.com/dlkit-course/dlkit"

#: The git tag (or commit) that released student notebooks install dlkit from on Colab.
RELEASE_REF = f"v{__version__}"


def start(seed: int = 0, *, quiet: bool = False):
    """Seed every RNG and print the device; the setup cell of every lesson calls this.

    See :func:`dlkit.notebook.start`.
    """
    from dlkit.notebook import start as _start

    return _start(seed, quiet=quiet)

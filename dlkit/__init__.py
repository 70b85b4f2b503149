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

#: Where the course lives; the Colab setup cell installs dlkit from here.
REPOSITORY_URL = "https://github.com/dlkit-course/dlkit"


def start(seed: int = 0, *, quiet: bool = False):
    """Seed every RNG and print the device; the setup cell of every lesson calls this.

    See :func:`dlkit.notebook.start`.
    """
    from dlkit.notebook import start as _start

    return _start(seed, quiet=quiet)

"""nbgrader configuration of the course: instructor source in solutions/, student versions in lessons/.

nbgrader reads this file when run from this folder (``cd autograder && nbgrader ...``);
``python -m autograder`` copies it into the folder where it runs nbgrader
(``nbgrader_course.run_nbgrader``). Paths are absolute, so it works from anywhere.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "dlkit"
c.CourseDirectory.root = str(REPO)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
# The gradebook of releases is scratch: `python -m autograder release` passes a
# temporary one. Grading uses its own workspace (see `python -m autograder grade`).
c.CourseDirectory.db_url = f"sqlite:///{REPO / 'grading' / 'release-gradebook.db'}"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Notebooks are committed without outputs; nbgrader must not add any.
c.ClearOutput.enabled = True
# nbgrader's feedback shows the autograded notebook's source, hidden test lines
# included; strip them (GetGrades reads scores from the gradebook, not the source),
# and the lines of tracebacks that quote them (autograder/nbgrader_hidden.py).
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                    "nbgrader.preprocessors.ClearHiddenTests",
                                    "autograder.nbgrader_hidden.ClearHiddenTracebacks",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

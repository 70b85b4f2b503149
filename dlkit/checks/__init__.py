"""What a lesson's check cells call.

A check cell holds one line per check::

    checks.run("01.sigmoid", sigmoid)                  # visible cases
    ### BEGIN HIDDEN TESTS
    checks.run("01.sigmoid", sigmoid, hidden=True)     # cases drawn from the instructor's seed
    ### END HIDDEN TESTS

A failing check raises an AssertionError that says what was expected, what
came back and a hint; a passing one prints a one-line confirmation. The
exercises of lesson NN live in ``dlkit/checks/lessonNN.py``; they build their
visible and hidden cases with the shared builders of :mod:`dlkit.checks.cases`
(the same builder for both, so hidden checks test only kinds of input the
visible ones show).
"""

from .core import (
    Case,
    CheckFailed,
    Exercise,
    ForbiddenCall,
    Outcome,
    Verdict,
    accuracy_at_least,
    all_exercises,
    call_student,
    expected_output,
    get,
    judge,
    plural,
    predict,
    register,
    run,
    to_plain,
)

__all__ = [
    "Case", "CheckFailed", "Exercise", "ForbiddenCall", "Outcome", "Verdict", "accuracy_at_least", "all_exercises",
    "call_student", "expected_output", "get", "judge", "plural", "predict", "register", "run", "to_plain",
]

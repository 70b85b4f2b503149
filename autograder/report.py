"""The class report: ``python -m autograder report LESSON`` writes ``<workspace>/report-<lesson>.html``.

An instructor opens one self-contained page and sees where the class
struggled: the score distribution, the pass rate of every check (visible and
hidden), the most frequent failure messages, the time each submission took
(the slowest named), the flags raised, and the rejected submissions with their
reasons. Plots are matplotlib figures (Agg backend) embedded as base64 PNGs;
every value from a submission is HTML-escaped.

The numbers come from pure functions over result records
(:func:`summarize`, :func:`check_stats`, :func:`failure_counts`,
:func:`flag_counts`), so they are tested without drawing anything.

Example::

    >>> from autograder.results import SubmissionResult
    >>> summarize([SubmissionResult("a", "01-neurons", "graded", score=3, max_score=4)]).mean
    3.0
"""

from __future__ import annotations

import base64
import io
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import quote

from autograder import results as res
from autograder.feedback import Redactor, feedback_path, lesson_records, write_html
from autograder.templates import render_page

#: How many failure messages, flags and slow submissions the report lists.
TOP = 10


@dataclass(frozen=True)
class Summary:
    """Head counts and score statistics of one lesson's records (scores of graded submissions only)."""

    submissions: int
    graded: int
    rejected: int
    timed_out: int
    flagged: int
    max_score: float
    mean: float
    median: float
    full_marks: int


#: Fewer graded submissions than this and the item analysis draws no conclusions (notes, discrimination).
MIN_FOR_ANALYSIS = 5


@dataclass(frozen=True)
class CheckStats:
    """Item analysis of one check (grade id) over the graded submissions; rates are fractions in [0, 1].

    ``passed`` is the check's difficulty (share earning its points).
    ``discrimination`` is the corrected item-total correlation: the Pearson
    correlation between the check's points and each submission's points on
    the *other* checks (None when undefined: fewer than
    :data:`MIN_FOR_ANALYSIS` submissions, or no spread). A check that strong
    students fail as often as weak ones (near 0) or more often (negative)
    deserves a look. ``note`` says in words what stands out.
    """

    grade_id: str
    max_points: float
    graded: int
    passed: float
    visible_passed: float
    hidden_passed: float
    mean_points: float
    discrimination: float | None = None
    note: str = ""

    @property
    def visible_only(self) -> float:
        """Share passing every visible check yet losing the points (a hidden case failed)."""
        return max(0.0, self.visible_passed - self.passed)


def summarize(records: Sequence[res.SubmissionResult]) -> Summary:
    """Counts of submissions by outcome, and mean/median score of the graded ones."""
    graded = [r for r in records if r.graded]
    scores = [r.score for r in graded]
    max_score = max((r.max_score for r in graded), default=0.0)
    return Summary(
        submissions=len(records), graded=len(graded), rejected=sum(r.rejected for r in records),
        timed_out=sum(r.timed_out for r in records), flagged=sum(bool(r.flags) for r in records),
        max_score=max_score, mean=statistics.fmean(scores) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0,
        full_marks=sum(1 for r in graded if r.max_score and r.score >= r.max_score),
    )


def check_stats(records: Sequence[res.SubmissionResult]) -> list[CheckStats]:
    """Item analysis per check, in notebook order (graded records only).

    Pass rate, visible and hidden pass rates, mean points, the corrected
    item-total correlation and a note on what stands out (see :class:`CheckStats`).
    """
    graded = [r for r in records if r.graded]
    by_id: dict[str, list[res.CheckResult]] = {}
    for record in graded:
        for check in record.checks:
            by_id.setdefault(check.grade_id, []).append(check)
    stats = []
    for gid, checks in by_id.items():
        n = len(checks)
        passed = sum(c.passed for c in checks) / n
        visible = sum(c.visible_passed for c in checks) / n
        discrimination = _discrimination(graded, gid)
        stats.append(CheckStats(
            grade_id=gid, max_points=max(c.max_points for c in checks), graded=n, passed=passed,
            visible_passed=visible, hidden_passed=sum(c.hidden_passed for c in checks) / n,
            mean_points=statistics.fmean(c.points for c in checks), discrimination=discrimination,
            note=_item_note(n, passed, visible, discrimination),
        ))
    return stats


def _discrimination(graded: Sequence[res.SubmissionResult], grade_id: str) -> float | None:
    item, rest = [], []
    for record in graded:
        points = {c.grade_id: c.points for c in record.checks}
        if grade_id in points:
            item.append(points[grade_id])
            rest.append(sum(points.values()) - points[grade_id])
    if len(item) < MIN_FOR_ANALYSIS or len(set(item)) < 2 or len(set(rest)) < 2:
        return None
    return statistics.correlation(item, rest)


def _item_note(n: int, passed: float, visible: float, discrimination: float | None) -> str:
    if n < MIN_FOR_ANALYSIS:
        return ""
    notes = []
    if passed == 0:
        notes.append("no one earned it: try the exercise text and its check against a correct answer")
    if visible - passed >= 0.25:
        notes.append(f"{100 * (visible - passed):.0f}% pass the visible checks but fail hidden ones: "
                     "does the exercise state what the hidden cases test?")
    if discrimination is not None and discrimination < 0:
        notes.append("students who did well elsewhere fail it more often: does it test what the exercise asks?")
    elif discrimination is not None and discrimination < 0.2:
        notes.append("weakly related to the rest of the lesson (discrimination under 0.2)")
    return "; ".join(notes)


def reliability(records: Sequence[res.SubmissionResult]) -> float | None:
    """Cronbach's alpha of the lesson's checks over the graded submissions (KR-20 for all-or-nothing checks).

    How consistently the checks measure one thing: near 1 when students who
    pass one check tend to pass the others. None when undefined (fewer than
    :data:`MIN_FOR_ANALYSIS` graded submissions, fewer than two checks, or
    every total score the same).

    >>> from autograder.results import CheckResult, SubmissionResult
    >>> def r(*pts): return SubmissionResult("s", "l", "graded", checks=[
    ...     CheckResult(f"c{i}", [], p, 1, p == 1, p == 1, p == 1) for i, p in enumerate(pts)])
    >>> round(reliability([r(1, 1), r(1, 1), r(0, 0), r(0, 0), r(1, 0)]), 2)
    0.8
    """
    graded = [{c.grade_id: c.points for c in r.checks} for r in records if r.graded]
    ids = list(dict.fromkeys(gid for points in graded for gid in points))
    if len(graded) < MIN_FOR_ANALYSIS or len(ids) < 2:
        return None
    totals = [sum(points.values()) for points in graded]
    total_var = statistics.pvariance(totals)
    if total_var == 0:
        return None
    item_var = sum(statistics.pvariance([points.get(gid, 0.0) for points in graded]) for gid in ids)
    k = len(ids)
    return k / (k - 1) * (1 - item_var / total_var)


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ARRAY = re.compile(r"\[[#.,\s\[\]e+-]*\]")
_CALL = re.compile(r"`[^`]*`")
_HEADER = re.compile(r"^[\w.]+: (hidden )?checks? \d+ of \d+ failed\.\s*")
_CHECK_PREFIX = re.compile(r"^[\w.-]+-check: ")


def normalize_message(message: str) -> str:
    """A failure message reduced to what kind of failure it is, so similar failures group together.

    Hint lines, the quoted call with its inputs (a code span with parentheses)
    and the "check 2 of 4 failed." header go; numbers outside code spans become
    ``#``; other code spans (names) stay as they are; whitespace collapses.

    >>> normalize_message("sigmoid: check 4 of 4 failed.\\n  `sigmoid([-1000.])` [large inputs] overflow in exp\\n  Hint: x")
    '[large inputs] overflow in exp'
    >>> normalize_message("`f([1., 2.])` is wrong at index (1,): expected 0.5, got 0.7")
    'is wrong at index (#,): expected #, got #'
    >>> normalize_message("assign your answer to `layer2` (3 tries)")
    'assign your answer to `layer2` (# tries)'
    """
    lines = [line.strip() for line in message.strip().splitlines() if not line.strip().startswith("Hint:")]
    text = _HEADER.sub("", " ".join(lines).strip())
    pieces, pos = [], 0
    for span in _CALL.finditer(text):
        pieces.append(_mask(text[pos:span.start()]))
        pieces.append("" if "(" in span.group(0) else span.group(0))  # a quoted call carries inputs
        pos = span.end()
    pieces.append(_mask(text[pos:]))
    return " ".join("".join(pieces).split())


def _mask(text: str) -> str:
    return _ARRAY.sub("[…]", _NUMBER.sub("#", text))


def failure_counts(records: Sequence[res.SubmissionResult], top: int = TOP) -> list[tuple[str, str, int]]:
    """The most frequent failure messages: ``(grade_id, normalized message, count)``, most frequent first."""
    counts: Counter[tuple[str, str]] = Counter()
    for record in records:
        if record.graded:
            for check in record.checks:
                if not check.passed:
                    counts[(check.grade_id, normalize_message(check.message) or "(no message)")] += 1
    return [(gid, msg, n) for (gid, msg), n in counts.most_common(top)]


def flag_counts(records: Sequence[res.SubmissionResult], top: int = TOP) -> list[tuple[str, int]]:
    """Flags by text (without a leading ``<grade id>:``), most frequent first, counted once per submission."""
    counts: Counter[str] = Counter()
    for record in records:
        counts.update({flag.detail if isinstance(flag, res.Flag) else _CHECK_PREFIX.sub("", flag)  # older records
                       for flag in record.flags})
    return counts.most_common(top)


# -- plots -------------------------------------------------------------------------------

def _figure(width: float = 7.0, height: float = 3.4):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=100)


def _labelled_bars(ax, labels: Sequence[str], counts: Sequence[int], color: str) -> None:
    """Horizontal bars, most frequent on top, each with its (long) label written above it."""
    from matplotlib.ticker import MaxNLocator

    n = len(labels)
    ys = [n - 1 - i for i in range(n)]
    ax.barh(ys, counts, height=0.45, color=color)
    for y, label in zip(ys, labels):
        ax.text(0, y + 0.3, _short(label, 95), fontsize=8, va="bottom", **_PLAIN_TEXT)
    ax.set_yticks([])
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_xlim(0, max(counts) * 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("submissions")


def _png(fig) -> str:
    """A figure as a base64 PNG (and closes it)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#57606a")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_scores(records: Sequence[res.SubmissionResult], summary: Summary | None = None) -> str:
    """The score histogram with the mean; ``summary`` is ``summarize(records)``, computed when not given."""
    fig, ax = _figure()
    summary = summarize(records) if summary is None else summary
    scores = [r.score for r in records if r.graded]
    if scores:
        top = max(summary.max_score, max(scores), 1.0)
        edges = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20
        ax.hist(scores, bins=edges, color="#2f81f7", edgecolor="white")
        ax.axvline(summary.mean, color="#cf222e", linestyle="--", label=f"mean {summary.mean:.1f}")
        ax.set_xlabel(f"score (out of {summary.max_score:g})")
        ax.set_ylabel("submissions")
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
    else:
        _empty(ax, "no graded submissions")
    ax.set_title("Score distribution")
    return _png(fig)


def plot_pass_rates(stats: Sequence[CheckStats]) -> str:
    fig, ax = _figure(7.0, max(2.4, 0.5 * len(stats) + 1.2))
    if stats:
        names = [s.grade_id.removesuffix("-check") for s in stats][::-1]
        y = range(len(names))
        ax.barh([i + 0.2 for i in y], [100 * s.visible_passed for s in stats][::-1], height=0.4,
                color="#8c959f", label="visible checks")
        ax.barh([i - 0.2 for i in y], [100 * s.passed for s in stats][::-1], height=0.4,
                color="#1a7f37", label="visible + hidden (points)")
        ax.set_yticks(list(y), names, **_PLAIN_TEXT)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded submissions")
        ax.legend(frameon=False, loc="lower right", fontsize=8)
    else:
        _empty(ax, "no graded submissions")
    ax.set_title("Pass rate per check")
    return _png(fig)


def plot_failures(failures: Sequence[tuple[str, str, int]]) -> str:
    fig, ax = _figure(7.0, max(2.4, 0.6 * len(failures) + 1.0))
    if failures:
        _labelled_bars(ax, [f"{gid.removesuffix('-check')}: {msg}" for gid, msg, _ in failures],
                       [n for _, _, n in failures], "#cf222e")
    else:
        _empty(ax, "no failed checks")
    ax.set_title("Most frequent failure messages")
    return _png(fig)


def plot_times(records: Sequence[res.SubmissionResult], slow: int = 5) -> str:
    fig, ax = _figure()
    timed = sorted(((r.seconds, r.student_id, r.timed_out) for r in records), reverse=True)
    if timed:
        colors = ["#cf222e" if t else "#2f81f7" for _, _, t in timed]
        ax.bar(range(len(timed)), [s for s, _, _ in timed], color=colors, width=0.85)
        median = statistics.median(s for s, _, _ in timed)
        ax.axhline(median, color="#57606a", linestyle="--", label=f"median {median:.1f} s")
        for i, (seconds, student, _) in enumerate(timed[:slow]):
            ax.annotate(_short(student, 18), (i, seconds), xytext=(4, 2), textcoords="offset points",
                        fontsize=7, rotation=30, **_PLAIN_TEXT)
        ax.set_xticks([])
        ax.set_xlabel("submissions, slowest first (red: timed out)")
        ax.set_ylabel("seconds")
        ax.legend(frameon=False)
    else:
        _empty(ax, "no submissions")
    ax.set_title("Time per submission")
    return _png(fig)


def plot_flags(flags: Sequence[tuple[str, int]]) -> str:
    fig, ax = _figure(7.0, max(2.4, 0.6 * len(flags) + 1.0))
    if flags:
        _labelled_bars(ax, [f for f, _ in flags], [n for _, n in flags], "#9a6700")
    else:
        _empty(ax, "no flags raised")
    ax.set_title("Flags")
    return _png(fig)


#: Text from submissions (messages, flags, student ids) is drawn as it is: never parsed as maths
#: (mathtext: a message like ``$\foo{$`` would stop the report) nor sent through LaTeX.
_PLAIN_TEXT = {"parse_math": False, "usetex": False}


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# -- the page ------------------------------------------------------------------------------

def render_report(records: Sequence[res.SubmissionResult], lesson: str, *, workspace: str | os.PathLike | None = None,
                  redactor: Redactor | Callable[[res.SubmissionResult], Redactor] | None = None) -> str:
    """The class report for ``records`` of one lesson, as a complete HTML page.

    With ``workspace``, students link to their feedback pages where those exist.
    Failure messages pass through ``redactor`` like feedback does (a
    :class:`Redactor`, or a function giving each record its own).
    """
    if redactor is not None:
        records = [_redacted(r, redactor if isinstance(redactor, Redactor) else redactor(r)) for r in records]
    summary = summarize(records)
    stats = check_stats(records)
    alpha = reliability(records)
    failures = failure_counts(records)
    flags = flag_counts(records)
    plots = [
        ("Score distribution", "Scores of graded submissions; the dashed line is the mean.",
         plot_scores(records, summary)),
        ("Pass rate per check", "Grey: share passing the visible checks; green: share earning the points "
                                "(visible and hidden checks).", plot_pass_rates(stats)),
        ("Most frequent failure messages", "Numbers are replaced by # so similar failures count together.",
         plot_failures(failures)),
        ("Time per submission", "Wall-clock time of each submission, sandbox included; the slowest are named.",
         plot_times(records)),
        ("Flags", "Behaviour that earns no points for the checks it affects.", plot_flags(flags)),
    ]
    students = []
    for r in sorted(records, key=lambda r: r.student_id):
        link = None
        if workspace is not None and feedback_path(workspace, lesson, r.student_id).is_file():
            link = quote(feedback_path(".", lesson, r.student_id).as_posix())
        students.append({"r": r, "link": link})
    slowest = sorted(records, key=lambda r: r.seconds, reverse=True)[:TOP]
    return render_page(
        f"{lesson}: class report", "report.html", lesson=lesson, s=summary, stats=stats, alpha=alpha,
        min_n=MIN_FOR_ANALYSIS, failures=failures,
        flags=flags, plots=plots, students=students, slowest=slowest,
        flagged=[r for r in records if r.flags], rejected=[r for r in records if r.rejected],
        generated=res.now_iso(), fmt=lambda x: f"{x:g}", pct=lambda x: f"{100 * x:.0f}%",
    )


def _redacted(record: res.SubmissionResult, redactor: Redactor) -> res.SubmissionResult:
    copy = res.SubmissionResult.from_dict(record.to_dict())
    for check in copy.checks:
        check.message = redactor.clean(check.message)
    return copy


def report_path(workspace: str | os.PathLike, lesson: str) -> Path:
    """``<workspace>/report-<lesson>.html``."""
    return Path(workspace) / f"report-{lesson}.html"


def write_report(workspace: str | os.PathLike, lesson: str, *, seed: int | str | None = None) -> Path:
    """Write the class report of ``lesson`` from the workspace's records; return its path.

    Raises:
        FileNotFoundError: when the workspace holds no results for the lesson.
    """
    records, redactor = lesson_records(workspace, lesson, seed=seed)
    path = report_path(workspace, lesson)
    write_html(path, render_report(records, lesson, workspace=workspace, redactor=redactor))
    return path

"""Command line of the instructor tooling: ``python -m autograder <command> ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs


def _cmd_release(args: argparse.Namespace) -> int:
    from autograder.release import ReleaseError, differences, release

    lessons = nbs.resolve_lessons(args.lessons)
    if not lessons:
        print(f"no lessons found in {SOLUTIONS}", file=sys.stderr)
        return 1
    try:
        if args.check:
            stale = differences(lessons)
            for lesson, diffs in stale.items():
                print(f"{lesson}: lessons/ is stale; run `make release` (or `python -m autograder release {lesson}`)",
                      file=sys.stderr)
                for d in diffs:
                    print(f"  {d}", file=sys.stderr)
            if not stale:
                print(f"lessons/ is in sync with solutions/ ({len(lessons)} lesson(s))")
            return 1 if stale else 0
        for path in release(lessons):
            print(f"released {path.relative_to(LESSONS.parent)}")
        return 0
    except ReleaseError as exc:
        print(exc, file=sys.stderr)
        return 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from autograder.demo import run_demo

    return run_demo(Path(args.workspace), lessons=args.lessons or None, execute_solutions=not args.no_execute)


def _lesson_name(name: str) -> str:
    """``01`` -> ``01-neurons``; a name that is not a lesson of solutions/ is kept (a workspace may hold others)."""
    try:
        return nbs.resolve_lessons([name])[0]
    except nbs.UnknownLesson:
        return name


def _cmd_feedback(args: argparse.Namespace) -> int:
    from autograder.feedback import write_feedback

    lesson = _lesson_name(args.lesson)
    try:
        paths = write_feedback(Path(args.workspace), lesson, seed=args.seed)
    except (FileNotFoundError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {len(paths)} feedback page(s) under {Path(args.workspace) / 'feedback'}/<student>/{lesson}/")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from autograder.report import write_report

    lesson = _lesson_name(args.lesson)
    try:
        path = write_report(Path(args.workspace), lesson, seed=args.seed)
    except (FileNotFoundError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"class report: {path}")
    return 0


#: Submissions the grader failed on that ``grade`` lists by name (the rest are counted).
MAX_LISTED = 20


def _cmd_grade(args: argparse.Namespace) -> int:
    import logging

    from autograder.distributed import GradingStopped
    from autograder.grade import grade_lesson
    from autograder.sandbox import Limits, SandboxUnavailable

    from autograder.seeds import short_seed_warning

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    lesson = nbs.resolve_lessons([args.lesson])[0]
    if short_seed_warning(args.seed):
        print(short_seed_warning(args.seed), file=sys.stderr)
    try:
        limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb)
        summary = grade_lesson(lesson, Path(args.submissions), Path(args.workspace), jobs=args.jobs,
                               limits=limits, seed=args.seed, unsafe=args.unsafe, attempt=args.attempt,
                               regrade=args.regrade, public_seed=args.public_seed, executor=args.executor,
                               scheduler=args.scheduler, prewarm=args.prewarm, fork_server=args.fork_server)
    except SandboxUnavailable as exc:
        print(f"REFUSING TO GRADE: {exc}", file=sys.stderr)
        return 2
    except GradingStopped as exc:  # Dask: a worker refused, or the scheduler was lost
        print(f"GRADING STOPPED: {exc}", file=sys.stderr)
        return 4
    except (FileNotFoundError, ValueError) as exc:
        print(f"cannot grade: {exc}", file=sys.stderr)
        return 1
    print(summary.line())
    if summary.runner:
        pace = summary.pace_line()
        print(f"graded in {summary.runner}" + (f" ({pace})" if pace else ""))
    print(f"results in {Path(args.workspace) / 'results' / lesson}, grades in {Path(args.workspace) / 'grades.csv'}, "
          f"who handed in what in {Path(args.workspace) / 'intake' / lesson / 'submissions.csv'}")
    failed = summary.grader_errors()
    if failed:
        print(f"NOT GRADED: {len(failed)} submission(s), because the grader or its workers failed (not for anything "
              f"the student did):", file=sys.stderr)
        for record in failed[:MAX_LISTED]:
            print(f"  {record.student_id}: {record.reason}", file=sys.stderr)
        if len(failed) > MAX_LISTED:
            print(f"  ... and {len(failed) - MAX_LISTED} more (their records say why)", file=sys.stderr)
        print("Re-run the same command to grade them again (what is graded already is not re-run).", file=sys.stderr)
    if not summary.anything_graded:
        print(f"NOTHING WAS GRADED from {args.submissions}: see the reasons above and in the manifest", file=sys.stderr)
        return 3
    return 5 if failed else 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from autograder.seeds import SEED_ADVICE, new_seed

    print(new_seed())
    print(SEED_ADVICE, file=sys.stderr)  # stdout is the seed alone: `export DLKIT_HIDDEN_SEED=$(... seed)` works
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from autograder.export import write_grades
    from autograder.lms import ExportError, export_table, write_export

    workspace = Path(args.workspace)
    try:
        if args.format is None:
            if args.only_lessons or args.column:
                raise ExportError("--lesson and --column go with --format (canvas, moodle, blackboard or csv)")
            export_table(workspace, "csv")  # the same check: a mistyped workspace is an error
            print(f"wrote {write_grades(workspace, Path(args.out) if args.out else None)}")
            return 0
        out = Path(args.out) if args.out else workspace / f"export-{args.format}.csv"
        path, table = write_export(workspace, args.format, out, lessons=args.only_lessons, column=args.column)
    except ExportError as exc:
        print(f"cannot export: {exc}", file=sys.stderr)
        return 1
    for warning in table.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    print(f"wrote {path} ({len(table.rows)} student(s), {args.format} format)")
    return 0


def _parent(*flags: str, **options) -> argparse.ArgumentParser:
    """A parent parser holding one argument, so every command that takes it shares one declaration."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(*flags, **options)
    return parent


def _workspace(default: str) -> argparse.ArgumentParser:
    return _parent("--workspace", default=default, help="the grading workspace (default: ./%(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lesson = _parent("lesson", help="the lesson (01 or 01-neurons)")
    lessons = _parent("lessons", nargs="*", help="the lessons (01 or 01-neurons); default: all")
    workspace = _workspace("grading")
    seed = _parent("--seed", default=None,
                   help="the instructor's secret hidden-check seed (default: $DLKIT_HIDDEN_SEED; "
                        "make one with `python -m autograder seed`)")

    p = sub.add_parser("release", parents=[lessons], help="regenerate lessons/ from solutions/ with nbgrader")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 naming each lesson whose lessons/ differs from a fresh generation")
    p.set_defaults(func=_cmd_release)

    for name, func, text in (
        ("feedback", _cmd_feedback, "one HTML feedback page per student: verdicts, points, repairs, flags"),
        ("report", _cmd_report, "an HTML class report with plots: scores, pass rates, failures, times, flags"),
    ):
        sub.add_parser(name, parents=[lesson, workspace, seed], help=text).set_defaults(func=func)

    p = sub.add_parser("grade", parents=[lesson, workspace, seed],
                       help="grade a class's submissions of one lesson in sandboxes")
    p.add_argument("submissions", help="a folder of <id>.ipynb or <id>/.../*.ipynb, or an LMS .zip")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default: 1)")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="where submissions are graded: local (default: --jobs at once on this machine, nothing "
                        "else running) or dask (Dask distributed workers, each grading whole submissions in its "
                        "own sandbox; needs `pip install 'dlkit[cluster]'`)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --executor dask: the Dask scheduler's address (tcp://host:8786), whose workers hold "
                        "the seed in $DLKIT_HIDDEN_SEED or $DLKIT_HIDDEN_SEED_FILE; without it, a LocalCluster of "
                        "--jobs single-threaded worker processes is started on this machine")
    p.add_argument("--fork-server", action=argparse.BooleanOptionalAction, default=None,
                   help="grade each submission in a fork of a sandboxed process that has loaded the lesson once "
                        "(fresh uid, /tmp and pid namespace per submission; needs root, as in a container or on "
                        "a cluster's worker). Default: on wherever it can run")
    p.add_argument("--prewarm", type=int, default=None, metavar="N",
                   help="without fork servers: sandboxes started ahead of their submissions, each holding the "
                        "lesson's imports (about 500 MiB for the training lessons) while it waits "
                        "(default: --jobs; 0 starts each when its submission comes)")
    p.add_argument("--timeout", type=float, default=120.0, help="wall-clock seconds per submission (default: 120)")
    p.add_argument("--memory-mb", type=int, default=3072, help="memory cap per process (RLIMIT_DATA), MiB (default: 3072)")
    p.add_argument("--unsafe", action="store_true",
                   help="grade without a sandbox when bubblewrap is unavailable (student code runs as you!)")
    p.add_argument("--attempt", choices=["latest", "first"], default="latest",
                   help="which of a student's ordered attempts (Canvas re-submissions, Blackboard attempts) "
                        "to grade (default: latest)")
    p.add_argument("--regrade", action="store_true",
                   help="grade again although the lesson's records were made with another seed")
    p.add_argument("--public-seed", action="store_true",
                   help="with no seed set, draw hidden inputs from the course's public seed (demos and tests "
                        "only: anyone can draw them)")
    p.set_defaults(func=_cmd_grade)

    sub.add_parser("seed", help="print a new secret hidden-check seed and how to keep it").set_defaults(func=_cmd_seed)

    p = sub.add_parser("export", parents=[workspace],
                       help="write grades.csv, or with --format a file the LMS imports, from the result records")
    p.add_argument("--out", default=None,
                   help="where to write the CSV (default: <workspace>/grades.csv, or <workspace>/export-<format>.csv)")
    p.add_argument("--format", choices=["canvas", "moodle", "blackboard", "csv"], default=None,
                   help="the LMS's grade-import format, one row per student (see autograder/README.md)")
    p.add_argument("--lesson", action="append", default=None, dest="only_lessons",
                   help="export only this lesson (01 or 01-neurons); repeat for several (moodle: exactly one)")
    p.add_argument("--column", default=None,
                   help="the grade column's header for the one lesson exported (e.g. Canvas's 'Name (id)')")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("demo", parents=[lessons, _workspace("demo-output")],
                       help="release, run every solution, grade a synthetic class end to end")
    p.add_argument("--no-execute", action="store_true", help="skip running the solution notebooks")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except nbs.UnknownLesson as exc:  # say which lessons exist, no traceback
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

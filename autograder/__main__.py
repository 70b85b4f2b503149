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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate lessons/ from solutions/ with nbgrader")
    p.add_argument("lessons", nargs="*", help="lessons to release (01 or 01-neurons); default: all")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 naming each lesson whose lessons/ differs from a fresh generation")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("demo", help="release, run every solution, grade a synthetic class end to end")
    p.add_argument("lessons", nargs="*", help="lessons to include; default: all")
    p.add_argument("--workspace", default="demo-output", help="where the demo course goes (default: ./demo-output)")
    p.add_argument("--no-execute", action="store_true", help="skip running the solution notebooks")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

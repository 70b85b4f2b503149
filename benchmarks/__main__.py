"""Run every benchmark module: ``python -m benchmarks [NAME ...]``.

Each ``benchmarks/bench_*.py`` defines ``main() -> None`` that measures in one
run both our code and its baseline and prints the ratio. Pass names (``conv``,
``grading``) to run a subset.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    wanted = [f"bench_{a.removeprefix('bench_')}" for a in argv]
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {[n.removeprefix('bench_') for n in names]}", file=sys.stderr)
        return 2
    for name in wanted or names:
        print(f"\n=== {name.removeprefix('bench_')} ===", flush=True)
        start = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"({name.removeprefix('bench_')} took {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

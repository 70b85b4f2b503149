"""conv2d forward+backward: dlkit's fast path and naive loops vs torch CPU, and the fast path's peak memory.

Issue 4's setting: batch 64 x 3 x 32 x 32, 16 filters 3x3, padding 1, float64.
Targets: fast path at most 1.5x torch's time; peak memory at most 2x the im2col buffer.

Both libraries run with the same number of threads: the measurement runs in a
child process whose ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS`` are set before numpy loads its BLAS, and which calls
``torch.set_num_threads`` with the same number. Set ``DLKIT_BENCH_THREADS``
(default 1) to change it. Times are the median of repeated runs after warm-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def bench_threads() -> int:
    """The thread count every benchmark gives numpy and torch (``DLKIT_BENCH_THREADS``, default 1)."""
    value = os.environ.get("DLKIT_BENCH_THREADS", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"DLKIT_BENCH_THREADS must be a positive integer, got {value!r}.")
    return int(value)


def run_measurement_in_child(module: str, function: str) -> None:
    """Run ``module.function()`` in a fresh interpreter whose BLAS and torch use ``bench_threads()`` threads.

    numpy reads the thread variables only when it loads its BLAS, which has already
    happened in this process, so a child process is the one reliable way to pin them.
    """
    threads = bench_threads()
    env = {**os.environ, **{name: str(threads) for name in THREAD_VARIABLES}}
    code = f"import {module} as m; m.{function}()"
    result = subprocess.run([sys.executable, "-c", code], env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the {module} measurement failed (exit status {result.returncode}); see its output above.")


def median_seconds(fn, repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_agreement(worst: float, limit: float, what: str) -> None:
    """Refuse to time code whose results differ from torch's by more than ``limit``."""
    if worst > limit:
        raise AssertionError(f"dlkit and torch {what} differ by {worst:g} (> {limit:g}); not benchmarking wrong code")


def verdict(ratio: float, target: float) -> str:
    return f"(target <= {target:g}x) {'OK' if ratio <= target else 'MISSED'}"


def setup_torch_threads():
    """Import torch and give it the same thread count as numpy's BLAS; returns the torch module."""
    import torch

    threads = bench_threads()
    torch.set_num_threads(threads)
    return torch, threads


def describe_threads(threads: int) -> str:
    return (f"threads: {threads} for both (torch.set_num_threads({threads}); "
            f"{'/'.join(THREAD_VARIABLES)}={threads})")


def measure() -> None:
    """The measurement itself; runs in the child process started by :func:`main`."""
    import tracemalloc

    import numpy as np

    torch, threads = setup_torch_threads()
    import torch.nn.functional as F

    from dlkit.reference.conv import conv2d_backward, conv2d_backward_naive, conv2d_forward, conv2d_forward_naive

    n, c, h, w, f, k, pad = 64, 3, 32, 32, 16, 3, 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((f, c, k, k))
    bias = rng.standard_normal(f)
    dout = rng.standard_normal((n, f, h, w))
    print(f"conv2d forward+backward: x {x.shape}, w {weight.shape}, padding {pad}, float64; {describe_threads(threads)}")

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    dout_t = torch.tensor(dout)

    def torch_step():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=pad).backward(dout_t)

    def fast_step():
        out, cache = conv2d_forward(x, weight, bias, padding=pad)
        return conv2d_backward(dout, cache)

    # correctness first: the numbers being timed agree
    grads = fast_step()
    torch_step()
    check_agreement(max(float(np.max(np.abs(a - b.grad.numpy()))) for a, b in zip(grads, (xt, wt, bt))), 1e-8,
                    "conv2d gradients")

    t_torch = median_seconds(torch_step, repeats=20)
    t_fast = median_seconds(fast_step, repeats=20)

    naive_batch = 4  # the loops are linear in the batch size; 64 images would take tens of seconds
    xs, ds = x[:naive_batch], dout[:naive_batch]

    def naive_step():
        out, cache = conv2d_forward_naive(xs, weight, bias, padding=pad)
        return conv2d_backward_naive(ds, cache)

    t_naive = median_seconds(naive_step, repeats=1, warmup=0) * (n / naive_batch)

    print(f"  torch CPU              {t_torch * 1e3:9.2f} ms   1.00x")
    print(f"  dlkit fast (im2col)    {t_fast * 1e3:9.2f} ms   {t_fast / t_torch:5.2f}x torch "
          f"{verdict(t_fast / t_torch, 1.5)}")
    print(f"  dlkit naive loops      {t_naive * 1e3:9.0f} ms   {t_naive / t_torch:5.0f}x torch, "
          f"{t_naive / t_fast:.0f}x the fast path (measured on {naive_batch} images, scaled x{n // naive_batch})")

    # peak memory of the fast path (forward + backward, everything they allocate), via tracemalloc
    im2col_bytes = n * c * k * k * h * w * x.itemsize
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    fast_step()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    ratio = peak / im2col_bytes
    print(f"  peak memory of dlkit fast forward+backward (tracemalloc): {peak / 2**20:.1f} MiB = {ratio:.2f}x "
          f"the im2col buffer ({im2col_bytes / 2**20:.1f} MiB) {verdict(ratio, 2.0)}")


def main() -> None:
    run_measurement_in_child("benchmarks.bench_conv", "measure")


if __name__ == "__main__":
    main()

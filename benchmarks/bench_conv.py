"""conv2d forward+backward: dlkit's fast path and naive loops vs torch CPU, and the fast path's peak memory.

Issue 4's setting: batch 64 x 3 x 32 x 32, 16 filters 3x3, padding 1, float64.
Targets: fast path at most 1.5x torch's time; peak memory at most 2x the im2col buffer.

Threads are pinned and times taken by :mod:`benchmarks._harness` (``DLKIT_BENCH_THREADS``,
default 1; the median of repeated runs after warm-up).
"""

from __future__ import annotations

from benchmarks._harness import (check_agreement, describe_threads, median_seconds, run_measurement_in_child,
                                setup_torch_threads, verdict)


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

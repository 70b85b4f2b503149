"""LSTM sequence forward+backward: dlkit.reference.rnn vs torch.nn.LSTM on CPU, same thread count.

Issue 4's setting: batch 32, 50 steps, hidden size 64 (input size 64 here),
float32 and float64. Target: at most 2x torch's time. Threads are pinned as in
:mod:`benchmarks._harness` (``DLKIT_BENCH_THREADS``, default 1).
"""

from __future__ import annotations

from benchmarks._harness import (check_agreement, describe_threads, median_seconds, run_measurement_in_child,
                                setup_torch_threads, verdict)


def measure() -> None:
    """The measurement itself; runs in the child process started by :func:`main`."""
    import numpy as np

    torch, threads = setup_torch_threads()
    from dlkit.reference.rnn import lstm_backward, lstm_forward

    steps, batch, inputs, hidden = 50, 32, 64, 64
    print(f"LSTM forward+backward: x ({steps}, {batch}, {inputs}) time-first, hidden {hidden}; "
          f"{describe_threads(threads)}")
    for dtype, torch_dtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
        torch.manual_seed(0)
        module = torch.nn.LSTM(inputs, hidden).to(torch_dtype)
        weights = [p.detach().numpy().copy() for p in module.parameters()]  # W_ih, W_hh, b_ih, b_hh
        rng = np.random.default_rng(0)
        x = rng.standard_normal((steps, batch, inputs)).astype(dtype)
        dout = rng.standard_normal((steps, batch, hidden)).astype(dtype)
        xt, dout_t = torch.tensor(x, requires_grad=True), torch.tensor(dout)

        def torch_step():
            module.zero_grad()
            xt.grad = None
            out, _ = module(xt)
            out.backward(dout_t)

        def dlkit_step():
            out, cache = lstm_forward(x, None, None, *weights)
            return lstm_backward(dout, cache)

        grads = dlkit_step()
        torch_step()
        theirs = [xt.grad.numpy(), *(p.grad.numpy() for p in module.parameters())]
        check_agreement(max(float(np.max(np.abs(a - b))) for a, b in zip([grads[0], *grads[3:]], theirs)),
                        1e-3 if dtype == np.float32 else 1e-9, "LSTM gradients")

        t_torch = median_seconds(torch_step, repeats=30)
        t_dlkit = median_seconds(dlkit_step, repeats=30)
        name = np.dtype(dtype).name
        print(f"  {name}: torch {t_torch * 1e3:7.2f} ms, dlkit {t_dlkit * 1e3:7.2f} ms = {t_dlkit / t_torch:4.2f}x torch "
              f"{verdict(t_dlkit / t_torch, 2.0)}")


def main() -> None:
    run_measurement_in_child("benchmarks.bench_lstm", "measure")


if __name__ == "__main__":
    main()

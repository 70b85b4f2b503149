"""dlkit.train.fit, evaluate, predict: accuracy on digits, early stopping, clipping, quiet mode, live fallback."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

from dlkit import train

#: The claim this file checks: a 64-64-10 MLP reaches this test accuracy on sklearn digits in 10 epochs.
DIGITS_TARGET_ACCURACY = 0.95


def _loader(X, y, batch_size=64, shuffle=False):
    return DataLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(y)), batch_size=batch_size, shuffle=shuffle)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    X_tr, X_va, y_tr, y_va = train_test_split(X_tr, y_tr, test_size=0.2, random_state=0, stratify=y_tr)
    return X_tr, y_tr, X_va, y_va, X_te, y_te


def _mlp():
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def _line_problem(n=32):
    """Train targets y = 2x, validation targets y = x: as w grows from 0 towards 2, validation improves then worsens."""
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    return _loader(x, 2 * x, batch_size=n), _loader(x, x, batch_size=n)


def _line_model():
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    return model


def test_fit_trains_digits_above_target(digits):
    X_tr, y_tr, X_va, y_va, X_te, y_te = digits
    train.seed_everything(0)
    model = _mlp()
    loss_fn = torch.nn.CrossEntropyLoss()
    history = train.fit(model, _loader(X_tr, y_tr, shuffle=True), _loader(X_va, y_va, 512), loss_fn=loss_fn,
                        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), epochs=10, device="cpu",
                        progress=False)
    assert len(history) == 10 and set(history.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history["loss"][-1] < history["loss"][0]
    result = train.evaluate(model, _loader(X_te, y_te, 512), loss_fn=loss_fn)
    assert result["accuracy"] >= DIGITS_TARGET_ACCURACY, result
    predicted = train.predict(model, X_te).argmax(1).numpy()
    assert np.mean(predicted == y_te) == pytest.approx(result["accuracy"])
    assert history.best_epoch == int(np.argmin(history["val_loss"])) + 1
    assert f"best epoch {history.best_epoch} by val_loss" in repr(history)


def test_early_stopping_restores_best_epoch_weights():
    train_loader, val_loader = _line_problem()
    model = _line_model()
    history = train.fit(model, train_loader, val_loader, loss_fn=torch.nn.MSELoss(), metrics=(),
                        optimizer=torch.optim.SGD(model.parameters(), lr=0.3), epochs=50, early_stopping=2,
                        device="cpu", progress=False)
    best = history.best_epoch
    val = history["val_loss"]
    assert 1 < best < len(history) <= 50 and history.stopped_early and history.restored
    assert val[best - 1] == min(val) and val[-1] > val[best - 1]  # validation got worse after the best epoch
    # The same deterministic run stopped by hand at the best epoch gives the weights that were restored.
    reference = _line_model()
    train.fit(reference, train_loader, val_loader, loss_fn=torch.nn.MSELoss(), metrics=(),
              optimizer=torch.optim.SGD(reference.parameters(), lr=0.3), epochs=best, device="cpu", progress=False)
    assert torch.equal(model.weight, reference.weight)
    restored_loss = train.evaluate(model, val_loader, loss_fn=torch.nn.MSELoss(), metrics=())["loss"]
    assert restored_loss == pytest.approx(val[best - 1], rel=1e-6)


def test_without_restore_the_last_weights_stay():
    train_loader, val_loader = _line_problem()
    model = _line_model()
    history = train.fit(model, train_loader, val_loader, loss_fn=torch.nn.MSELoss(), metrics=(),
                        optimizer=torch.optim.SGD(model.parameters(), lr=0.3), epochs=12, restore_best=False,
                        device="cpu", progress=False)
    assert not history.restored and history.best_epoch < 12
    assert abs(model.weight.item() - 2.0) < abs(model.weight.item() - 1.0)  # kept training towards the train targets


class _NormRecordingSGD(torch.optim.SGD):
    """SGD that records the global gradient norm it is asked to step with."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.norms = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        return super().step(closure)


@pytest.mark.parametrize("clip", [None, 0.5])
def test_gradient_clipping_bounds_the_norm(clip):
    torch.manual_seed(0)
    X = torch.randn(64, 5) * 10
    model = torch.nn.Linear(5, 1)
    optimizer = _NormRecordingSGD(model.parameters(), lr=1e-4)
    train.fit(model, _loader(X, X.sum(1, keepdim=True) * 3, 16), loss_fn=torch.nn.MSELoss(), metrics=(),
              optimizer=optimizer, epochs=2, clip_grad_norm=clip, device="cpu", progress=False)
    assert len(optimizer.norms) == 8
    if clip is None:
        assert max(optimizer.norms) > 10  # the problem really has large gradients...
    else:
        assert max(optimizer.norms) <= clip * (1 + 1e-5)  # ...which clipping bounds


def test_progress_false_prints_nothing(capfd):
    train_loader, val_loader = _line_problem()
    model = _line_model()
    train.fit(model, train_loader, val_loader, loss_fn=torch.nn.MSELoss(), metrics=(),
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=3, device="cpu", progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_true_draws_a_bar(capfd):
    train_loader, _ = _line_problem()
    model = _line_model()
    train.fit(model, train_loader, loss_fn=torch.nn.MSELoss(), metrics=(),
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, device="cpu", progress=True)
    assert "epochs" in capfd.readouterr().err


def test_live_plot_fallback_prints_one_line_per_epoch(capfd, monkeypatch):
    monkeypatch.delenv("DLKIT_LIVE_PLOT", raising=False)
    train_loader, val_loader = _line_problem()
    model = _line_model()
    train.fit(model, train_loader, val_loader, loss_fn=torch.nn.MSELoss(), metrics=(),
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=4, device="cpu", progress=False,
              live_plot=True)
    lines = capfd.readouterr().out.splitlines()
    assert len(lines) == 4
    assert [line.split("  ")[0] for line in lines] == [f"epoch {i}/4" for i in range(1, 5)]
    assert all("val_loss" in line for line in lines)


def test_custom_metrics_scheduler_and_monitor(digits):
    X_tr, y_tr, X_va, y_va, _, _ = digits
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    def error_rate(out, y):
        return (out.argmax(1) != y).float().mean().item()

    history = train.fit(model, _loader(X_tr[:256], y_tr[:256]), _loader(X_va, y_va, 512),
                        loss_fn=torch.nn.CrossEntropyLoss(), optimizer=optimizer, epochs=3, device="cpu",
                        metrics={"acc": "accuracy", "err": error_rate}, monitor="val_acc", scheduler=scheduler,
                        progress=False)
    assert history["lr"] == [0.5, 0.25, 0.125]
    for a, e in zip(history["val_acc"], history["val_err"]):
        assert a + e == pytest.approx(1.0)
    assert history["val_acc"][history.best_epoch - 1] == max(history["val_acc"])


def test_accuracy_binary_logits():
    assert train.accuracy(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    assert train.accuracy(torch.tensor([[2.0], [-1.0]]), torch.tensor([1, 1])) == 0.5


def test_diverging_loss_stops_with_advice():
    x = torch.ones(8, 1)
    model = torch.nn.Linear(1, 1)
    with pytest.raises(FloatingPointError, match="Lower the learning rate"):
        train.fit(model, _loader(x * 1e3, x * 1e30), loss_fn=torch.nn.MSELoss(), metrics=(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=1e10), epochs=5, device="cpu", progress=False)


def test_predict_accepts_loaders_and_restores_train_mode():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Dropout(0.5))
    X = torch.randn(10, 3)
    out_tensor = train.predict(model, X, batch_size=4)
    out_loader = train.predict(model, _loader(X, torch.zeros(10), 3))
    # eval mode: dropout is off (it would zero or double entries). Batches of 4 and of 3 may round the
    # matmul differently in the last bit, so not torch.equal (it failed on a loaded machine).
    assert out_tensor.shape == (10, 2) and torch.allclose(out_tensor, out_loader, rtol=1e-5, atol=1e-6)
    assert model.training
    assert train.predict(model, X.numpy().astype(np.float64)).dtype == torch.float32


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"epochs": 0}, ValueError, "epochs must be a positive"),
    ({"early_stopping": 0}, ValueError, "early_stopping"),
    ({"clip_grad_norm": -1.0}, ValueError, "clip_grad_norm"),
    ({"metrics": ("f1",)}, ValueError, "unknown metric"),
    ({"monitor": "val_loss"}, ValueError, "monitor='val_loss' is not measured"),
    ({"optimizer": "adam"}, TypeError, "torch.optim.Optimizer"),
    ({"loss_fn": "mse"}, TypeError, "loss_fn must be a function"),
])
def test_fit_bad_arguments(kwargs, exc, match):
    model = _line_model()
    args = {"loss_fn": torch.nn.MSELoss(), "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "epochs": 1,
            "progress": False, "device": "cpu"} | kwargs
    with pytest.raises(exc, match=match):
        train.fit(model, _line_problem()[0], **args)


def test_fit_rejects_arrays_and_bad_batches():
    model = _line_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="TensorDataset"):
        train.fit(model, np.zeros((4, 1)), loss_fn=torch.nn.MSELoss(), optimizer=opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"pair \(inputs, targets\)"):
        train.fit(model, [torch.zeros(4, 1)], loss_fn=torch.nn.MSELoss(), optimizer=opt, epochs=1, progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_runs_unchanged_on_gpu(digits):
    X_tr, y_tr, X_va, y_va, X_te, y_te = digits
    train.seed_everything(0)
    model = _mlp()  # built on the CPU, as a lesson does
    history = train.fit(model, _loader(X_tr, y_tr, shuffle=True), _loader(X_va, y_va, 512),
                        loss_fn=torch.nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
                        epochs=10, progress=False)
    assert next(model.parameters()).device.type == "cuda" and history.best_epoch is not None
    assert train.evaluate(model, _loader(X_te, y_te, 512))["accuracy"] >= DIGITS_TARGET_ACCURACY
    assert train.predict(model, X_te).device.type == "cpu"

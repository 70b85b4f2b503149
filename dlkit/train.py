"""Training helpers: pick a device, seed every RNG, and a training loop (lesson 04 on).

The setup cell of every lesson calls::

    dev = dlkit.train.device()
    print(dlkit.train.describe_device(dev))
    dlkit.train.seed_everything(0)
"""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import torch

_DEVICE_KINDS = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return _mps_available()
    return True


def device(prefer: str | torch.device | None = None) -> torch.device:
    """The device to train on: CUDA if present, then Apple MPS, then the CPU.

    Args:
        prefer: ``None`` (pick automatically), or a device to use when it is
            available: ``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"cpu"`` or a
            ``torch.device``. When the preferred device is missing, a warning
            says so and the automatic choice is returned, so a lesson written
            for a GPU still runs on a laptop.

    Returns:
        a ``torch.device``.

    Example:
        >>> dlkit.train.device("cpu")
        device(type='cpu')
    """
    if prefer is not None:
        if not isinstance(prefer, (str, torch.device)):
            raise TypeError(
                f"prefer must be None, a string such as 'cuda' or 'cpu', or a torch.device; "
                f"got {type(prefer).__name__}."
            )
        try:
            wanted = torch.device(prefer)
        except RuntimeError as err:
            raise ValueError(
                f"prefer={prefer!r} is not a device name. Use one of {_DEVICE_KINDS}, e.g. 'cuda' or 'cuda:0'."
            ) from err
        if wanted.type not in _DEVICE_KINDS:
            raise ValueError(f"prefer={prefer!r}: dlkit supports the device types {_DEVICE_KINDS}, got {wanted.type!r}.")
        usable = _available(wanted.type)
        if usable and wanted.type == "cuda" and wanted.index is not None:
            usable = wanted.index < torch.cuda.device_count()
        if usable:
            return wanted
        warnings.warn(f"device {prefer!r} is not available on this machine; using the best available device instead.",
                      stacklevel=2)
    for kind in _DEVICE_KINDS:
        if _available(kind):
            return torch.device(kind)
    raise AssertionError("unreachable: the CPU is always available")  # pragma: no cover


#: ``device`` under another name, for ``fit`` whose ``device`` argument hides it.
_auto_device = device


def describe_device(dev: str | torch.device | None = None) -> str:
    """One line saying what ``dev`` is, for the setup cell's printout.

    Args:
        dev: a device (``None`` means ``device()``).

    Returns:
        e.g. ``"CPU (2 threads)"``, ``"CUDA: NVIDIA H100 80GB HBM3 (79 GiB)"``
        or ``"MPS: Apple GPU"``.

    Example:
        >>> dlkit.train.describe_device("cpu")
        'CPU (2 threads)'
    """
    if dev is None:
        dev = device()
    if not isinstance(dev, (str, torch.device)):
        raise TypeError(f"dev must be a torch.device or a device name such as 'cpu', got {type(dev).__name__}.")
    dev = torch.device(dev)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            return "CUDA (not available on this machine)"
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return f"CUDA: {props.name} ({props.total_memory / 2**30:.0f} GiB)"
    if dev.type == "mps":
        return "MPS: Apple GPU"
    if dev.type == "cpu":
        threads = torch.get_num_threads()
        return f"CPU ({threads} thread{'s' if threads != 1 else ''})"
    return str(dev)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy's global RNG and torch (CPU and every GPU).

    Two runs that call ``seed_everything(s)`` with the same ``s`` and then do
    the same work draw the same random numbers (GPU kernels may still differ
    in the last bits; that is a property of the kernels, not of the seed).

    Args:
        seed: an integer in ``[0, 2**32)`` (numpy's limit).

    Example:
        >>> dlkit.train.seed_everything(0); a = torch.rand(1)
        >>> dlkit.train.seed_everything(0); bool(torch.rand(1) == a)
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} ({seed!r}). Pass e.g. seed_everything(0).")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}. Use a small non-negative integer such as 0.")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


# ---------------------------------------------------------------------------
# metrics, history and the training loop
# ---------------------------------------------------------------------------


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of correct predictions in a batch.

    Args:
        outputs: logits ``(N, K)`` (class = argmax), or one logit per example
            ``(N,)`` / ``(N, 1)`` for a binary task (class 1 where it is > 0).
        targets: class indices ``(N,)`` (or 0/1 floats for the binary case).

    Example:
        >>> accuracy(torch.tensor([[2.0, 0.1], [0.3, 0.9]]), torch.tensor([0, 0]))
        0.5
    """
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(dim=1)
    else:
        predicted = (outputs.reshape(-1) > 0).long()
    targets = targets.reshape(-1)
    if predicted.shape != targets.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions for {targets.shape[0]} targets; outputs have "
                         f"shape {tuple(outputs.shape)}. Classification outputs should be (N, K) logits.")
    return (predicted == targets.long()).float().mean().item()


_NAMED_METRICS = {"accuracy": accuracy}


def _metric_table(metrics) -> dict:
    """``metrics`` (names, callables, or a dict name -> callable) as a dict name -> callable."""
    if metrics is None:
        return {}
    if isinstance(metrics, dict):
        items = list(metrics.items())
    elif isinstance(metrics, (str,)) or callable(metrics):
        items = [(None, metrics)]
    else:
        items = [(None, m) for m in metrics]
    table = {}
    for name, metric in items:
        if isinstance(metric, str):
            if metric not in _NAMED_METRICS:
                raise ValueError(f"unknown metric {metric!r}; use one of {sorted(_NAMED_METRICS)} or pass a function "
                                 f"metric(outputs, targets) -> float.")
            name, metric = name or metric, _NAMED_METRICS[metric]
        elif not callable(metric):
            raise TypeError(f"each metric must be a name such as 'accuracy' or a function (outputs, targets) -> float, "
                            f"got {type(metric).__name__}.")
        name = name or getattr(metric, "__name__", "metric")
        if name == "loss" or name.startswith("val_"):
            raise ValueError(f"metric name {name!r} is reserved; name it differently (pass a dict {{'my_name': fn}}).")
        table[name] = metric
    return table


class History:
    """What ``fit`` measured, one value per epoch.

    Attributes:
        metrics: name -> list with one value per epoch: ``"loss"``, each metric
            (``"accuracy"``), their validation versions (``"val_loss"``,
            ``"val_accuracy"``) and the learning rate ``"lr"``.
        monitor: the value early stopping and ``best_epoch`` look at.
        best_epoch: the epoch (from 1) with the best ``monitor`` value.
        stopped_early: whether early stopping ended training before ``epochs``.
        restored: whether the model's weights were reset to ``best_epoch``'s.

    ``history["val_loss"]`` is ``history.metrics["val_loss"]``; ``len(history)``
    is the number of epochs run; ``history.plot()`` draws the curves.
    """

    def __init__(self, monitor: str = "val_loss"):
        self.metrics: dict[str, list[float]] = {}
        self.monitor = monitor
        self.best_epoch: int | None = None
        self.stopped_early = False
        self.restored = False

    def __len__(self) -> int:
        return max((len(v) for v in self.metrics.values()), default=0)

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.metrics:
            raise KeyError(f"history has no {name!r}; it holds {list(self.metrics)}.")
        return self.metrics[name]

    def record(self, values: dict[str, float]) -> None:
        """Append one epoch's values."""
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(float(value))

    @property
    def best(self) -> dict[str, float]:
        """Every value at the best epoch (empty before training)."""
        if self.best_epoch is None:
            return {}
        return {k: v[self.best_epoch - 1] for k, v in self.metrics.items() if len(v) >= self.best_epoch}

    def __repr__(self) -> str:
        if not len(self):
            return "History(no epochs yet)"
        shown = ", ".join(f"{k} {v:.4g}" for k, v in self.best.items() if k != "lr")
        notes = "; stopped early" if self.stopped_early else ""
        notes += "; best weights restored" if self.restored else ""
        return f"History({len(self)} epochs, best epoch {self.best_epoch} by {self.monitor}: {shown}{notes})"

    def plot(self, metrics=None, *, ax=None):
        """The training curves; see ``dlkit.plot.curves``. Returns the Figure."""
        from dlkit.plot import curves

        return curves(self, metrics, ax=ax)


def _to_device(batch, dev: torch.device):
    """Tensors of a batch (a tensor, or a tuple/list/dict of them) moved to ``dev``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(dev, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(b, dev) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_device(v, dev) for k, v in batch.items()}
    return batch


def _split_batch(batch):
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"each batch must be a pair (inputs, targets), as a TensorDataset's DataLoader gives; "
                     f"got {type(batch).__name__}"
                     f"{' of length ' + str(len(batch)) if isinstance(batch, (list, tuple)) else ''}.")


def _model_device(model: torch.nn.Module) -> torch.device:
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def _check_module(model, loader, name: str = "train_loader") -> None:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if isinstance(loader, (torch.Tensor, np.ndarray)) or not hasattr(loader, "__iter__"):
        raise TypeError(f"{name} must be an iterable of (inputs, targets) batches such as a torch DataLoader, got "
                        f"{type(loader).__name__}. Wrap arrays: DataLoader(TensorDataset(X, y), batch_size=64).")


class _Averager:
    """Example-weighted running means of a loss and metrics over batches."""

    def __init__(self):
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, n: int, values: dict[str, float]) -> None:
        self.count += n
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v) * n

    def means(self, prefix: str = "") -> dict[str, float]:
        return {prefix + k: s / max(self.count, 1) for k, s in self.sums.items()}


def _batch_values(outputs, targets, loss, metric_table) -> dict[str, float]:
    values = {} if loss is None else {"loss": loss.item()}
    with torch.no_grad():
        for name, metric in metric_table.items():
            values[name] = float(metric(outputs.detach(), targets))
    return values


def evaluate(model: torch.nn.Module, loader, *, loss_fn=None, metrics=("accuracy",), device=None) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode and without gradients.

    Args:
        model: a ``torch.nn.Module``.
        loader: batches ``(inputs, targets)``, e.g. a ``DataLoader``.
        loss_fn: ``loss_fn(outputs, targets)`` returning a batch mean; omitted
            -> no ``"loss"`` entry.
        metrics: names (``"accuracy"``) or functions ``(outputs, targets) -> float``.
        device: where to compute; default the model's device.

    Returns:
        ``{"loss": ..., "accuracy": ...}``: means over examples (batches are
        weighted by their size). The model's train/eval mode is restored.

    Example:
        >>> evaluate(model, test_loader, loss_fn=torch.nn.CrossEntropyLoss())
        {'loss': 0.12, 'accuracy': 0.97}
    """
    _check_module(model, loader, "loader")
    table = _metric_table(metrics)
    dev = _model_device(model) if device is None else torch.device(device)
    was_training = model.training
    model.to(dev).eval()
    totals = _Averager()
    try:
        with torch.no_grad():
            for batch in loader:
                x, y = _split_batch(_to_device(batch, dev))
                out = model(x)
                loss = None if loss_fn is None else loss_fn(out, y)
                totals.add(len(y), _batch_values(out, y, loss, table))
    finally:
        model.train(was_training)
    if totals.count == 0:
        raise ValueError("loader gave no batches; check that the dataset is not empty.")
    return totals.means()


def predict(model: torch.nn.Module, data, *, device=None, batch_size: int = 256) -> torch.Tensor:
    """The model's outputs for ``data``, in eval mode without gradients, as one CPU tensor.

    Args:
        model: a ``torch.nn.Module``.
        data: inputs ``(N, ...)`` as a tensor or numpy array (floating arrays
            are passed as float32), or a loader whose batches are inputs or
            ``(inputs, targets)`` pairs (targets are ignored).
        device: where to compute; default the model's device.
        batch_size: chunk size when ``data`` is an array or tensor.

    Returns:
        a tensor ``(N, ...)`` on the CPU (e.g. logits ``(N, K)``; take
        ``.argmax(1)`` for classes).

    Example:
        >>> predict(model, ds.X_test).argmax(1)
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if isinstance(data, np.ndarray):
        tensor = torch.from_numpy(data)
        data = tensor.float() if tensor.is_floating_point() else tensor
    if isinstance(data, torch.Tensor):
        batches = data.split(batch_size)
    elif hasattr(data, "__iter__"):
        batches = (b[0] if isinstance(b, (list, tuple)) else b for b in data)
    else:
        raise TypeError(f"data must be a tensor, a numpy array or a DataLoader, got {type(data).__name__}.")
    dev = _model_device(model) if device is None else torch.device(device)
    was_training = model.training
    model.to(dev).eval()
    try:
        with torch.no_grad():
            outputs = [model(_to_device(b, dev)).cpu() for b in batches]
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("data is empty: nothing to predict.")
    return torch.cat(outputs)


def _better(value: float, best: float | None, monitor: str) -> bool:
    if best is None:
        return True
    return value < best if "loss" in monitor else value > best


def _progress(iterable, enabled: bool, **kwargs):
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=not enabled, **kwargs)


def fit(model: torch.nn.Module, train_loader, val_loader=None, *, loss_fn, optimizer: torch.optim.Optimizer,
        epochs: int, device=None, metrics=("accuracy",), early_stopping: int | None = None,
        monitor: str | None = None, restore_best: bool = True, clip_grad_norm: float | None = None,
        scheduler=None, progress: bool = True, live_plot=False) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``, validating after each.

    Each step: ``out = model(x); loss = loss_fn(out, y); loss.backward()``,
    optionally rescale the gradients so their global norm is at most
    ``clip_grad_norm``, then ``optimizer.step()``.

    Args:
        model: a ``torch.nn.Module``; it is moved to ``device``.
        train_loader, val_loader: batches ``(inputs, targets)``, e.g. DataLoaders.
        loss_fn: ``loss_fn(outputs, targets)`` returning the batch mean, e.g.
            ``torch.nn.CrossEntropyLoss()``.
        optimizer: built on ``model.parameters()``.
        epochs: the most epochs to run.
        device: default ``dlkit.train.device()`` (CUDA, then MPS, then CPU);
            batches are moved there, so the same call runs on CPU and GPU.
        metrics: names (``"accuracy"``) or functions ``(outputs, targets) -> float``
            (a dict names them). Training values are running means over the epoch.
        early_stopping: stop after this many epochs without improving
            ``monitor``; ``None`` trains all ``epochs``.
        monitor: what "best" means: default ``"val_loss"`` (``"loss"`` without
            a ``val_loader``); names containing ``loss`` are minimised, others
            (``"val_accuracy"``) maximised.
        restore_best: at the end, put back the weights of the best epoch.
        clip_grad_norm: the largest global gradient norm allowed (``None``: no clipping).
        scheduler: a ``torch.optim.lr_scheduler``, stepped once per epoch
            (``ReduceLROnPlateau`` gets the monitored value).
        progress: tqdm bars for epochs and batches (widgets in a notebook);
            ``False`` prints nothing.
        live_plot: ``True`` for a ``dlkit.plot.LivePlot`` (curves updated in
            place in a notebook, one printed line per epoch elsewhere), or a
            ``LivePlot`` of your own.

    Returns:
        a ``History``.

    Example:
        >>> history = fit(model, train_loader, val_loader, loss_fn=torch.nn.CrossEntropyLoss(),
        ...               optimizer=torch.optim.Adam(model.parameters(), 1e-3), epochs=20, early_stopping=3)
    """
    _check_module(model, train_loader)
    if val_loader is not None:
        _check_module(model, val_loader, "val_loader")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function (outputs, targets) -> loss such as torch.nn.CrossEntropyLoss(), "
                        f"got {type(loss_fn).__name__}.")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, e.g. torch.optim.SGD(model.parameters(), lr=0.1), "
                        f"got {type(optimizer).__name__}.")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
    if early_stopping is not None and (isinstance(early_stopping, bool) or not isinstance(early_stopping, int)
                                       or early_stopping < 1):
        raise ValueError(f"early_stopping must be None or a patience of at least 1 epoch, got {early_stopping!r}.")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be None or a positive number, got {clip_grad_norm!r}.")
    table = _metric_table(metrics)
    monitor = monitor or ("val_loss" if val_loader is not None else "loss")
    known = ["loss", *table] + ([f"val_{m}" for m in ["loss", *table]] if val_loader is not None else [])
    if monitor not in known:
        raise ValueError(f"monitor={monitor!r} is not measured; choose one of {known}.")

    dev = _auto_device() if device is None else torch.device(device)
    model.to(dev)
    history = History(monitor)
    live = None
    if live_plot is True:
        from dlkit.plot.live import LivePlot

        live = LivePlot()
    elif live_plot:
        live = live_plot
    if live is not None:
        live.start(epochs)
    best_value, best_state, stale = None, None, 0
    epoch_bar = _progress(range(1, epochs + 1), progress, desc="epochs", unit="epoch")
    try:
        for epoch in epoch_bar:
            model.train()
            running = _Averager()
            batch_bar = _progress(train_loader, progress, desc=f"epoch {epoch}", unit="batch", leave=False)
            for step, batch in enumerate(batch_bar, start=1):
                x, y = _split_batch(_to_device(batch, dev))
                optimizer.zero_grad()
                out = model(x)
                loss = loss_fn(out, y)
                loss.backward()
                loss_value = loss.item()  # the one wait for the GPU per batch, after backward is queued
                if not math.isfinite(loss_value):  # checked before the step: the weights stay clean
                    raise FloatingPointError(
                        f"the loss became {loss_value} at epoch {epoch}, batch {step}: training diverged. "
                        f"Lower the learning rate, or pass clip_grad_norm=1.0."
                    )
                if clip_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
                optimizer.step()
                running.add(len(y), {"loss": loss_value, **_batch_values(out, y, None, table)})
                batch_bar.set_postfix(loss=f"{running.sums['loss'] / running.count:.4f}", refresh=False)
            if running.count == 0:
                raise ValueError("train_loader gave no batches; check that the training set is not empty.")
            values = running.means()
            if val_loader is not None:
                values |= {f"val_{k}": v for k, v in
                           evaluate(model, val_loader, loss_fn=loss_fn, metrics=table, device=dev).items()}
            values["lr"] = optimizer.param_groups[0]["lr"]
            history.record(values)
            if _better(values[monitor], best_value, monitor):
                best_value, stale, history.best_epoch = values[monitor], 0, epoch
                if restore_best:
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
            if scheduler is not None:
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(values[monitor])
                else:
                    scheduler.step()
            epoch_bar.set_postfix({k: f"{v:.4f}" for k, v in values.items() if k != "lr"}, refresh=False)
            if live is not None:
                live.update(history)
            if early_stopping is not None and stale >= early_stopping:
                history.stopped_early = epoch < epochs
                break
    finally:
        epoch_bar.close()
        if live is not None:
            live.close()
    if restore_best and best_state is not None and history.best_epoch != len(history):
        model.load_state_dict(best_state)
        history.restored = True
    return history

"""Plausible wrong answers (mutants) and other correct answers for lesson 12's exercises.

Each source is a complete answer cell. The attribution exercises (``saliency``,
``integrated_gradients``, ``occlusion``) are one ``def`` that rebuilds the network
with the notebook's ``load_cnn`` (the ``cnn-def`` cell, see :data:`REQUIRES`);
``fairness_metrics`` is one ``def``; the model exercise (``fair_classifier``) is the
cell's code from ``fair_classifier = None`` on, with the notebook's lending data and
trained ``approval_scores`` in scope (the ``lending-data`` and ``lending-train`` cells).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"12.saliency"``).
LESSON = "12"

#: Cells an exercise's sources need first: the network builder, the lending data and its trained model.
REQUIRES: dict[str, tuple[str, ...]] = {
    "saliency": ("cnn-def",),
    "integrated_gradients": ("cnn-def",),
    "occlusion": ("cnn-def",),
    "fair_classifier": ("lending-data", "lending-train"),
}

#: What the notebook's imports cell defines before any answer.
IMPORTS = dedent("""
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
    from dlkit import data, plot, train
""").strip() + "\n"


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


def _fair(body: str) -> str:
    """A fair_classifier answer cell: the unset line, then the student's code."""
    return "fair_classifier = None\n" + _src(body)


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "saliency": [
        ("keeps the sign of the gradient (no absolute value)", _src("""
            def saliency(state, x, target):
                model = load_cnn(state)
                xt = torch.tensor(x, requires_grad=True)
                model(xt)[torch.arange(len(target)), torch.as_tensor(target)].sum().backward()
                return xt.grad.numpy()
        """)),
        ("differentiates the softmax probability instead of the logit", _src("""
            def saliency(state, x, target):
                model = load_cnn(state)
                xt = torch.tensor(x, requires_grad=True)
                torch.softmax(model(xt), 1)[torch.arange(len(target)), torch.as_tensor(target)].sum().backward()
                return xt.grad.abs().numpy()
        """)),
        ("explains the predicted class, not the target", _src("""
            def saliency(state, x, target):
                model = load_cnn(state)
                xt = torch.tensor(x, requires_grad=True)
                logits = model(xt)
                logits[torch.arange(len(x)), logits.argmax(1)].sum().backward()
                return xt.grad.abs().numpy()
        """)),
        ("differentiates the cross-entropy loss", _src("""
            def saliency(state, x, target):
                model = load_cnn(state)
                xt = torch.tensor(x, requires_grad=True)
                F.cross_entropy(model(xt), torch.as_tensor(target), reduction="sum").backward()
                return xt.grad.abs().numpy()
        """)),
        ("uses target[0] for every image of the batch", _src("""
            def saliency(state, x, target):
                model = load_cnn(state)
                xt = torch.tensor(x, requires_grad=True)
                model(xt)[:, int(target[0])].sum().backward()
                return xt.grad.abs().numpy()
        """)),
    ],
    "integrated_gradients": [
        ("left Riemann sum (starts at the baseline)", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                x, baseline = torch.as_tensor(x), torch.as_tensor(baseline)
                alphas = torch.arange(steps, dtype=torch.float32) / steps
                path = (baseline + alphas.view(-1, 1, 1, 1, 1) * (x - baseline)).reshape(-1, *x.shape[1:])
                path = path.detach().requires_grad_(True)
                model(path)[torch.arange(len(path)), torch.as_tensor(target).repeat(steps)].sum().backward()
                return ((x - baseline) * path.grad.reshape(steps, *x.shape).mean(0)).numpy()
        """)),
        ("sums the gradients instead of averaging them", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                x, baseline = torch.as_tensor(x), torch.as_tensor(baseline)
                alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
                path = (baseline + alphas.view(-1, 1, 1, 1, 1) * (x - baseline)).reshape(-1, *x.shape[1:])
                path = path.detach().requires_grad_(True)
                model(path)[torch.arange(len(path)), torch.as_tensor(target).repeat(steps)].sum().backward()
                return ((x - baseline) * path.grad.reshape(steps, *x.shape).sum(0)).numpy()
        """)),
        ("multiplies by x instead of x - baseline", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                x, baseline = torch.as_tensor(x), torch.as_tensor(baseline)
                alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
                path = (baseline + alphas.view(-1, 1, 1, 1, 1) * (x - baseline)).reshape(-1, *x.shape[1:])
                path = path.detach().requires_grad_(True)
                model(path)[torch.arange(len(path)), torch.as_tensor(target).repeat(steps)].sum().backward()
                return (x * path.grad.reshape(steps, *x.shape).mean(0)).numpy()
        """)),
        ("gradient times input: the gradient at x only", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                xt = torch.tensor(x, requires_grad=True)
                model(xt)[torch.arange(len(x)), torch.as_tensor(target)].sum().backward()
                return ((xt - torch.as_tensor(baseline)) * xt.grad).detach().numpy()
        """)),
        ("a path from a black image, whatever the baseline", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                x = torch.as_tensor(x)
                alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
                path = (alphas.view(-1, 1, 1, 1, 1) * x).reshape(-1, *x.shape[1:]).detach().requires_grad_(True)
                model(path)[torch.arange(len(path)), torch.as_tensor(target).repeat(steps)].sum().backward()
                return (x * path.grad.reshape(steps, *x.shape).mean(0)).numpy()
        """)),
        ("targets repeated image-major, not step-major", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                x, baseline = torch.as_tensor(x), torch.as_tensor(baseline)
                alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
                path = (baseline + alphas.view(-1, 1, 1, 1, 1) * (x - baseline)).reshape(-1, *x.shape[1:])
                path = path.detach().requires_grad_(True)
                model(path)[torch.arange(len(path)), torch.as_tensor(target).repeat_interleave(steps)].sum().backward()
                return ((x - baseline) * path.grad.reshape(steps, *x.shape).mean(0)).numpy()
        """)),
    ],
    "occlusion": [
        ("sums the drops instead of averaging them", _src("""
            def occlusion(state, x, target, window, stride, fill=0.0):
                model = load_cnn(state)
                rows, t = torch.arange(len(x)), torch.as_tensor(target)
                total = np.zeros(x.shape)
                with torch.no_grad():
                    base = model(torch.as_tensor(x))[rows, t].numpy()
                    for i in range(0, 8 - window + stride, stride):
                        for j in range(0, 8 - window + stride, stride):
                            c = x.copy()
                            c[:, :, i:i + window, j:j + window] = fill
                            total[:, :, i:i + window, j:j + window] += (base - model(torch.as_tensor(c))[rows, t].numpy())[:, None, None, None]
                return total
        """)),
        ("the rise of the score, not its drop", _src("""
            def occlusion(state, x, target, window, stride, fill=0.0):
                model = load_cnn(state)
                rows, t = torch.arange(len(x)), torch.as_tensor(target)
                total, count = np.zeros(x.shape), np.zeros(x.shape)
                with torch.no_grad():
                    base = model(torch.as_tensor(x))[rows, t].numpy()
                    for i in range(0, 8 - window + stride, stride):
                        for j in range(0, 8 - window + stride, stride):
                            c = x.copy()
                            c[:, :, i:i + window, j:j + window] = fill
                            total[:, :, i:i + window, j:j + window] += (model(torch.as_tensor(c))[rows, t].numpy() - base)[:, None, None, None]
                            count[:, :, i:i + window, j:j + window] += 1
                return total / count
        """)),
        ("covers with 0 whatever the fill", _src("""
            def occlusion(state, x, target, window, stride, fill=0.0):
                model = load_cnn(state)
                rows, t = torch.arange(len(x)), torch.as_tensor(target)
                total, count = np.zeros(x.shape), np.zeros(x.shape)
                with torch.no_grad():
                    base = model(torch.as_tensor(x))[rows, t].numpy()
                    for i in range(0, 8 - window + stride, stride):
                        for j in range(0, 8 - window + stride, stride):
                            c = x.copy()
                            c[:, :, i:i + window, j:j + window] = 0.0
                            total[:, :, i:i + window, j:j + window] += (base - model(torch.as_tensor(c))[rows, t].numpy())[:, None, None, None]
                            count[:, :, i:i + window, j:j + window] += 1
                return total / count
        """)),
        ("only windows that fit entirely: the last rows and columns get 0", _src("""
            def occlusion(state, x, target, window, stride, fill=0.0):
                model = load_cnn(state)
                rows, t = torch.arange(len(x)), torch.as_tensor(target)
                total, count = np.zeros(x.shape), np.zeros(x.shape)
                with torch.no_grad():
                    base = model(torch.as_tensor(x))[rows, t].numpy()
                    for i in range(0, 8 - window + 1, stride):
                        for j in range(0, 8 - window + 1, stride):
                            c = x.copy()
                            c[:, :, i:i + window, j:j + window] = fill
                            total[:, :, i:i + window, j:j + window] += (base - model(torch.as_tensor(c))[rows, t].numpy())[:, None, None, None]
                            count[:, :, i:i + window, j:j + window] += 1
                return np.where(count > 0, total / np.maximum(count, 1), 0.0)
        """)),
        ("each pixel keeps the drop of the last window covering it", _src("""
            def occlusion(state, x, target, window, stride, fill=0.0):
                model = load_cnn(state)
                rows, t = torch.arange(len(x)), torch.as_tensor(target)
                out = np.zeros(x.shape)
                with torch.no_grad():
                    base = model(torch.as_tensor(x))[rows, t].numpy()
                    for i in range(0, 8 - window + stride, stride):
                        for j in range(0, 8 - window + stride, stride):
                            c = x.copy()
                            c[:, :, i:i + window, j:j + window] = fill
                            out[:, :, i:i + window, j:j + window] = (base - model(torch.as_tensor(c))[rows, t].numpy())[:, None, None, None]
                return out
        """)),
    ],
    "fairness_metrics": [
        ("signed differences: group 1 minus group 0", _src("""
            def fairness_metrics(y_true, y_pred, group):
                a, b = group == 0, group == 1
                dp = y_pred[b].mean() - y_pred[a].mean()
                tpr = y_pred[b & (y_true == 1)].mean() - y_pred[a & (y_true == 1)].mean()
                fpr = y_pred[b & (y_true == 0)].mean() - y_pred[a & (y_true == 0)].mean()
                return dp, max(tpr, fpr)
        """)),
        ("equal opportunity only: the TPR spread as eo", _src("""
            def fairness_metrics(y_true, y_pred, group):
                groups = np.unique(group)
                sel = [y_pred[group == g].mean() for g in groups]
                tpr = [y_pred[(group == g) & (y_true == 1)].mean() for g in groups]
                return max(sel) - min(sel), max(tpr) - min(tpr)
        """)),
        ("eo as the mean of the TPR and FPR spreads", _src("""
            def fairness_metrics(y_true, y_pred, group):
                groups = np.unique(group)
                sel = [y_pred[group == g].mean() for g in groups]
                tpr = [y_pred[(group == g) & (y_true == 1)].mean() for g in groups]
                fpr = [y_pred[(group == g) & (y_true == 0)].mean() for g in groups]
                return max(sel) - min(sel), ((max(tpr) - min(tpr)) + (max(fpr) - min(fpr))) / 2
        """)),
        ("only groups 0 and 1", _src("""
            def fairness_metrics(y_true, y_pred, group):
                rates = lambda m: [y_pred[(group == g) & m].mean() for g in (0, 1)]
                gap = lambda r: abs(r[0] - r[1])
                everyone = np.ones(len(group), dtype=bool)
                return gap(rates(everyone)), max(gap(rates(y_true == 1)), gap(rates(y_true == 0)))
        """)),
        ("demographic parity from the labels, not the decisions", _src("""
            def fairness_metrics(y_true, y_pred, group):
                groups = np.unique(group)
                sel = [y_true[group == g].mean() for g in groups]
                tpr = [y_pred[(group == g) & (y_true == 1)].mean() for g in groups]
                fpr = [y_pred[(group == g) & (y_true == 0)].mean() for g in groups]
                return max(sel) - min(sel), max(max(tpr) - min(tpr), max(fpr) - min(fpr))
        """)),
    ],
    "fair_classifier": [
        ("the unaware model's single threshold 0.5", _fair("""
            def fair_classifier(X):
                return (approval_scores(X) > 0.5).astype(int)
        """)),
        ("approves everyone", _fair("""
            def fair_classifier(X):
                return np.ones(len(X), dtype=int)
        """)),
        ("returns the scores, not decisions", _fair("""
            def fair_classifier(X):
                return approval_scores(X)
        """)),
        ("swaps the two groups' thresholds", _fair("""
            val_scores, val_group = approval_scores(lending.X_val), lending.X_val[:, 0]
            rate = np.mean(val_scores > 0.5)
            t0, t1 = (np.quantile(val_scores[val_group == g], 1 - rate) for g in (0, 1))

            def fair_classifier(X):
                return (approval_scores(X) > np.where(X[:, 0] == 1, t0, t1)).astype(int)
        """)),
        ("parity by a lottery: group 0 approved at random at group 1's rate", _fair("""
            rng = np.random.default_rng(0)

            def fair_classifier(X):
                pred = (approval_scores(X) > 0.5).astype(int)
                group0 = X[:, 0] == 0
                pred[group0] = (rng.random(group0.sum()) < pred[~group0].mean()).astype(int)
                return pred
        """)),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "saliency": [
        ("torch.autograd.grad of the chosen logits, in float64", _src("""
            def saliency(state, x, target):
                model = load_cnn(state).double()
                xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
                chosen = model(xt).gather(1, torch.as_tensor(target).view(-1, 1))
                (grad,) = torch.autograd.grad(chosen.sum(), xt)
                return grad.abs().numpy()
        """)),
    ],
    "integrated_gradients": [
        ("one step at a time, in a loop", _src("""
            def integrated_gradients(state, x, baseline, target, steps=32):
                model = load_cnn(state)
                x, baseline = torch.as_tensor(x), torch.as_tensor(baseline)
                total = torch.zeros_like(x)
                rows = torch.arange(len(x))
                for k in range(steps):
                    point = (baseline + (k + 0.5) / steps * (x - baseline)).requires_grad_(True)
                    model(point)[rows, torch.as_tensor(target)].sum().backward()
                    total += point.grad
                return ((x - baseline) * total / steps).numpy()
        """)),
    ],
    "occlusion": [
        ("a batch of every covered copy at once", _src("""
            def occlusion(state, x, target, window, stride, fill=0.0):
                model = load_cnn(state)
                n = len(x)
                starts = [(i, j) for i in range(0, 8 - window + stride, stride)
                          for j in range(0, 8 - window + stride, stride)]
                masks = np.zeros((len(starts), 1, 1, 8, 8), dtype=bool)
                for k, (i, j) in enumerate(starts):
                    masks[k, :, :, i:i + window, j:j + window] = True
                covered = np.where(masks, np.float32(fill), x[None]).reshape(-1, *x.shape[1:])
                with torch.no_grad():
                    t = torch.as_tensor(target)
                    base = model(torch.as_tensor(x))[torch.arange(n), t].numpy()
                    hid = model(torch.as_tensor(covered, dtype=torch.float32))[torch.arange(len(covered)), t.repeat(len(starts))]
                drops = base[None] - hid.numpy().reshape(len(starts), n)
                total = (masks * drops[:, :, None, None, None]).sum(0)
                return total / masks.sum(0)
        """)),
    ],
    "fairness_metrics": [
        ("selection, TPR and FPR from one rate helper", _src("""
            def fairness_metrics(y_true, y_pred, group):
                def spread(mask):
                    rates = [y_pred[mask & (group == g)].mean() for g in set(group.tolist())]
                    return max(rates) - min(rates)
                return spread(np.ones(len(y_pred), dtype=bool)), max(spread(y_true == 1), spread(y_true == 0))
        """)),
    ],
    "fair_classifier": [
        ("thresholds fit on the training split by sorting", _fair("""
            train_scores, train_group = approval_scores(lending.X_train), lending.X_train[:, 0]
            share = np.mean(train_scores > 0.5)
            cut = {}
            for g in (0, 1):
                s = np.sort(train_scores[train_group == g])[::-1]
                cut[g] = s[int(share * len(s))]

            def fair_classifier(X):
                scores = approval_scores(X)
                return np.where(X[:, 0] == 1, scores > cut[1], scores > cut[0]).astype(int)
        """)),
    ],
}

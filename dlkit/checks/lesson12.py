"""Checks for lesson 12: explainability and fairness.

Exercises: ``saliency``, ``integrated_gradients`` and ``occlusion`` (attributions of
the lesson's digits CNN, handed over as its state dict in numpy), ``fairness_metrics``
(demographic parity and equalised odds differences) and ``fair_classifier`` (a
mitigated loan classifier, scored on held-out applicants for both accuracy and
demographic parity). The answer keys are :mod:`dlkit.reference.explain`, whose
tests hold them to Captum and Fairlearn; the notebook never calls them.
"""

from __future__ import annotations

import numpy as np

from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, Verdict, register
from dlkit.reference import explain

#: Float32 networks and inputs, answers compared with a float64 answer key.
ATTRIBUTION_TOL = (1e-3, 1e-5)

#: Library attributions the exercises ask the student to write instead.
_CAPTUM = ("captum.attr.Saliency", "captum.attr.IntegratedGradients", "captum.attr.Occlusion",
           "captum.attr.FeatureAblation", "captum.attr.InputXGradient")
_FAIRLEARN = ("fairlearn.metrics.demographic_parity_difference", "fairlearn.metrics.equalized_odds_difference",
              "fairlearn.metrics.MetricFrame", "fairlearn.metrics.selection_rate",
              "fairlearn.metrics.true_positive_rate", "fairlearn.metrics.false_positive_rate")


# -- shared pieces of the attribution cases -----------------------------------------------------

def random_cnn_state(rng: np.random.Generator, c1: int = 8, c2: int = 16) -> dict:
    """A DigitsCNN state dict (float32 numpy) with random weights, scaled so logits spread over a few units."""
    def layer(fan_in, *shape):
        return (rng.normal(size=shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    return {"conv1.weight": layer(9, c1, 1, 3, 3), "conv1.bias": layer(9, c1) * 0.1,
            "conv2.weight": layer(9 * c1, c2, c1, 3, 3), "conv2.bias": layer(9 * c1, c2) * 0.1,
            "fc.weight": layer(16 * c2, 10, 16 * c2), "fc.bias": layer(16 * c2, 10) * 0.1}


def _images(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` float32 images (n, 1, 8, 8) in [0, 1], brighter in the middle like a digit."""
    yy, xx = np.mgrid[:8, :8]
    blob = np.exp(-((yy - 3.5) ** 2 + (xx - 3.5) ** 2) / 8.0)
    return np.clip(rng.random((n, 1, 8, 8)) * blob + 0.1 * rng.random((n, 1, 8, 8)), 0, 1).astype(np.float32)


def _targets(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 10, size=n).astype(np.int64)


# -- 1. saliency ------------------------------------------------------------------------------------

def _saliency_visible() -> list[Case]:
    rng = np.random.default_rng(121)
    state = random_cnn_state(rng)
    x = _images(rng, 1)
    return [
        Case((state, x, np.array([3])), label="one image, target class 3",
             hint="Differentiate the target class's logit (not the loss, not a softmax probability) with respect "
                  "to the input pixels, and take the absolute value."),
        Case((state, _images(rng, 4), np.array([0, 9, 4, 4])), label="a batch: each image with its own target",
             hint="Pick logits[n, target[n]] for every n (logits[torch.arange(N), target]), sum them and call "
                  "backward once: each image's gradient only depends on its own logit."),
        *_saliency_cases(cases.fixed_rng()),
    ]


def _saliency_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for _ in range(2):
        n = int(rng.integers(1, 6))
        out.append(Case((random_cnn_state(rng), _images(rng, n), _targets(rng, n)),
                        label="random network, images and targets"))
    n = int(rng.integers(2, 5))
    out.append(Case((random_cnn_state(rng, int(rng.integers(2, 6)), int(rng.integers(3, 9))), _images(rng, n),
                     _targets(rng, n)), label="a network with other channel counts",
                    hint="Build the network from the state you are given (load_cnn(state)), not a global one."))
    return out


register(Exercise(
    id="12.saliency", function="saliency", reference=explain.saliency,
    visible=_saliency_visible, hidden=_saliency_cases, rtol=ATTRIBUTION_TOL[0], atol=ATTRIBUTION_TOL[1],
    forbidden=_CAPTUM,
    hint="model = load_cnn(state); x = torch.tensor(x, requires_grad=True); take logits[arange(N), target], "
         "sum, backward, and return x.grad.abs() as numpy, shaped like x.",
))


# -- 2. integrated gradients --------------------------------------------------------------------------

def _ig_visible() -> list[Case]:
    rng = np.random.default_rng(122)
    state = random_cnn_state(rng)
    x = _images(rng, 2)
    zeros = np.zeros_like(x)
    return [
        Case((state, x, zeros, np.array([1, 7])), {"steps": 1},
             label="steps=1: the gradient at the middle of the path, times x - baseline",
             hint="With the midpoint rule, step k (0-based) evaluates the gradient at baseline + (k + 0.5) / steps * "
                  "(x - baseline): for steps=1 that is halfway, not at the baseline or at x."),
        Case((state, x, zeros, np.array([1, 7])), {"steps": 4}, label="a black baseline, 4 steps",
             hint="Average the gradients over the steps (a mean, not a sum), then multiply by (x - baseline)."),
        Case((state, x, np.full_like(x, 0.5), np.array([2, 2])), {"steps": 8}, label="a grey baseline",
             hint="The path starts at the baseline you are given, and the factor is (x - baseline), not x."),
        Case((state, x, zeros, np.array([5, 0])), label="the default number of steps (32)"),
        *_ig_cases(cases.fixed_rng()),
    ]


def _ig_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for label in ("random network, images, baselines, targets and steps", "a network with other channel counts"):
        state = (random_cnn_state(rng) if label.startswith("random")
                 else random_cnn_state(rng, int(rng.integers(2, 6)), int(rng.integers(3, 9))))
        n = int(rng.integers(1, 4))
        x = _images(rng, n)
        baseline = (rng.random() * np.ones_like(x)).astype(np.float32)
        out.append(Case((state, x, baseline, _targets(rng, n)), {"steps": int(rng.integers(2, 40))}, label=label))
    return out


register(Exercise(
    id="12.integrated_gradients", function="integrated_gradients", reference=explain.integrated_gradients,
    visible=_ig_visible, hidden=_ig_cases, rtol=ATTRIBUTION_TOL[0], atol=ATTRIBUTION_TOL[1],
    forbidden=_CAPTUM,
    hint="alphas = (arange(steps) + 0.5) / steps; gradients of the target logit at baseline + alpha * (x - baseline) "
         "for every alpha; IG = (x - baseline) * their mean over the steps.",
))


# -- 3. occlusion ----------------------------------------------------------------------------------------

def _occlusion_visible() -> list[Case]:
    rng = np.random.default_rng(123)
    state = random_cnn_state(rng)
    x = _images(rng, 2)
    t = np.array([4, 8])
    return [
        Case((state, x, t, 8, 1), label="one window over the whole image",
             hint="The attribution is f(x) - f(occluded x), for the target logit: positive where covering hurts."),
        Case((state, x, t, 2, 2), label="2x2 windows that tile the image"),
        Case((state, x, t, 3, 1), label="overlapping windows: each pixel gets the mean over the windows covering it",
             hint="Keep a count of the windows covering each pixel next to the sum of their drops, and divide."),
        Case((state, x, t, 3, 2), label="windows that do not tile evenly: the last one hangs over the edge",
             hint="Windows start at 0, stride, 2 * stride, ... up to the first start at or beyond 8 - window: "
                  "range(0, 8 - window + stride, stride). The last window covers only the pixels inside."),
        Case((state, x, t, 2, 2), {"fill": 0.5}, label="covering with grey (fill=0.5)",
             hint="Set the covered pixels to `fill`, not to 0."),
        *_occlusion_cases(cases.fixed_rng()),
    ]


def _occlusion_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for _ in range(2):
        n = int(rng.integers(1, 4))
        window = int(rng.integers(1, 5))
        out.append(Case((random_cnn_state(rng), _images(rng, n), _targets(rng, n), window,
                         int(rng.integers(1, window + 1))),
                        {"fill": float(np.round(rng.random(), 2))}, label="random window, stride and fill"))
    n = int(rng.integers(1, 4))
    out.append(Case((random_cnn_state(rng), _images(rng, n), _targets(rng, n), 3, 1),
                    label="overlapping windows: each pixel gets the mean over the windows covering it"))
    return out


register(Exercise(
    id="12.occlusion", function="occlusion", reference=explain.occlusion,
    visible=_occlusion_visible, hidden=_occlusion_cases, rtol=ATTRIBUTION_TOL[0], atol=ATTRIBUTION_TOL[1],
    forbidden=_CAPTUM,
    hint="For i, j in range(0, 8 - window + stride, stride): cover x[:, :, i:i+window, j:j+window] with fill, "
         "add f(x) - f(covered) to a total and 1 to a count over the window; return total / count.",
))


# -- 4. fairness metrics ------------------------------------------------------------------------------------

def _decisions_case(rng: np.random.Generator, groups, sizes, rates, label: str, hint: str = "") -> Case:
    """Labels, decisions and groups: every group holds both labels; decisions follow ``rates`` per group."""
    y_true, y_pred, group = [], [], []
    for g, n, r in zip(groups, sizes, rates):
        truth = np.r_[np.zeros(n // 2, dtype=np.int64), np.ones(n - n // 2, dtype=np.int64)]
        pred = (rng.random(n) < np.where(truth == 1, r + 0.3, r) / 1.3).astype(np.int64)
        y_true.append(truth)
        y_pred.append(pred)
        group.append(np.full(n, g, dtype=np.int64))
    order = rng.permutation(sum(sizes))
    return Case((np.concatenate(y_true)[order], np.concatenate(y_pred)[order], np.concatenate(group)[order]),
                label=label, hint=hint)


def _fairness_visible() -> list[Case]:
    y_true = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 1, 1, 0, 0])
    group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    rng = np.random.default_rng(124)
    return [
        Case((y_true, y_pred, group), label="two groups of four: equal true positive rates, unequal false positives",
             hint="dp = largest selection rate minus smallest (3/4 - 2/4); eo = the larger of the TPR spread "
                  "(1 - 1 = 0) and the FPR spread (1/2 - 0): equalised odds looks at both rates."),
        Case((y_true, y_pred, 1 - group), label="the same with the group labels swapped: differences are >= 0",
             hint="Both metrics are max - min over the groups, never negative, whichever group is ahead."),
        _decisions_case(rng, [0, 1, 2], [30, 40, 50], [0.2, 0.5, 0.8], "three groups: max minus min over all of them",
                        hint="Take max - min over every group in np.unique(group), not a difference of groups 0 "
                             "and 1."),
        _decisions_case(rng, [3, 7], [20, 36], [0.6, 0.3], "group labels that are not 0 and 1"),
        *_fairness_cases(cases.fixed_rng()),
    ]


def _fairness_cases(rng: np.random.Generator) -> list[Case]:
    """The drawn cases, visible (``cases.fixed_rng()``) and hidden (the grader's rng) alike."""
    out = []
    for _ in range(3):
        k = int(rng.integers(2, 5))
        groups = rng.choice(10, size=k, replace=False)
        out.append(_decisions_case(rng, groups, rng.integers(6, 80, size=k), rng.random(k) * 0.9,
                                   "random groups, labels and decisions"))
    return out


register(Exercise(
    id="12.fairness_metrics", function="fairness_metrics", reference=explain.fairness_metrics,
    visible=_fairness_visible, hidden=_fairness_cases, rtol=1e-9, atol=1e-12,
    forbidden=_FAIRLEARN,
    hint="For each group g in np.unique(group): selection rate = mean of y_pred; TPR = mean of y_pred where "
         "y_true == 1; FPR = mean of y_pred where y_true == 0. dp = max - min of the selection rates; "
         "eo = max(max - min of the TPRs, max - min of the FPRs). Return (dp, eo).",
))


# -- 5. a mitigated classifier (a "model" exercise, scored on held-out applicants) -----------------------

#: The data set of exercise 5: ``data.make_biased_lending(seed=LENDING_SEED)``; its test split is held out.
LENDING_SEED = 0
#: Exercise 5 passes with at least this accuracy (on the recorded labels) ...
FAIR_ACCURACY = 0.72
#: ... and a demographic parity difference of at most this much, on held-out applicants.
FAIR_DP = 0.08
#: The one label of exercise 5's cases, visible (the whole test split) and hidden (a new selection of it).
HELD_OUT_APPLICANTS = "held-out applicants, which training never touches"


def held_out_applicants() -> tuple[np.ndarray, np.ndarray]:
    """The test split of ``data.make_biased_lending(seed=LENDING_SEED)``: X (N, 5) float32 (column 0 the group), y."""
    from dlkit import data

    ds = data.make_biased_lending(seed=LENDING_SEED)
    return ds.X_test, ds.y_test


def fair_and_accurate(case: Case, output: tuple) -> Verdict:
    """``score`` of exercise 5: 0/1 decisions, accuracy >= FAIR_ACCURACY and DP difference <= FAIR_DP."""
    labels = np.asarray(case.secret)
    group = np.asarray(case.args[0])[:, 0]
    pred = output[0].reshape(-1) if output[0].ndim == 2 and output[0].shape[1] == 1 else output[0]
    if pred.shape != labels.shape:
        return Verdict(False, f"gave decisions of shape {output[0].shape} for {labels.shape[0]} applicants; "
                              f"return one decision per row, shape ({labels.shape[0]},)")
    if not np.isin(pred, (0.0, 1.0)).all():
        return Verdict(False, "returned values other than 0 and 1; return decisions (1 = approve), not scores")
    accuracy = float(np.mean(pred == labels))
    rates = [float(pred[group == g].mean()) for g in np.unique(group)]
    dp = max(rates) - min(rates)
    message = (f"accuracy on {labels.shape[0]} held-out applicants is {accuracy:.1%} (at least {FAIR_ACCURACY:.0%} "
               f"needed), demographic parity difference {dp:.3f} (at most {FAIR_DP} allowed)")
    return Verdict(accuracy >= FAIR_ACCURACY and dp <= FAIR_DP, message)


def _applicants_visible() -> list[Case]:
    X, y = held_out_applicants()
    return [Case((X,), secret=y, label=HELD_OUT_APPLICANTS)]


def _applicants_hidden(rng: np.random.Generator) -> list[Case]:
    X, y = held_out_applicants()
    pick = np.sort(rng.permutation(len(y))[: 2 * len(y) // 3])
    return [Case((X[pick],), secret=y[pick], label=HELD_OUT_APPLICANTS)]


register(Exercise(
    id="12.fair_classifier", function="fair_classifier", reference=None, kind="model", score=fair_and_accurate,
    visible=_applicants_visible, hidden=_applicants_hidden,
    hint="Score applicants with the trained model, then approve with a threshold per group (column 0 of X) chosen "
         "on the validation split so both groups are approved at the same rate; return 0/1 decisions, shape (N,).",
))

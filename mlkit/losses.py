"""Cost functions (lecture 02): value and gradient with respect to the prediction.

Usage:  ``loss = CrossEntropyLoss();  value = loss(scores, y);  g = loss.backward()``  — ``g`` is ∂loss/∂pred,
of the same shape as ``pred``, ready for ``model.backward(g)``.

Each loss averages (``reduction="mean"``) or sums (``reduction="sum"``) per-element terms ℓᵢ, exactly as
PyTorch does: element-wise losses average over every element, classification losses over the n samples.
Notation: p the prediction, t the target, s a score, y a label.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._checks import (as_float_array, as_labels, as_number, as_positive, as_signed_labels, check_finite,
                      check_same_shape, in_interval)
from .activations import _log_softmax


class Loss:
    """Base class: ``forward(pred, target) -> float`` stores what ``backward() -> ∂loss/∂pred`` needs."""

    def __init__(self, *, reduction: str = "mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction
        self._grad = None

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def forward(self, pred, target) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the loss was computed")
        return self._grad

    def _pred(self, pred) -> np.ndarray:
        p = as_float_array(pred, "pred")
        check_finite(p, "pred")
        return p

    def _reduce(self, terms: np.ndarray, grad_terms: np.ndarray, n: int) -> float:
        """Combine per-term losses and keep the matching gradient: mean divides both by n."""
        if self.reduction == "mean":
            n = max(n, 1)
            self._grad = grad_terms / grad_terms.dtype.type(n)
            return float(terms.sum() / n)
        self._grad = grad_terms
        return float(terms.sum())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class _ElementwiseLoss(Loss):
    """Losses on a prediction and a real target of identical shape; the mean runs over all elements."""

    def _pair(self, pred, target):
        p = self._pred(pred)
        t = as_float_array(target, "target", dtype=p.dtype)
        check_same_shape(p, t)
        check_finite(t, "target")
        return p, t


class MSELoss(_ElementwiseLoss):
    """L2 / squared error: ℓ = (p − t)²,  ∂ℓ/∂p = 2(p − t)."""

    def forward(self, pred, target) -> float:
        p, t = self._pair(pred, target)
        d = p - t
        return self._reduce(d * d, 2.0 * d, d.size)


class L1Loss(_ElementwiseLoss):
    """L1 / absolute error: ℓ = |p − t|,  ∂ℓ/∂p = sign(p − t) (0 at p = t, as torch)."""

    def forward(self, pred, target) -> float:
        p, t = self._pair(pred, target)
        d = p - t
        return self._reduce(np.abs(d), np.sign(d), d.size)


class HuberLoss(_ElementwiseLoss):
    """Huber: ℓ = ½d² if |d| ≤ δ else δ(|d| − ½δ), with d = p − t;  ∂ℓ/∂p = clip(d, −δ, δ).

    Quadratic near zero (like L2), linear in the tails (like L1: robust to outliers).
    """

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = as_positive(delta, "delta")

    def forward(self, pred, target) -> float:
        p, t = self._pair(pred, target)
        d = p - t
        a = np.abs(d)
        terms = np.where(a <= self.delta, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))
        return self._reduce(terms, np.clip(d, -self.delta, self.delta), d.size)


_BCE_EPS = float(np.float32(1e-12))  # torch's clamp for p(1 − p), a float32 constant even in float64


class BCELoss(_ElementwiseLoss):
    """Binary cross-entropy on probabilities p ∈ [0, 1]:  ℓ = −[t log p + (1 − t) log(1 − p)].

    As torch, each log is clamped at −100 so that p = 0 or 1 gives a finite loss, and the gradient
    ∂ℓ/∂p = (p − t) / max(p(1 − p), 1e−12).
    """

    def forward(self, pred, target) -> float:
        p, t = self._pair(pred, target)
        if np.any((p < 0) | (p > 1)):
            raise ValueError(f"BCELoss expects probabilities in [0, 1], got values in [{p.min()}, {p.max()}]"
                             "; use BCEWithLogitsLoss for raw scores")
        if np.any((t < 0) | (t > 1)):
            raise ValueError(f"BCELoss expects targets in [0, 1], got values in [{t.min()}, {t.max()}]")
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100.0)
            log_1mp = np.maximum(np.log1p(-p), -100.0)
        terms = -(t * log_p + (1.0 - t) * log_1mp)
        grad = (p - t) / np.maximum(p * (1.0 - p), _BCE_EPS)
        return self._reduce(terms, grad, p.size)


class BCEWithLogitsLoss(_ElementwiseLoss):
    """Sigmoid + binary cross-entropy on a score s, in one stable formula:

    ℓ = max(s, 0) − s t + log(1 + e^(−|s|)),     ∂ℓ/∂s = σ(s) − t.
    """

    decision_threshold = 0.0  # pred is a logit s: class 1 when s ≥ 0, i.e. σ(s) ≥ 0.5 (used by mlkit.train)

    def forward(self, pred, target) -> float:
        s, t = self._pair(pred, target)
        terms = np.maximum(s, 0.0) - s * t + np.log1p(np.exp(-np.abs(s)))
        return self._reduce(terms, expit(s) - t, s.size)


class _ClassificationLoss(Loss):
    """Losses on scores of shape (n, k) and integer labels (n,) in [0, k); the mean runs over n."""

    def _scores(self, pred) -> np.ndarray:
        z = self._pred(pred)
        if z.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects pred of shape (n, k), got shape {z.shape}")
        return z

    def _labels(self, target, z: np.ndarray) -> np.ndarray:
        y = as_labels(target, n_classes=z.shape[1], name="target")
        if y.shape[0] != z.shape[0]:
            raise ValueError(f"target must have shape ({z.shape[0]},) to match pred {z.shape}, got {y.shape}")
        return y


class CrossEntropyLoss(_ClassificationLoss):
    """Softmax + negative log-likelihood on logits z (n, k), like ``torch.nn.CrossEntropyLoss``.

    With a label y:            ℓ = −log softmax(z)_y,        ∂ℓ/∂z = softmax(z) − onehot(y).
    With probabilities t (n, k): ℓ = −Σⱼ tⱼ log softmax(z)ⱼ,  ∂ℓ/∂z = softmax(z) Σⱼ tⱼ − t.
    ``label_smoothing`` ε mixes the one-hot target with the uniform one: t = (1 − ε) onehot + ε/k.
    """

    def __init__(self, *, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction=reduction)
        self.label_smoothing = in_interval(label_smoothing, "label_smoothing", 0.0, 1.0)

    def forward(self, pred, target) -> float:
        z = self._scores(pred)
        n, k = z.shape
        log_p = _log_softmax(z)
        target_arr = np.asarray(target)
        if target_arr.ndim == 2:  # class probabilities
            t = as_float_array(target_arr, "target", dtype=z.dtype)
            check_same_shape(z, t)
            check_finite(t, "target")
        else:
            y = self._labels(target_arr, z)
            t = np.zeros_like(z)
            t[np.arange(n), y] = 1.0
        if self.label_smoothing:  # as torch: t ← (1 − ε) t + ε/k
            t = (1.0 - self.label_smoothing) * t + self.label_smoothing / k
        terms = -(t * log_p).sum(axis=1)
        grad = np.exp(log_p) * t.sum(axis=1, keepdims=True) - t
        return self._reduce(terms, grad, n)


class NLLLoss(_ClassificationLoss):
    """Negative log-likelihood on log-probabilities (e.g. LogSoftmax output):  ℓ = −log_p[y],
    ∂ℓ/∂log_p = −onehot(y)."""

    def forward(self, pred, target) -> float:
        log_p = self._scores(pred)
        y = self._labels(target, log_p)
        rows = np.arange(log_p.shape[0])
        grad = np.zeros_like(log_p)
        grad[rows, y] = -1.0
        return self._reduce(-log_p[rows, y], grad, log_p.shape[0])


class MultiMarginLoss(_ClassificationLoss):
    """Multi-class hinge loss, like ``torch.nn.MultiMarginLoss`` (p = 1 or 2):

    ℓ = (1/k) Σ_{j ≠ y} max(0, margin − z_y + z_j)^p
    """

    def __init__(self, *, reduction: str = "mean", p: int = 1, margin: float = 1.0):
        super().__init__(reduction=reduction)
        if p not in (1, 2):
            raise ValueError(f"p must be 1 or 2, got {p!r}")
        self.p, self.margin = int(p), as_number(margin, "margin")

    def forward(self, pred, target) -> float:
        z = self._scores(pred)
        y = self._labels(target, z)
        n, k = z.shape
        rows = np.arange(n)
        gaps = self.margin - z[rows, y][:, None] + z   # margin − z_y + z_j, for every j
        gaps[rows, y] = 0.0                            # the true class does not compete with itself
        active = gaps > 0
        hinge = np.where(active, gaps, 0.0)
        if self.p == 1:
            terms, dz = hinge.sum(axis=1) / k, active.astype(z.dtype) / k
        else:
            terms, dz = (hinge * hinge).sum(axis=1) / k, 2.0 * hinge / k
        grad = dz.copy()
        grad[rows, y] = -dz.sum(axis=1)
        return self._reduce(terms, grad, n)


class _BinaryMarginLoss(_ElementwiseLoss):
    """Binary losses of the margin y·s with labels y ∈ {−1, +1} (same shape as the scores s)."""

    def _margins(self, pred, target):
        s = self._pred(pred)
        y = as_signed_labels(target, name="target").astype(s.dtype)
        check_same_shape(s, y)
        return s, y


class HingeLoss(_BinaryMarginLoss):
    """ℓ = max(0, margin − y s),  ∂ℓ/∂s = −y where margin − y s > 0, else 0 (support vector machines)."""

    def __init__(self, *, reduction: str = "mean", margin: float = 1.0):
        super().__init__(reduction=reduction)
        self.margin = as_number(margin, "margin")

    def forward(self, pred, target) -> float:
        s, y = self._margins(pred, target)
        gap = self.margin - y * s
        active = gap >= 0  # at the kink take the slope −y, as torch.clamp(margin − y·s, min=0) does
        return self._reduce(np.where(active, gap, 0.0), np.where(active, -y, 0.0), s.size)


class PerceptronLoss(_BinaryMarginLoss):
    """Perceptron criterion: ℓ = max(0, −y s),  ∂ℓ/∂s = −y on mistakes (y s ≤ 0), else 0.

    Gradient descent on it with step η is Rosenblatt's rule θ ← θ + η y x̃ on each misclassified sample.
    At y s = 0 the slope −y is used (as torch.clamp(−y·s, min=0) does): from zero weights every sample
    counts as a mistake, so descent starts moving instead of sitting at the kink.
    """

    def forward(self, pred, target) -> float:
        s, y = self._margins(pred, target)
        mistakes = y * s <= 0
        return self._reduce(np.where(mistakes, -y * s, 0.0), np.where(mistakes, -y, 0.0), s.size)


def zero_one_loss(y_true, y_pred) -> float:
    """Fraction of errors, mean of 𝟙{ŷ ≠ y}. ``y_pred`` may be labels (n,) or scores (n, k) (then ŷ = argmax)."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        raise ValueError("y_pred of shape (n, 1) is ambiguous: pass predicted labels (n,) or scores (n, k ≥ 2)")
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(f"y_true must have shape (n,) and y_pred shape (n,) or (n, k); got y_true "
                         f"{y_true.shape} and y_pred {np.shape(y_pred)}")
    if y_true.size == 0:
        raise ValueError("zero_one_loss needs at least one sample, got 0")
    return float(np.mean(y_true != y_pred))


__all__ = [
    "Loss", "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "NLLLoss", "MultiMarginLoss", "HingeLoss", "PerceptronLoss", "zero_one_loss",
]

"""Data sets for the course: logic gates, toy problems and scikit-learn's digits, plus (re-exported from
``mlkit.mnist``) the MNIST and Fashion-MNIST loaders.

Conventions: rows are samples, ``X`` has shape ``(n, d)``; class labels are int64 arrays of shape ``(n,)``;
every random generator takes ``rng`` (a ``np.random.Generator`` or an int seed).

Toy problems (float64), defined here
    logic_gate(name)                    the four rows (0,0), (0,1), (1,0), (1,1) and the gate's output
    make_separable(n, d, margin, rng)   labels ±1, linearly separable with a known margin γ
    make_xor(n, noise, rng)             four Gaussian blobs, XOR labels {0, 1}
    make_spirals(n, n_classes, noise, rng)
    load_digits()                       scikit-learn's 8×8 digits, pixels scaled to [0, 1]
    one_hot(y, k)

Images (float32, shape (n, 784), pixels in [0, 1]), defined in ``mlkit.mnist``
    load_mnist(...), load_fashion_mnist(...) -> (X_train, y_train, X_test, y_test)
    load_mnist_sample(...)              5,000 real MNIST digits, identical on every machine (exercises)
    OfflineFallbackWarning              the warning of ``load_mnist`` when it falls back to those digits
    data_dir(), download_file(url), FASHION_MNIST_CLASSES

``mlkit.mnist`` explains where the images come from: a checksummed cache, a system copy, a download, and
for MNIST an offline fallback.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import as_int_at_least, as_labels, as_nonnegative, as_rng
from .mnist import (
    FASHION_MNIST_CLASSES,
    OfflineFallbackWarning,
    data_dir,
    download_file,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
    stratified_split,  # shared by load_digits and the MNIST fallback
)

__all__ = [
    "logic_gate",
    "make_separable",
    "make_xor",
    "make_spirals",
    "load_digits",
    "one_hot",
    "load_mnist",
    "load_mnist_sample",
    "load_fashion_mnist",
    "data_dir",
    "download_file",
    "FASHION_MNIST_CLASSES",
    "OfflineFallbackWarning",
]


# --------------------------------------------------------------------------------------------------------
# toy problems

_GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
}


def logic_gate(name: str):
    """The truth table of a two-input logic gate as a tiny data set.

    Returns ``X`` float64 ``(4, 2)`` with rows (0,0), (0,1), (1,0), (1,1) and ``y`` int64 ``(4,)`` in {0, 1}.
    ``name`` is one of and, or, xor, nand, nor (any case). AND, OR, NAND and NOR are linearly separable;
    XOR is not — no perceptron w·x + b can get all four rows right.
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in _GATES:
        raise ValueError(f"unknown logic gate {name!r}; expected one of {', '.join(_GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array(_GATES[key], dtype=np.int64)
    return X, y


def make_separable(n: int, d: int = 2, margin: float = 0.1, rng=None):
    """A linearly separable sample with labels ±1 and a known geometric margin.

    Returns ``(X, y, w, b)``: ``X`` float64 ``(n, d)``, ``y`` int64 ``(n,)`` in {−1, +1}, and the true
    separator ``w`` ``(d,)``, ``b`` (float) with ‖[w, b]‖ = 1 in the bias-augmented space x̃ = [x, 1], such
    that every point satisfies

        yᵢ (w · xᵢ + b) ≥ margin,

    i.e. the geometric margin γ = minᵢ yᵢ [w, b]·x̃ᵢ / ‖[w, b]‖ of (w, b) is at least ``margin``. The points
    lie in the box [−1, 1]^d, so R = maxᵢ ‖x̃ᵢ‖ ≤ √(d + 1) and the perceptron makes at most (R/γ)² updates.

    How it is drawn (all from ``rng``):

    1. [w, b] = g / ‖g‖ with g ~ N(0, I_{d+1}): a uniformly random direction in the augmented space.
       A direction is redrawn (up to 200 times) while fewer than 1% of 4,096 uniform pilot points of the
       box lie beyond the margin on either side — so that both classes have room.
    2. ⌈n/2⌉ points with label +1 and ⌊n/2⌋ with label −1 (balanced classes): each class by rejection
       sampling, x ~ Uniform([−1, 1]^d) kept when y(w·x + b) ≥ margin, so each class is uniform on its
       part of the box. The sample is then shuffled.

    ``margin`` must be below √d (a box corner is the farthest any point can be); a margin the box cannot
    hold comfortably raises ``ValueError`` rather than looping.
    """
    n = as_int_at_least(n, "n", 2)
    d = as_int_at_least(d, "d", 1)
    margin = as_nonnegative(margin, "margin")
    if margin >= math.sqrt(d):
        raise ValueError(
            f"margin must be < sqrt(d) = {math.sqrt(d):.4g} for points in the box [-1, 1]^{d}, got {margin}"
        )
    rng = as_rng(rng)
    need = margin + 1e-12  # a hair above the margin, so recomputing y(w·x + b) never rounds below it

    pilot_size, min_fraction = 4096, 0.01
    for _ in range(200):
        wb = rng.standard_normal(d + 1)
        wb /= np.linalg.norm(wb)
        w, b = wb[:d], float(wb[d])
        s = rng.uniform(-1.0, 1.0, size=(pilot_size, d)) @ w + b
        fractions = (np.mean(s >= need), np.mean(s <= -need))
        if min(fractions) >= min_fraction:
            break
    else:
        raise ValueError(
            f"margin {margin} is too large for points in the box [-1, 1]^{d}: for 200 random separators "
            f"less than {min_fraction:.0%} of the box lay beyond the margin on one side; use a smaller margin"
        )

    def sample_side(sign: int, count: int, fraction: float) -> np.ndarray:
        kept, have = [], 0
        max_rows = max(1024, 4_000_000 // d)  # bound the memory of one batch
        for _ in range(10_000):
            if have >= count:
                break
            rows = min(max_rows, int((count - have) / fraction * 1.5) + 64)
            U = rng.uniform(-1.0, 1.0, size=(rows, d))
            ok = U[sign * (U @ w + b) >= need]
            kept.append(ok[: count - have])
            have += len(kept[-1])
        else:  # pragma: no cover - needs an acceptance rate far below the checked 1%
            raise RuntimeError("make_separable: rejection sampling did not finish")
        return np.concatenate(kept) if kept else np.empty((0, d))

    n_pos, n_neg = (n + 1) // 2, n // 2
    X = np.concatenate([sample_side(+1, n_pos, fractions[0]), sample_side(-1, n_neg, fractions[1])])
    y = np.concatenate([np.ones(n_pos, dtype=np.int64), -np.ones(n_neg, dtype=np.int64)])
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order]), y[order], w.copy(), b


def _split_counts(n: int, k: int) -> np.ndarray:
    """n items shared among k groups as evenly as possible (the first n mod k groups get one more)."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def make_xor(n: int, noise: float = 0.2, rng=None):
    """The XOR problem with noise: four Gaussian blobs at the corners (±1, ±1) of a square.

    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, 1}: a point's label is 1 when its blob
    lies in the 2nd or 4th quadrant (x₁ x₂ < 0 at the centre), i.e. y = [c₁ > 0] XOR [c₂ > 0] for the centre
    c — the XOR gate of ``logic_gate("xor")`` with inputs 0 ↦ −1. Each blob gets n/4 points (± 1), with
    x = c + noise · ε, ε ~ N(0, I); the sample is shuffled. Not linearly separable.
    """
    n = as_int_at_least(n, "n", 1)
    noise = as_nonnegative(noise, "noise")
    rng = as_rng(rng)
    centres = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    blob = np.repeat(np.arange(4), _split_counts(n, 4))
    X = centres[blob] + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order]), labels[blob][order]


def make_spirals(n: int, n_classes: int = 2, noise: float = 0.05, rng=None, turns: float = 1.0):
    """Interleaved spirals, one arm per class: a classic problem that needs a non-linear model.

    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, …, n_classes − 1}. Class j gets n/k points
    (± 1); each has t ~ Uniform(0, 1), radius r = t and angle θ = 2π (j/k + turns · t), and

        x = r [cos θ, sin θ] + noise · ε,   ε ~ N(0, I).

    The sample is shuffled.
    """
    n = as_int_at_least(n, "n", 1)
    k = as_int_at_least(n_classes, "n_classes", 2)
    noise = as_nonnegative(noise, "noise")
    turns = as_nonnegative(turns, "turns")
    rng = as_rng(rng)
    y = np.repeat(np.arange(k, dtype=np.int64), _split_counts(n, k))
    t = rng.uniform(0.0, 1.0, size=n)
    theta = 2.0 * np.pi * (y / k + turns * t)
    X = t[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    X += noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order]), y[order]


def one_hot(y, k: int | None = None, dtype=np.float64) -> np.ndarray:
    """One-hot rows: ``Y[i, y[i]] = 1`` and 0 elsewhere, shape ``(n, k)``.

    ``k`` defaults to max(y) + 1; labels must be integers in [0, k).
    """
    if k is not None:
        k = as_int_at_least(k, "k", 1)
    y = as_labels(y, n_classes=k)
    if y.size and y.min() < 0:
        raise ValueError(f"y must hold labels >= 0, got minimum {int(y.min())}")
    if k is None:
        k = int(y.max()) + 1 if y.size else 0
    Y = np.zeros((y.size, k), dtype=dtype)
    Y[np.arange(y.size), y] = 1
    return Y


def load_digits(test_size: float | None = None, rng=0):
    """scikit-learn's 1,797 handwritten digits, 8×8 pixels: ``X`` float64 ``(n, 64)`` in [0, 1], ``y`` int64.

    Pixel values 0–16 are divided by 16. ``load_digits()`` returns ``(X, y)`` in scikit-learn's order.
    ``load_digits(test_size=0.25, rng=0)`` returns ``(X_train, y_train, X_test, y_test)`` instead: a
    stratified split (each digit contributes ``round(test_size · count)`` test samples), shuffled by ``rng``.
    """
    from sklearn.datasets import load_digits as _sklearn_digits

    digits = _sklearn_digits()
    X = np.ascontiguousarray(digits.data, dtype=np.float64) / 16.0
    y = digits.target.astype(np.int64)
    if test_size is None:
        return X, y
    if isinstance(test_size, bool) or not isinstance(test_size, (float, np.floating)) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be None or a fraction in (0, 1), got {test_size!r}")
    train, test = stratified_split(y, float(test_size), rng)
    return X[train], y[train], X[test], y[test]

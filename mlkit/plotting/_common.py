"""Pieces every figure of ``mlkit.plotting`` shares: a new Axes when none is given, checked 2-D points and
their labels, label text, padded axis limits, and one coloured scatter per class."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def new_axes(ax, figsize=(5.0, 4.0)):
    """``ax`` itself, or the Axes of a new figure of size ``figsize`` when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def as_points_2d(X, name: str = "X") -> np.ndarray:
    """``X`` as finite float64 points of shape (n, 2), n ≥ 1: the two features drawn as x₁ and x₂."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 2) with n ≥ 1 (two features to draw), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values; expected finite coordinates")
    return X


def labels_per_point(y, n: int, name: str = "y") -> np.ndarray:
    """One label per point, of shape (n,). Any values are fine (0/1, ±1, strings): they only pick colours,
    unlike ``mlkit._checks.as_labels``, which wants class indices 0, 1, …, k − 1."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match X, got shape {y.shape}")
    return y


def label_text(value) -> str:
    """How a label is written in a legend or title: 3.0 → '3', np.int64(7) → '7', 'cat' → 'cat'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def padded_limits(values: np.ndarray, padding: float) -> tuple[float, float]:
    """(min, max) of ``values`` widened on both sides by ``padding`` times their span."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    return lo - padding * span, hi + padding * span


def scatter_classes(ax, X, y, classes, palette=None, markers="osD^v<>p*hX"):
    """One scatter per class in ``classes``; class ``palette[i]`` gets colour Ci (``palette`` defaults to
    ``classes``, so the sorted labels get C0, C1, …, matching the filled regions)."""
    palette = classes if palette is None else palette
    for c in classes:
        i = int(np.flatnonzero(palette == c)[0])
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], c=f"C{i % 10}", marker=markers[i % len(markers)], s=30,
                   edgecolors="k", linewidths=0.5, label=f"class {label_text(c)}", zorder=3)

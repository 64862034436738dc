"""Grids of small images (lectures 07, 08, 09, 11): digits with their labels and predictions, weights seen
as images (encoder filters, the columns of a softmax regression), inputs above their reconstructions."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ._common import label_text


def _as_image_stack(images) -> np.ndarray:
    """(n, h, w) float images from flat square rows (n, p) — 784 → 28×28, 64 → 8×8 — a single flat image
    (p,), or images that already have the shape (n, h, w)."""
    arr = np.asarray(images)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ValueError(f"images must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim not in (2, 3) or arr.shape[0] == 0:
        raise ValueError(f"images must have shape (n, n_pixels) or (n, height, width) with n ≥ 1, "
                         f"got {np.shape(images)}")
    if arr.ndim == 3:
        return arr
    p = arr.shape[1]
    side = math.isqrt(p)
    if side * side != p:
        raise ValueError(f"cannot infer a square image shape from {p} pixels; pass the images with shape "
                         f"(n, height, width)")
    return arr.reshape(arr.shape[0], side, side)


def _grid_axes(n_rows, n_cols, ax, fig, cell=(1.25, 1.45)):
    """A (n_rows, n_cols) array of Axes: inside ``ax`` (as insets), on ``fig``, or on a new figure."""
    if ax is not None:
        fig = ax.figure
        ax.set_axis_off()
        gap = 0.08
        w, h = 1.0 / n_cols, 1.0 / n_rows
        axes = np.empty((n_rows, n_cols), dtype=object)
        for r in range(n_rows):
            for c in range(n_cols):
                axes[r, c] = ax.inset_axes([c * w + gap * w / 2, 1 - (r + 1) * h + gap * h / 2,
                                            w * (1 - gap), h * (1 - gap) * 0.85])
        return fig, axes
    if fig is None:
        fig = plt.figure(figsize=(cell[0] * n_cols, cell[1] * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    return fig, axes


def _show(cell, image, cmap, vmin, vmax):
    """One image in one grid cell, without ticks."""
    cell.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    cell.set_xticks([])
    cell.set_yticks([])


def _set_suptitle(fig, ax, text):
    """The title of the whole grid: on ``ax`` when the grid lives inside it, else on the figure."""
    if text is None:
        return
    if ax is not None:
        ax.set_title(text)
    else:
        fig.suptitle(text)


def plot_images(images, labels=None, predictions=None, n_cols=None, ax=None, fig=None, cmap="gray",
                normalize=False, titles=None, vmin=None, vmax=None, suptitle=None):
    """A grid of small images: digits, misclassified examples, autoencoder filters.

    ``images``: flat (n, p) rows of square images (784 → 28×28, 64 → 8×8) or images of shape (n, h, w).
    ``n_cols`` images per row (default up to 10). Title of each image: ``titles[k]`` if given, else
    "t: 8 p: 4" when both ``labels`` and ``predictions`` are given (in red when they differ), else the label
    or "p: …". Grey levels are shared across the grid (``vmin``/``vmax``, default the overall min and max;
    ``cmap`` e.g. ``"RdBu_r"`` for weights of both signs) unless ``normalize=True``, which stretches each
    image to its own [min, max] — what encoder filters (the columns of W_e, pass ``W_e.T``) need.

    Draws on ``fig`` (a Figure), inside ``ax`` (an Axes, split into insets), or on a new figure, with
    ``suptitle`` above the grid. Returns the Figure; the image Axes are the ones holding an image.
    """
    imgs = _as_image_stack(images)
    n = imgs.shape[0]
    for name, values in (("labels", labels), ("predictions", predictions), ("titles", titles)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must have one entry per image ({n}), got {len(values)}")
    n_cols = min(n, 10) if n_cols is None else int(n_cols)
    if n_cols < 1:
        raise ValueError(f"n_cols must be ≥ 1, got {n_cols}")

    if normalize:
        lo = imgs.min(axis=(1, 2), keepdims=True)
        span = imgs.max(axis=(1, 2), keepdims=True) - lo
        imgs = np.divide(imgs - lo, span, out=np.zeros_like(imgs), where=span > 0)
        vmin, vmax = 0.0, 1.0
    else:
        vmin = float(imgs.min()) if vmin is None else vmin
        vmax = float(imgs.max()) if vmax is None else vmax

    fig, axes = _grid_axes(math.ceil(n / n_cols), n_cols, ax, fig)
    for k, cell in enumerate(axes.flat):
        if k >= n:
            cell.set_axis_off()
            continue
        _show(cell, imgs[k], cmap, vmin, vmax)
        text, colour = None, "k"
        if titles is not None:
            text = str(titles[k])
        elif labels is not None and predictions is not None:
            text = f"t: {label_text(labels[k])} p: {label_text(predictions[k])}"
            colour = "k" if labels[k] == predictions[k] else "crimson"
        elif labels is not None:
            text = label_text(labels[k])
        elif predictions is not None:
            text = f"p: {label_text(predictions[k])}"
        if text is not None:
            cell.set_title(text, fontsize=8, color=colour)
    _set_suptitle(fig, ax, suptitle)
    return fig


def plot_reconstructions(originals, reconstructions, n=10, fig=None, suptitle="Inputs and reconstructions",
                         ax=None):
    """Two rows: the first ``n`` inputs above their reconstructions, on one grey scale. Returns the Figure.

    Images as for :func:`plot_images`. Draws on ``fig``, inside ``ax`` (an Axes, split into insets), or on
    a new figure.
    """
    a, b = _as_image_stack(originals), _as_image_stack(reconstructions)
    if a.shape != b.shape:
        raise ValueError(f"originals and reconstructions must have the same shape, "
                         f"got {a.shape} and {b.shape}")
    n = min(int(n), a.shape[0])
    if n < 1:
        raise ValueError(f"n must be ≥ 1, got {n}")
    a, b = a[:n], b[:n]
    vmin, vmax = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    fig, axes = _grid_axes(2, n, ax, fig)
    for k in range(n):
        _show(axes[0, k], a[k], "gray", vmin, vmax)
        _show(axes[1, k], b[k], "gray", vmin, vmax)
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("reconstruction")
    _set_suptitle(fig, ax, suptitle)
    return fig

"""Figures for the lectures: decision regions, learning curves, image grids, activations, the perceptron at
work, loss surfaces and confusion matrices.

This is the only mlkit module that imports matplotlib. No function here calls ``plt.show()`` or blocks:
each draws into the Axes it is given (``ax=...``) or into a new figure, and returns the Axes (or the Figure
for grids of small pictures, or the animation object), so a notebook shows it inline and a script can save
it. Axes get a title, axis labels and a legend where there is something to tell apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.ticker import LogFormatterSciNotation, LogLocator

_MAX_DISCRETE_CLASSES = 20


# ----------------------------------------------------------------------------------------------- helpers
def _new_axes(ax, figsize=(5.0, 4.0)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _as_points_2d(X, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 2) with n ≥ 1 (two features to draw), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values; expected finite coordinates")
    return X


def _as_labels(y, n: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match X, got shape {y.shape}")
    return y


def _fmt_label(value) -> str:
    """3.0 → '3', 'cat' → 'cat'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _padded_limits(values: np.ndarray, padding: float) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    return lo - padding * span, hi + padding * span


def _scatter_classes(ax, X, y, classes, palette=None, markers="osD^v<>p*hX"):
    """One scatter per class in ``classes``; class ``palette[i]`` gets colour Ci (``palette`` defaults to
    ``classes``, so the sorted labels get C0, C1, …, matching the filled regions)."""
    palette = classes if palette is None else palette
    for c in classes:
        i = int(np.flatnonzero(palette == c)[0])
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], c=f"C{i % 10}", marker=markers[i % len(markers)], s=30,
                   edgecolors="k", linewidths=0.5, label=f"class {_fmt_label(c)}", zorder=3)


# ------------------------------------------------------------------------------------ decision boundary
def _model_outputs(model, points, method):
    """Call the model on a batch of points: ``model.<method>``, else ``model.predict``, else ``model(...)``.

    A module with a ``training`` flag (an mlkit Module) is evaluated in eval mode and its mode restored.
    """
    if method is not None:
        if not hasattr(model, method):
            raise ValueError(f"the model has no method {method!r}")
        return getattr(model, method)(points)
    if hasattr(model, "predict"):
        return model.predict(points)
    if not callable(model):
        raise ValueError(f"expected a predict function or a model with .predict, got {type(model).__name__}")
    if hasattr(model, "training") and hasattr(model, "train"):
        was_training = model.training
        model.train(False)
        try:
            return model(points)
        finally:
            model.train(was_training)
    return model(points)


def plot_decision_boundary(model, X, y=None, ax=None, resolution=200, padding=0.1, method=None,
                           alpha=0.3, cmap="RdBu_r", title="Decision regions", legend=True):
    """Filled regions of a classifier over the plane of the two features, with the data on top.

    ``model`` is a function ``f(points) -> outputs`` or an object with ``.predict`` (or the method named by
    ``method``, e.g. ``"decision_function"`` or ``"predict_proba"``); an mlkit Module is called in eval mode.
    Outputs of shape (m, k), k ≥ 2 (scores or probabilities) are reduced to the argmax class; (m, 1) is
    flattened. Integer-valued outputs (class labels) give one colour per class, matching the points' colours;
    anything else (probabilities, scores) is drawn as a continuous map with a colour bar and the level
    0.5 (outputs in [0, 1]) or 0 (scores) drawn as the boundary line.

    ``X`` (n, 2) points and ``y`` (n,) their labels (or None). Returns the Axes.
    """
    X = _as_points_2d(X)
    y = None if y is None else _as_labels(y, X.shape[0])
    ax = _new_axes(ax)
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be an integer ≥ 2, got {resolution}")

    (x0, x1), (y0, y1) = _padded_limits(X[:, 0], padding), _padded_limits(X[:, 1], padding)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    Z = np.asarray(_model_outputs(model, grid, method))
    if Z.ndim == 2 and Z.shape[1] == 1:
        Z = Z[:, 0]
    elif Z.ndim == 2 and Z.shape[1] >= 2:
        Z = np.argmax(Z, axis=1)
    if Z.shape != (grid.shape[0],):
        raise ValueError(f"the model returned outputs of shape {Z.shape} for {grid.shape[0]} points; "
                         f"expected ({grid.shape[0]},), ({grid.shape[0]}, 1) or ({grid.shape[0]}, k)")

    if Z.dtype == np.bool_:
        Z = Z.astype(np.int64)
    classes = np.unique(y) if y is not None else np.array([])
    numeric = np.issubdtype(Z.dtype, np.number) or Z.dtype == np.bool_
    discrete = not numeric or (np.all(np.isfinite(Z)) and np.all(Z == np.round(Z)))
    if discrete:
        all_classes = np.unique(np.concatenate([classes, Z])) if classes.size else np.unique(Z)
        discrete = all_classes.size <= _MAX_DISCRETE_CLASSES
    if discrete:
        index = np.searchsorted(all_classes, Z).reshape(gx.shape)
        k = all_classes.size
        colours = ListedColormap([f"C{i % 10}" for i in range(k)])
        ax.contourf(gx, gy, index, levels=np.arange(k + 1) - 0.5, cmap=colours, alpha=alpha)
        if k > 1:
            ax.contour(gx, gy, index, levels=np.arange(1, k) - 0.5, colors="k", linewidths=0.8)
        classes = all_classes[np.isin(all_classes, classes)] if y is not None else classes
        point_colours_from = all_classes
    else:
        Zg = np.ma.masked_invalid(Z.astype(np.float64).reshape(gx.shape))
        filled = ax.contourf(gx, gy, Zg, levels=20, cmap=cmap, alpha=max(alpha, 0.6))
        ax.figure.colorbar(filled, ax=ax, label="model output")
        lo, hi = float(Zg.min()), float(Zg.max())
        level = 0.5 if lo >= 0.0 and hi <= 1.0 else 0.0
        if lo < level < hi:
            ax.contour(gx, gy, Zg, levels=[level], colors="k", linewidths=1.2)
        point_colours_from = classes

    if y is not None:
        _scatter_classes(ax, X, y, classes, palette=point_colours_from)
    else:
        ax.scatter(X[:, 0], X[:, 1], c="k", s=15, label="data", zorder=3)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    if legend:
        ax.legend(loc="best", fontsize="small", framealpha=0.8)
    return ax


# ----------------------------------------------------------------------------------------- learning curves
def plot_history(history, ax=None, metrics=("loss",), logy=False, title="Learning curves"):
    """Per-epoch curves of a training run: for each metric m, ``m`` (solid) and ``val_m`` (dashed).

    ``history`` is an ``mlkit.train.History`` (anything with a ``.history`` dict) or a plain dict of
    per-epoch lists such as ``{"loss": [...], "val_loss": [...], "accuracy": [...], "val_accuracy": [...]}``.
    Missing or empty validation curves are skipped. Returns the Axes.
    """
    record = getattr(history, "history", history)
    if not isinstance(record, Mapping):
        raise ValueError(f"history must be a dict of per-epoch lists or have a .history dict, "
                         f"got {type(history).__name__}")
    if isinstance(metrics, str):
        metrics = (metrics,)
    ax = _new_axes(ax)
    for j, metric in enumerate(metrics):
        drawn = 0
        for key, style, prefix in ((metric, "-", "train"), (f"val_{metric}", "--", "validation")):
            values = record.get(key)
            if values is None:
                continue
            values = np.asarray(values, dtype=np.float64).ravel()
            if values.size == 0 or not np.any(np.isfinite(values)):
                continue
            ax.plot(np.arange(1, values.size + 1), values, style, color=f"C{j % 10}",
                    marker="o" if values.size <= 30 else None, markersize=3, label=f"{prefix} {metric}")
            drawn += 1
        if drawn == 0:
            raise ValueError(f"history has no values for {metric!r}; available keys: {sorted(record)}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(metrics))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


# ---------------------------------------------------------------------------------------------- image grids
def _as_image_stack(images, shape):
    """(n, h, w) float array from flat (n, p), a single flat (p,) or already (n, h, w) images."""
    arr = np.asarray(images)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ValueError(f"images must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim == 3 and shape is None:
        return arr
    if arr.ndim == 3:
        arr = arr.reshape(arr.shape[0], -1)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"images must have shape (n, n_pixels) or (n, height, width) with n ≥ 1, "
                         f"got {np.shape(images)}")
    p = arr.shape[1]
    if shape is None:
        side = math.isqrt(p)
        if side * side != p:
            raise ValueError(f"cannot infer a square image shape from {p} pixels; pass shape=(height, width)")
        shape = (side, side)
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or shape[0] * shape[1] != p:
        raise ValueError(f"shape {shape} does not hold {p} pixels per image")
    return arr.reshape(arr.shape[0], *shape)


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


def _image_grid(images, labels=None, predictions=None, n_cols=None, shape=None, ax=None, fig=None,
                cmap="gray", normalize=False, titles=None, class_names=None, vmin=None, vmax=None,
                suptitle=None):
    imgs = _as_image_stack(images, shape)
    n = imgs.shape[0]
    for name, values in (("labels", labels), ("predictions", predictions), ("titles", titles)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must have one entry per image ({n}), got {len(values)}")
    n_cols = min(n, 10) if n_cols is None else int(n_cols)
    if n_cols < 1:
        raise ValueError(f"n_cols must be ≥ 1, got {n_cols}")
    n_rows = math.ceil(n / n_cols)

    if normalize:
        lo = imgs.min(axis=(1, 2), keepdims=True)
        span = imgs.max(axis=(1, 2), keepdims=True) - lo
        imgs = np.divide(imgs - lo, span, out=np.zeros_like(imgs), where=span > 0)
        vmin, vmax = 0.0, 1.0
    else:
        vmin = float(imgs.min()) if vmin is None else vmin
        vmax = float(imgs.max()) if vmax is None else vmax

    def name_of(v):
        return str(class_names[int(v)]) if class_names is not None else _fmt_label(v)

    fig, axes = _grid_axes(n_rows, n_cols, ax, fig)
    for k, cell in enumerate(axes.flat):
        if k >= n:
            cell.set_axis_off()
            continue
        cell.imshow(imgs[k], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        cell.set_xticks([])
        cell.set_yticks([])
        text, colour = None, "k"
        if titles is not None:
            text = str(titles[k])
        elif labels is not None and predictions is not None:
            text = f"t: {name_of(labels[k])} p: {name_of(predictions[k])}"
            colour = "k" if labels[k] == predictions[k] else "crimson"
        elif labels is not None:
            text = name_of(labels[k])
        elif predictions is not None:
            text = f"p: {name_of(predictions[k])}"
        if text is not None:
            cell.set_title(text, fontsize=8, color=colour)
    if suptitle is not None:
        if ax is not None:
            ax.set_title(suptitle)
        else:
            fig.suptitle(suptitle)
    return fig, axes


def plot_images(images, labels=None, predictions=None, n_cols=None, shape=None, ax=None, fig=None,
                cmap="gray", normalize=False, titles=None, class_names=None, vmin=None, vmax=None,
                suptitle=None):
    """A grid of small images: digits, misclassified examples, autoencoder filters.

    ``images``: flat (n, p) rows (the square shape is inferred: 784 → 28×28, 64 → 8×8; else pass
    ``shape=(h, w)``) or (n, h, w). Titles per image: ``titles`` if given, else "t: 8 p: 4" when both
    ``labels`` and ``predictions`` are given (in red when they differ), else the label or "p: …".
    ``class_names`` maps integer labels to names. Grey levels are shared across the grid (``vmin``/``vmax``,
    default the overall min and max) unless ``normalize=True``, which stretches each image to its own
    [min, max] — what encoder filters (the columns of W_e, pass ``W_e.T``) need.

    Draws on ``fig`` (a Figure), inside ``ax`` (an Axes, split into insets), or on a new figure.
    Returns the Figure; the image Axes are the ones holding an image.
    """
    fig, _ = _image_grid(images, labels, predictions, n_cols, shape, ax, fig, cmap, normalize, titles,
                         class_names, vmin, vmax, suptitle)
    return fig


def plot_reconstructions(originals, reconstructions, n=10, shape=None, fig=None, cmap="gray",
                         suptitle="Inputs and reconstructions", ax=None):
    """Two rows: the first ``n`` inputs above their reconstructions, one grey scale. Returns the Figure.

    Draws on ``fig``, inside ``ax`` (an Axes, split into insets), or on a new figure.
    """
    a, b = _as_image_stack(originals, shape), _as_image_stack(reconstructions, shape)
    if a.shape != b.shape:
        raise ValueError(f"originals and reconstructions must have the same shape, "
                         f"got {a.shape} and {b.shape}")
    n = min(int(n), a.shape[0])
    fig, axes = _image_grid(np.concatenate([a[:n], b[:n]]), n_cols=n, ax=ax, fig=fig, cmap=cmap,
                            vmin=float(min(a[:n].min(), b[:n].min())),
                            vmax=float(max(a[:n].max(), b[:n].max())), suptitle=suptitle)
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("reconstruction")
    return fig


# ------------------------------------------------------------------------------------------------ activations
def _activation_name(act) -> str:
    if isinstance(act, str):
        return act
    extra = act.extra_repr() if hasattr(act, "extra_repr") else ""
    if hasattr(act, "forward"):
        return f"{type(act).__name__}({extra})" if extra else type(act).__name__
    return getattr(act, "__name__", "f")


def plot_activation(activation, z=None, ax=None, derivative=True, title=None):
    """An activation f(z) and its derivative f'(z) on a grid of z (default ``np.linspace(-5, 5, 401)``).

    ``activation`` is an ``mlkit.activations`` Module (instance or class), a name for
    ``mlkit.activations.get_activation`` (e.g. ``"relu"``), or a plain function of an array. For a Module,
    f'(z) is what backpropagation uses: ``backward(np.ones_like(z))`` right after ``forward(z)``, which for
    an element-wise f is f'(z) ⊙ 1. For a plain function the derivative is a finite difference
    (``np.gradient``). The grid is passed as a column (n, 1) so row-wise modules accept it too.
    Several calls on the same ``ax`` overlay activations. Returns the Axes.
    """
    if isinstance(activation, str):
        from mlkit.activations import get_activation

        activation = get_activation(activation)
    elif isinstance(activation, type):
        activation = activation()
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"z must be a 1-D grid of at least 2 points, got shape {z.shape}")
    name = _activation_name(activation)
    if hasattr(activation, "forward") and hasattr(activation, "backward"):
        column = z[:, None]
        out = np.asarray(activation.forward(column), dtype=np.float64).reshape(-1)
        grad = np.asarray(activation.backward(np.ones_like(column)), dtype=np.float64).reshape(-1) \
            if derivative else None
        derivative_label = f"{name}'(z)"
    elif callable(activation):
        out = np.asarray(activation(z), dtype=np.float64).reshape(-1)
        grad = np.gradient(out, z) if derivative else None
        derivative_label = f"{name}'(z) (finite differences)"
    else:
        raise ValueError(f"expected an activation Module, its name or a function, "
                         f"got {type(activation).__name__}")
    if out.shape != z.shape:
        raise ValueError(f"the activation returned {out.size} values for {z.size} inputs")

    ax = _new_axes(ax)
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.axvline(0.0, color="0.6", linewidth=0.8)
    (line,) = ax.plot(z, out, linewidth=2, label=f"{name}(z)")
    if grad is not None:
        ax.plot(z, grad, "--", linewidth=1.5, color=line.get_color(), label=derivative_label)
    ax.set_xlabel("z")
    ax.set_ylabel("f(z), f'(z)" if derivative else "f(z)")
    if title is not None:
        ax.set_title(title)
    else:
        ax.set_title(f"{ax.get_title()}, {name}" if ax.get_title() else name)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


# --------------------------------------------------------------------------------------- perceptron pictures
def _check_history(history):
    states = []
    for k, item in enumerate(history):
        try:
            w, b = item
        except (TypeError, ValueError):
            raise ValueError(f"history[{k}] must be a pair (w, b), got {item!r}") from None
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        if w.shape != (2,):
            raise ValueError(f"history[{k}] has w of shape {w.shape}; expected (2,) to draw in the plane")
        states.append((w, float(b)))
    if not states:
        raise ValueError("history is empty; expected the list of (w, b) states from Perceptron.history_")
    return states


def _update_point(X, states, k):
    """Index of the sample that caused update k (θₖ − θₖ₋₁ = η y [x, 1], so x = Δw / Δb), or None."""
    if k == 0:
        return None
    dw = states[k][0] - states[k - 1][0]
    db = states[k][1] - states[k - 1][1]
    if db == 0:
        return None
    x = dw / db
    dist = np.linalg.norm(X - x, axis=1)
    i = int(np.argmin(dist))
    return i if dist[i] <= 1e-4 * (1.0 + np.linalg.norm(x)) else None


def _draw_perceptron_state(ax, X, y, classes, states, k, xlim, ylim, legend=True, compact=False):
    w, b = states[k]
    gx, gy = np.meshgrid(np.linspace(*xlim, 80), np.linspace(*ylim, 80))
    positive = (w[0] * gx + w[1] * gy + b >= 0).astype(float)
    ax.contourf(gx, gy, positive, levels=[-0.5, 0.5, 1.5], colors=["C0", "C1"], alpha=0.15)
    if np.any(w != 0):
        if abs(w[1]) >= abs(w[0]):
            xs = np.array(xlim)
            ys = -(w[0] * xs + b) / w[1]
        else:
            ys = np.array(ylim)
            xs = -(w[1] * ys + b) / w[0]
        ax.plot(xs, ys, "k-", linewidth=1.5, label="w·x + b = 0")
    _scatter_classes(ax, X, y, classes)
    i = _update_point(X, states, k)
    if i is not None:
        ax.scatter(X[i, 0], X[i, 1], s=220, facecolors="none", edgecolors="k", linewidths=1.5,
                   label="mistake → update", zorder=4)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    n = len(states) - 1
    head = "start (w = 0)" if k == 0 else f"update {k}/{n}"
    if compact:
        ax.set_title(head if k == 0 else f"{head}\nw = [{w[0]:.3g}, {w[1]:.3g}], b = {b:.3g}", fontsize=9)
    else:
        ax.set_title(f"{head}: w = [{w[0]:.3g}, {w[1]:.3g}], b = {b:.3g}")
    if legend:
        ax.legend(loc="best", fontsize="x-small", framealpha=0.8)


def _perceptron_inputs(X, y, history, padding):
    X = _as_points_2d(X)
    y = _as_labels(y, X.shape[0])
    classes = np.unique(y)
    states = _check_history(history)
    return X, y, classes, states, _padded_limits(X[:, 0], padding), _padded_limits(X[:, 1], padding)


def animate_perceptron(X, y, history, ax=None, interval=700, padding=0.25, repeat=False):
    """An animation of the perceptron's line w·x + b = 0, one frame per state of ``history``.

    ``history`` is ``Perceptron.history_``: the zero state, then (w, b) after each update. Each frame shades
    the half-plane predicted positive, draws the line and circles the misclassified sample that caused the
    update. Returns a ``matplotlib.animation.FuncAnimation`` with ``len(history)`` frames; in a notebook::

        fig, ax = plt.subplots()
        anim = animate_perceptron(X, y, p.history_, ax=ax)
        plt.close(fig)                      # show only the animation, not the static figure
        HTML(anim.to_jshtml())              # from IPython.display import HTML

    (``plot_perceptron_steps`` draws the same story as a static grid.)
    """
    X, y, classes, states, xlim, ylim = _perceptron_inputs(X, y, history, padding)
    ax = _new_axes(ax, figsize=(5.0, 4.5))

    def draw(k):
        ax.clear()
        _draw_perceptron_state(ax, X, y, classes, states, k, xlim, ylim)
        return []

    return FuncAnimation(ax.figure, draw, frames=len(states), init_func=lambda: draw(0),
                         interval=interval, repeat=repeat, blit=False)


def plot_perceptron_steps(X, y, history, steps=None, ax=None, n_cols=4, padding=0.25, max_panels=8,
                          axes=None):
    """Small multiples of the perceptron's line at selected updates (a static version of the animation).

    ``steps``: indices into ``history`` (0 = the zero state); by default every state if there are at most
    ``max_panels``, else ``max_panels`` evenly spaced ones including the first and the last. ``ax`` (or its
    alias ``axes``): an Axes or an array of Axes to draw into (at least ``len(steps)`` of them), else a new
    figure with ``n_cols`` columns. Returns the Figure.
    """
    axes = ax if ax is not None else axes
    X, y, classes, states, xlim, ylim = _perceptron_inputs(X, y, history, padding)
    last = len(states) - 1
    if steps is None:
        steps = range(len(states)) if len(states) <= max_panels else \
            np.unique(np.linspace(0, last, max_panels).round().astype(int))
    steps = [int(s) for s in steps]
    if not steps or any(s < 0 or s > last for s in steps):
        raise ValueError(f"steps must be a non-empty list of indices in [0, {last}], got {steps}")
    if axes is None:
        n_cols = max(1, min(int(n_cols), len(steps)))
        n_rows = math.ceil(len(steps) / n_cols)
        fig, grid = plt.subplots(n_rows, n_cols, figsize=(3.0 * n_cols, 2.9 * n_rows), squeeze=False,
                                 layout="constrained")
        flat = list(grid.flat)
    else:
        flat = list(np.asarray(axes, dtype=object).flat)
        if len(flat) < len(steps):
            raise ValueError(f"need at least {len(steps)} Axes for {len(steps)} steps, got {len(flat)}")
        fig = flat[0].figure
    legend_panel = min(1, len(steps) - 1)          # the first panel with a line, if there is one
    for j, cell in enumerate(flat):
        if j < len(steps):
            _draw_perceptron_state(cell, X, y, classes, states, steps[j], xlim, ylim,
                                   legend=(j == legend_panel), compact=True)
        elif axes is None:
            cell.set_axis_off()
    return fig


# -------------------------------------------------------------------------------------------- loss surfaces
def _evaluate_surface(f, gx, gy):
    """f on the grid: tried as f(x, y) on meshgrid arrays, then f(p) with p = [x, y] stacked (vectorised),
    then point by point f(np.array([x, y]))."""
    try:
        Z = np.asarray(f(gx, gy), dtype=np.float64)
        if Z.shape == gx.shape:
            return Z
    except TypeError:
        pass
    try:
        Z = np.asarray(f(np.stack([gx, gy])), dtype=np.float64)
        if Z.shape == gx.shape:
            return Z
    except (TypeError, ValueError, IndexError):
        pass
    values = [float(f(np.array([a, b]))) for a, b in zip(gx.ravel(), gy.ravel())]
    return np.asarray(values).reshape(gx.shape)


def plot_loss_surface_2d(f, xlim, ylim, trajectories=None, ax=None, resolution=200, levels=30, log=False,
                         minimum=None, cmap="viridis", title="Loss surface"):
    """Contours of a loss of two weights, with optimizer paths on top (lecture 06).

    ``f``: ``f(w1, w2)`` on meshgrid arrays, or ``f(w)`` with ``w[0], w[1]`` (vectorised or one point).
    ``trajectories``: dict name → (T, 2) array of the iterates, e.g. ``{"SGD": path_sgd, "Adam": path_adam}``.
    ``log=True`` spaces the contour levels geometrically (for valleys like Rosenbrock's).
    ``minimum``: a point (2,) to mark with a star. Returns the Axes.
    """
    (x0, x1), (y0, y1) = (tuple(map(float, xlim)), tuple(map(float, ylim)))
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"xlim and ylim must be increasing pairs, got {xlim} and {ylim}")
    gx, gy = np.meshgrid(np.linspace(x0, x1, int(resolution)), np.linspace(y0, y1, int(resolution)))
    Z = np.ma.masked_invalid(_evaluate_surface(f, gx, gy))
    ax = _new_axes(ax, figsize=(5.5, 4.5))
    if log:
        positive = Z[Z > 0]
        if positive.size == 0:
            raise ValueError("log=True needs positive loss values on the grid")
        lv = np.geomspace(float(positive.min()), float(Z.max()), int(levels))
        filled = ax.contourf(gx, gy, Z, levels=lv, cmap=cmap, norm=LogNorm(), extend="min", alpha=0.85)
        ax.contour(gx, gy, Z, levels=lv, colors="k", linewidths=0.3, alpha=0.5)
        ax.figure.colorbar(filled, ax=ax, label="loss (log scale)", ticks=LogLocator(),
                           format=LogFormatterSciNotation())
    else:
        filled = ax.contourf(gx, gy, Z, levels=int(levels), cmap=cmap, alpha=0.85)
        ax.contour(gx, gy, Z, levels=int(levels), colors="k", linewidths=0.3, alpha=0.5)
        ax.figure.colorbar(filled, ax=ax, label="loss")
    colours = ["tab:red", "white", "tab:orange", "magenta", "cyan", "tab:pink", "yellow", "tab:brown"]
    for j, (name, path) in enumerate((trajectories or {}).items()):
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
            raise ValueError(f"trajectory {name!r} must have shape (T, 2), got {path.shape}")
        colour = colours[j % len(colours)]
        ax.plot(path[:, 0], path[:, 1], "-o", color=colour, markersize=2.5, linewidth=1.3, label=str(name))
        ax.plot(path[0, 0], path[0, 1], "o", color=colour, markersize=7, markeredgecolor="k")
    if minimum is not None:
        m = np.asarray(minimum, dtype=np.float64).reshape(-1)
        if m.shape != (2,):
            raise ValueError(f"minimum must be a point of shape (2,), got {np.shape(minimum)}")
        ax.plot(m[0], m[1], "*", color="gold", markersize=14, markeredgecolor="k", label="minimum")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(title)
    if trajectories or minimum is not None:
        ax.legend(loc="best", fontsize="small", framealpha=0.8)
    return ax


# ------------------------------------------------------------------------------------------ confusion matrix
def confusion_counts(y_true, y_pred, labels=None):
    """C[i, j] = number of samples with true label ``labels[i]`` predicted as ``labels[j]``.

    ``labels`` default: the sorted union of both arrays; samples whose labels are not listed are ignored.
    Returns (C, labels).
    """
    yt, yp = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if np.ndim(y_true) != 1 or np.ndim(y_pred) != 1 or yt.shape != yp.shape:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got shapes {np.shape(y_true)} "
                         f"and {np.shape(y_pred)}")
    labels = np.unique(np.concatenate([yt, yp])) if labels is None else np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or np.unique(labels).size != labels.size:
        raise ValueError(f"labels must be a non-empty list of distinct values, got {labels.tolist()}")
    order = np.argsort(labels)
    ordered = labels[order]

    def index(v):
        pos = np.clip(np.searchsorted(ordered, v), 0, labels.size - 1)
        return order[pos], ordered[pos] == v

    ti, t_ok = index(yt)
    pi, p_ok = index(yp)
    keep = t_ok & p_ok
    C = np.zeros((labels.size, labels.size), dtype=np.int64)
    np.add.at(C, (ti[keep], pi[keep]), 1)
    return C, labels


def plot_confusion_matrix(y_true, y_pred, ax=None, labels=None, normalize=None, display_labels=None,
                          cmap="Blues", title=None, colorbar=True):
    """Confusion matrix as a heat map with the number in every cell: rows true class, columns predicted.

    ``labels``: the classes to show, in order (default: every label present). ``display_labels``: their
    names (e.g. Fashion-MNIST's). ``normalize``: None (counts), ``"true"`` (rows sum to 1: recall per
    class), ``"pred"`` (columns sum to 1: precision) or ``"all"``. The default title reports the accuracy.
    Returns the Axes.
    """
    C, labels = confusion_counts(y_true, y_pred, labels)
    if normalize is True:
        normalize = "true"
    if normalize in (None, False):
        M = C
    elif normalize == "true":
        M = C / np.maximum(C.sum(axis=1, keepdims=True), 1)
    elif normalize == "pred":
        M = C / np.maximum(C.sum(axis=0, keepdims=True), 1)
    elif normalize == "all":
        M = C / max(C.sum(), 1)
    else:
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    names = [_fmt_label(v) for v in labels] if display_labels is None else [str(v) for v in display_labels]
    if len(names) != labels.size:
        raise ValueError(f"display_labels must name {labels.size} classes, got {len(names)}")

    k = labels.size
    ax = _new_axes(ax, figsize=(1.0 + 0.55 * max(k, 4), 0.8 + 0.5 * max(k, 4)))
    image = ax.imshow(M, cmap=cmap, interpolation="nearest", vmin=0)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="count" if M is C else "fraction")
    threshold = (M.max() if M.size else 0) / 2.0
    for i in range(k):
        for j in range(k):
            text = f"{M[i, j]:d}" if M is C else f"{M[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8 if k <= 10 else 6,
                    color="white" if M[i, j] > threshold else "black")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right"
                  if max(map(len, names)) > 3 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    total = C.sum()
    accuracy = np.trace(C) / total if total else float("nan")
    ax.set_title(title if title is not None else f"Confusion matrix (accuracy {accuracy:.1%})")
    return ax


__all__ = ["plot_decision_boundary", "plot_history", "plot_images", "plot_reconstructions", "plot_activation",
           "animate_perceptron", "plot_perceptron_steps", "plot_loss_surface_2d", "plot_confusion_matrix",
           "confusion_counts", "plot_backprop_graph"]


# ----------------------------------------------------------------------------- backpropagation graph
def plot_backprop_graph(n_layers=2, scalar_output=True, ax=None, title=None):
    """Draw the computation graph of an ``n_layers``-layer network, forward and backward, as boxes and arrows.

    The network is the one of lecture 05, with rows as vectors. Layer ``k = 1, …, L`` has weights ``W^k``,
    a bias row ``b^k`` and an element-wise activation ``f^k``::

        forward:   a^0 = x,   n^k = b^k + a^{k-1} W^k,   a^k = f^k(n^k),   ℓ = ‖y − a^L‖²
        backward:  s^k = ∂ℓ/∂n^k = ∂ℓ/∂a^k ⊙ f^k'(n^k),   ∂ℓ/∂a^{k-1} = s^k (W^k)ᵀ,
                   ∂ℓ/∂W^k = (a^{k-1})ᵀ s^k,   ∂ℓ/∂b^k = s^k

    The bottom row holds the ``2L + 2`` values of the forward pass in blue boxes: ``a^0``, then ``n^k`` and
    ``a^k`` for every layer, then the loss. Between two neighbouring boxes a black arrow (pointing right)
    carries the value forward, and a red arrow (pointing left) carries back the derivative of ℓ with respect
    to the box on its left, written in red below it: ``∂ℓ/∂x``, ``s^1``, ``∂ℓ/∂a^1``, …, ``∂ℓ/∂a^L``. Above
    every net input ``n^k`` an orange box holds that layer's parameters ``W^k, b^k``: a black arrow down
    (they enter ``n^k``), a red arrow up with their gradients ``(a^{k-1})ᵀ s^k, s^k`` next to it. The picture
    shows the point of backpropagation: every gradient is assembled from quantities available where it is
    needed — the cached forward value ``a^{k-1}`` and the sensitivity ``s^k`` arriving from the right.

    ``scalar_output=True`` writes the last layer as one output unit (plain ``n^L``, ``a^L``, ``b^L``, ``s^L``
    and the loss ``(y − a^L)²``), as in the lecture's 2-2-1 network; ``False`` writes it with bold vectors.

    Returns the Axes (with its axis lines switched off). The figure is made of ``2L + 2 + L`` boxes
    (``FancyBboxPatch``), ``2(2L + 1) + 2L`` arrows (annotations) and ``(2L + 2) + (2L + 1) + 2L`` labels.
    """
    from matplotlib.patches import FancyBboxPatch

    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)) or n_layers < 1:
        raise ValueError(f"n_layers must be a positive integer, got {n_layers!r}")
    L = int(n_layers)
    n_nodes = 2 * L + 2
    w, h, dx, y_params = 1.6, 0.42, 2.6, 1.25  # box width and height, spacing, height of the parameter row
    ax = _new_axes(ax, figsize=(2.3 * n_nodes + 0.2, 3.8))

    def vec(symbol, k):
        # bold for a row vector, plain for the single output unit
        return f"{symbol}^{{{k}}}" if (scalar_output and k == L) else rf"\mathbf{{{symbol}}}^{{{k}}}"

    def box(x, y, text, colour):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=colour, ec="k"))
        ax.text(x, y, text, ha="center", va="center", fontsize=10)

    def arrow(x0, y0, x1, y1, colour):
        ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(arrowstyle="->", lw=1.5, color=colour))

    nodes = [r"$\mathbf{a}^{0}=\mathbf{x}$"]
    carried = [r"$\partial\ell/\partial\mathbf{x}$"]                 # ∂ℓ/∂(value in the box), box by box
    for k in range(1, L + 1):
        nodes += [f"${vec('n', k)}={vec('b', k)}+{vec('a', k - 1)}W^{{{k}}}$",
                  f"${vec('a', k)}=f^{{{k}}}({vec('n', k)})$"]
        carried += [f"${vec('s', k)}$", rf"$\partial\ell/\partial {vec('a', k)}$"]
    loss = f"(y-a^{{{L}}})^2" if scalar_output else rf"\|\mathbf{{y}}-\mathbf{{a}}^{{{L}}}\|^2"
    nodes.append(rf"$\ell={loss}$")

    xs = dx * np.arange(n_nodes)
    for x, text in zip(xs, nodes):
        box(x, 0.0, text, "#dbe9f6")
    for i in range(n_nodes - 1):
        x0, x1 = xs[i] + w / 2 + 0.1, xs[i + 1] - w / 2 - 0.1
        arrow(x0, 0.07, x1, 0.07, "k")                                   # forward: the value
        arrow(x1, -0.07, x0, -0.07, "C3")                                # backward: the derivative
        ax.text((x0 + x1) / 2, -0.34, carried[i], color="C3", ha="center", va="top", fontsize=10)
    for k in range(1, L + 1):
        x = xs[2 * k - 1]                                                # above n^k
        box(x, y_params, f"$W^{{{k}}},\\ {vec('b', k)}$", "#fde9c8")
        arrow(x - 0.25, y_params - h / 2 - 0.08, x - 0.25, h / 2 + 0.08, "k")     # the parameters enter n^k
        arrow(x + 0.25, h / 2 + 0.08, x + 0.25, y_params - h / 2 - 0.08, "C3")    # their gradients go up
        ax.text(x + 0.4, 0.62, f"$({vec('a', k - 1)})^\\top {vec('s', k)},\\ {vec('s', k)}$", color="C3",
                ha="left", va="center", fontsize=10)
    ax.set(xlim=(-0.9, xs[-1] + 0.9), ylim=(-0.75, 1.6))
    ax.set_title(title if title is not None else
                 f"Forward (black: values) and backward (red: derivatives) through {L} layer{'s' * (L > 1)}")
    ax.axis("off")
    return ax


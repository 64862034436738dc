"""Decision regions: what a classifier predicts at every point of the plane of two features, with the data
on top (lectures 01, 02, 03 and 07)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from ._common import as_points_2d, labels_per_point, new_axes, padded_limits, scatter_classes

_MAX_DISCRETE_CLASSES = 20


def _model_outputs(model, points, method):
    """The model's outputs on a batch of points: ``model.<method>``, else ``model.predict``, else ``model``
    called through ``mlkit.train.predict`` (evaluation mode, Dropout off, the previous mode restored)."""
    if method is not None:
        if not hasattr(model, method):
            raise ValueError(f"the model has no method {method!r}")
        return getattr(model, method)(points)
    if hasattr(model, "predict"):
        return model.predict(points)
    if not callable(model):
        raise ValueError(f"expected a predict function or a model with .predict, got {type(model).__name__}")
    from ..train import predict  # here, not at the top: importing mlkit.plotting must not need mlkit.train
    return predict(model, points)


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
    X = as_points_2d(X)
    y = None if y is None else labels_per_point(y, X.shape[0])
    ax = new_axes(ax)
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be an integer ≥ 2, got {resolution}")

    (x0, x1), (y0, y1) = padded_limits(X[:, 0], padding), padded_limits(X[:, 1], padding)
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
        scatter_classes(ax, X, y, classes, palette=point_colours_from)
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

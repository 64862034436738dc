"""Loss surfaces: contours of a loss of two weights, with optimizer paths on top (lecture 06)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import LogFormatterSciNotation, LogLocator

from ._common import new_axes

_PATH_COLOURS = ["tab:red", "white", "tab:orange", "magenta", "cyan", "tab:pink", "yellow", "tab:brown"]


def plot_loss_surface_2d(f, xlim, ylim, trajectories=None, ax=None, resolution=200, levels=30, log=False,
                         minimum=None, cmap="viridis", title="Loss surface"):
    """Contours of a loss of two weights, with optimizer paths on top (lecture 06).

    ``f(w1, w2)`` is the loss written with numpy operations, so that it works element by element: it is
    called once, on the two ``(resolution, resolution)`` arrays of ``np.meshgrid``, and must return an
    array of that shape. For example ``lambda w1, w2: (1 - w1)**2 + 100 * (w2 - w1**2)**2`` (Rosenbrock).
    A loss written for a vector ``w`` fits with ``lambda w1, w2: loss(np.stack([w1, w2]))`` when it only
    uses ``w[0]`` and ``w[1]``.

    ``trajectories``: dict name → (T, 2) array of the iterates, e.g. ``{"SGD": path_sgd, "Adam": path_adam}``.
    ``log=True`` spaces the contour levels geometrically (for valleys like Rosenbrock's).
    ``minimum``: a point (2,) to mark with a star. Returns the Axes.
    """
    (x0, x1), (y0, y1) = (tuple(map(float, xlim)), tuple(map(float, ylim)))
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"xlim and ylim must be increasing pairs, got {xlim} and {ylim}")
    gx, gy = np.meshgrid(np.linspace(x0, x1, int(resolution)), np.linspace(y0, y1, int(resolution)))
    Z = np.asarray(f(gx, gy), dtype=np.float64)
    if Z.shape != gx.shape:
        raise ValueError(f"f(w1, w2) must work element by element: on two arrays of shape {gx.shape} it "
                         f"returned shape {Z.shape}")
    Z = np.ma.masked_invalid(Z)
    ax = new_axes(ax, figsize=(5.5, 4.5))
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
    for j, (name, path) in enumerate((trajectories or {}).items()):
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
            raise ValueError(f"trajectory {name!r} must have shape (T, 2), got {path.shape}")
        colour = _PATH_COLOURS[j % len(_PATH_COLOURS)]
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

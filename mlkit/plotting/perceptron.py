"""The perceptron at work (lecture 01): its line w·x + b = 0 after each update, as an animation or as
small multiples, with the misclassified sample that caused each update circled."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from ._common import as_points_2d, labels_per_point, new_axes, padded_limits, scatter_classes


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
    scatter_classes(ax, X, y, classes)
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
    X = as_points_2d(X)
    y = labels_per_point(y, X.shape[0])
    classes = np.unique(y)
    states = _check_history(history)
    return X, y, classes, states, padded_limits(X[:, 0], padding), padded_limits(X[:, 1], padding)


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
    ax = new_axes(ax, figsize=(5.0, 4.5))

    def draw(k):
        ax.clear()
        _draw_perceptron_state(ax, X, y, classes, states, k, xlim, ylim)
        return []

    return FuncAnimation(ax.figure, draw, frames=len(states), init_func=lambda: draw(0),
                         interval=interval, repeat=repeat, blit=False)


def plot_perceptron_steps(X, y, history, steps=None, ax=None, n_cols=4, padding=0.25, max_panels=8):
    """Small multiples of the perceptron's line at selected updates (a static version of the animation).

    ``steps``: indices into ``history`` (0 = the zero state); by default every state if there are at most
    ``max_panels``, else ``max_panels`` evenly spaced ones including the first and the last. ``ax``: an Axes
    or an array of Axes to draw into (at least ``len(steps)`` of them, e.g. the ``axes`` of
    ``plt.subplots``), else a new figure with ``n_cols`` columns. Returns the Figure.
    """
    X, y, classes, states, xlim, ylim = _perceptron_inputs(X, y, history, padding)
    last = len(states) - 1
    if steps is None:
        steps = range(len(states)) if len(states) <= max_panels else \
            np.unique(np.linspace(0, last, max_panels).round().astype(int))
    steps = [int(s) for s in steps]
    if not steps or any(s < 0 or s > last for s in steps):
        raise ValueError(f"steps must be a non-empty list of indices in [0, {last}], got {steps}")
    if ax is None:
        n_cols = max(1, min(int(n_cols), len(steps)))
        n_rows = math.ceil(len(steps) / n_cols)
        fig, grid = plt.subplots(n_rows, n_cols, figsize=(3.0 * n_cols, 2.9 * n_rows), squeeze=False,
                                 layout="constrained")
        flat = list(grid.flat)
    else:
        flat = list(np.asarray(ax, dtype=object).flat)
        if len(flat) < len(steps):
            raise ValueError(f"need at least {len(steps)} Axes for {len(steps)} steps, got {len(flat)}")
        fig = flat[0].figure
    legend_panel = min(1, len(steps) - 1)          # the first panel with a line, if there is one
    for j, cell in enumerate(flat):
        if j < len(steps):
            _draw_perceptron_state(cell, X, y, classes, states, steps[j], xlim, ylim,
                                   legend=(j == legend_panel), compact=True)
        elif ax is None:
            cell.set_axis_off()
    return fig

"""Curves: learning curves of a training run (lectures 08, 09) and an activation f(z) with its derivative
f'(z) (lecture 04)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..activations import get_activation
from ._common import new_axes


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
    ax = new_axes(ax)
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

    ax = new_axes(ax)
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

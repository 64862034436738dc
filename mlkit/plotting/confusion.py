"""Confusion matrices: how often each true class is predicted as each class, counted and drawn as a heat
map (lectures 07 and 08)."""

from __future__ import annotations

import numpy as np

from ._common import label_text, new_axes


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
    names = [label_text(v) for v in labels] if display_labels is None else [str(v) for v in display_labels]
    if len(names) != labels.size:
        raise ValueError(f"display_labels must name {labels.size} classes, got {len(names)}")

    k = labels.size
    ax = new_axes(ax, figsize=(1.0 + 0.55 * max(k, 4), 0.8 + 0.5 * max(k, 4)))
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

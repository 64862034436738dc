"""The computation graph of backpropagation: boxes for the values of the forward pass, arrows for values
going forward and derivatives coming back (lecture 05)."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyBboxPatch

from ._common import new_axes


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
    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)) or n_layers < 1:
        raise ValueError(f"n_layers must be a positive integer, got {n_layers!r}")
    L = int(n_layers)
    n_nodes = 2 * L + 2
    w, h, dx, y_params = 1.6, 0.42, 2.6, 1.25  # box width and height, spacing, height of the parameter row
    ax = new_axes(ax, figsize=(2.3 * n_nodes + 0.2, 3.8))

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

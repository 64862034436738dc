"""Figures for the lectures, one kind of figure per module:

- ``boundaries``: decision regions of a classifier over the plane of two features
- ``surfaces``:   contours of a loss of two weights, with optimizer paths
- ``curves``:     learning curves of a training run; an activation and its derivative
- ``confusion``:  confusion matrices, counted and drawn
- ``images``:     grids of small images; inputs above their reconstructions
- ``perceptron``: the perceptron's line after each update, animated or as small multiples
- ``graphs``:     the forward and backward computation graph of backpropagation

Import the functions from here: ``from mlkit.plotting import plot_decision_boundary``.

This package is the only part of mlkit that imports matplotlib. No function here calls ``plt.show()`` or
blocks: each draws into the Axes it is given (``ax=...``) or into a new figure, and returns the Axes (or the
Figure for grids of small pictures, or the animation object), so a notebook shows it inline and a script can
save it. Axes get a title, axis labels and a legend where there is something to tell apart.
"""

from .boundaries import plot_decision_boundary
from .confusion import confusion_counts, plot_confusion_matrix
from .curves import plot_activation, plot_history
from .graphs import plot_backprop_graph
from .images import plot_images, plot_reconstructions
from .perceptron import animate_perceptron, plot_perceptron_steps
from .surfaces import plot_loss_surface_2d

__all__ = ["plot_decision_boundary", "plot_history", "plot_images", "plot_reconstructions", "plot_activation",
           "animate_perceptron", "plot_perceptron_steps", "plot_loss_surface_2d", "plot_confusion_matrix",
           "confusion_counts", "plot_backprop_graph"]

"""mlkit — neural networks from first principles, in numpy.

Modules: ``layers`` (Parameter, Module, Linear, Sequential, Dropout), ``activations``, ``losses``,
``gradcheck``, ``optim``, ``train``, ``perceptron``, ``autoencoders``, ``data`` and ``plotting`` (the only
one that imports matplotlib, so it is not imported here).
"""

from . import activations, autoencoders, data, gradcheck, layers, losses, optim, perceptron, train
from .layers import Dropout, Linear, Module, Parameter, Sequential

__version__ = "0.1.0"

__all__ = ["activations", "autoencoders", "data", "gradcheck", "layers", "losses", "optim", "perceptron", "train",
           "Parameter", "Module", "Linear", "Sequential", "Dropout", "__version__"]

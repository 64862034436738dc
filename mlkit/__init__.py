"""mlkit — neural networks from first principles, in numpy.

Modules: ``layers`` (Parameter, Module, Linear, Sequential, Dropout), ``activations``, ``losses``,
``gradcheck``, ``optim``, ``train``, ``perceptron``, ``autoencoders``, ``data`` and ``plotting`` (the only
one that imports matplotlib, so it is not imported here).
"""

from . import activations, gradcheck, layers, losses
from .layers import Dropout, Linear, Module, Parameter, Sequential

__version__ = "0.1.0"

__all__ = ["activations", "gradcheck", "layers", "losses", "Parameter", "Module", "Linear", "Sequential",
           "Dropout", "__version__"]

"""mlkit — neural networks from first principles, in numpy.

Modules: ``layers`` (Parameter, Module, Linear, Sequential, Dropout), ``activations``, ``losses``,
``gradcheck``, ``optim`` (its learning-rate schedules live in ``schedules``), ``train``, ``perceptron``,
``autoencoders``, ``data`` (toy data sets; MNIST and Fashion-MNIST come from ``mnist``, reading ``idx`` files)
and the package ``plotting`` (the only part that imports matplotlib, so it is not imported here).
"""

from . import activations, autoencoders, data, gradcheck, layers, losses, optim, perceptron, train
from .layers import Dropout, Linear, Module, Parameter, Sequential

__version__ = "0.1.0"

__all__ = ["activations", "autoencoders", "data", "gradcheck", "layers", "losses", "optim", "perceptron", "train",
           "Parameter", "Module", "Linear", "Sequential", "Dropout", "__version__"]

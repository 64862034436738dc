"""Activation functions as Modules: the function and its derivative side by side (lecture 04).

Each ``forward(z)`` applies f element-wise (Softmax and LogSoftmax act on rows) and caches what the
derivative needs; ``backward(g)`` returns g ⊙ f'(z), the chain rule for an element-wise map. Names and
defaults follow PyTorch, so ``mlkit.activations.ELU(alpha=0.5)`` and ``torch.nn.ELU(alpha=0.5)`` agree.
All of them are stable for |z| up to 1e3: no overflow, no warnings.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._checks import as_float_array, as_number, as_positive_int
from .layers import Module, Parameter


def _softplus(z):
    """log(1 + e^z) without overflow: logaddexp(0, z)."""
    return np.logaddexp(0.0, z)


def _log_softmax(z):
    """Row-wise log softmax(z)ᵢ = zᵢ − log Σⱼ e^(zⱼ), computed as (zᵢ − m) − log Σⱼ e^(zⱼ − m) with m the row
    maximum: the largest exponent is e⁰ = 1, so nothing overflows. (Also used by ``CrossEntropyLoss``.)"""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class _Elementwise(Module):
    """Shared plumbing: convert the input, remember it, check the upstream gradient's shape."""

    def _input(self, z):
        z = as_float_array(z, f"{type(self).__name__} input")
        self.z = z
        return z

    def _upstream(self, grad_output):
        if getattr(self, "z", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        g = np.asarray(grad_output)
        if g.shape != self.z.shape:
            raise ValueError(f"{type(self).__name__}.backward expected grad_output of shape {self.z.shape}, "
                             f"got {g.shape}")
        return g


class Identity(_Elementwise):
    """f(z) = z,  f'(z) = 1."""

    def forward(self, z):
        return self._input(z)

    def backward(self, grad_output):
        return self._upstream(grad_output)


class Step(_Elementwise):
    """Heaviside step / hard limit: f(z) = 1 if z ≥ 0 else 0 (so f(0) = 1).

    f'(z) = 0 wherever it exists (z ≠ 0): no gradient flows, which is why the perceptron rule, not
    backpropagation, trains hard-limit units.
    """

    def forward(self, z):
        z = self._input(z)
        return (z >= 0).astype(z.dtype)

    def backward(self, grad_output):
        return np.zeros_like(self._upstream(grad_output), dtype=self.z.dtype)


class Sign(_Elementwise):
    """f(z) = sign(z) ∈ {−1, 0, +1} (f(0) = 0, like ``torch.sign``);  f'(z) = 0 a.e."""

    def forward(self, z):
        return np.sign(self._input(z))

    def backward(self, grad_output):
        return np.zeros_like(self._upstream(grad_output), dtype=self.z.dtype)


class Sigmoid(_Elementwise):
    """σ(z) = 1 / (1 + e^(−z)),  σ'(z) = σ(z)(1 − σ(z))."""

    def forward(self, z):
        self.out = expit(self._input(z))  # no overflow for large |z|
        return self.out

    def backward(self, grad_output):
        return self._upstream(grad_output) * self.out * (1.0 - self.out)


class Tanh(_Elementwise):
    """tanh(z) = 2σ(2z) − 1,  tanh'(z) = 1 − tanh(z)²."""

    def forward(self, z):
        self.out = np.tanh(self._input(z))
        return self.out

    def backward(self, grad_output):
        return self._upstream(grad_output) * (1.0 - self.out * self.out)


class ReLU(_Elementwise):
    """f(z) = max(0, z),  f'(z) = 𝟙{z > 0} (0 at z = 0, as torch)."""

    def forward(self, z):
        z = self._input(z)
        return np.maximum(z, 0.0, dtype=z.dtype)

    def backward(self, grad_output):
        return self._upstream(grad_output) * (self.z > 0)


class LeakyReLU(_Elementwise):
    """f(z) = z if z > 0 else a·z,  f'(z) = 1 if z > 0 else a   (a = negative_slope)."""

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = as_number(negative_slope, "negative_slope")

    def forward(self, z):
        z = self._input(z)
        return np.where(z > 0, z, self.negative_slope * z)

    def backward(self, grad_output):
        g = self._upstream(grad_output)
        return np.where(self.z > 0, g, self.negative_slope * g)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(_Elementwise):
    """f(z) = z if z > 0 else α(e^z − 1),  f'(z) = 1 if z > 0 else α e^z."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = as_number(alpha, "alpha")

    def forward(self, z):
        z = self._input(z)
        # e^z − 1 on the negative side only (never overflows); expm1 keeps digits for tiny |z|
        self.expm1_neg = np.expm1(np.minimum(z, 0.0))
        return np.where(z > 0, z, self.alpha * self.expm1_neg)

    def backward(self, grad_output):
        g = self._upstream(grad_output)
        exp_neg = np.exp(np.minimum(self.z, 0.0))  # not expm1 + 1: that would lose e^z for z ≪ 0
        return np.where(self.z > 0, g, g * self.alpha * exp_neg)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class PReLU(_Elementwise):
    """Leaky ReLU with a learnable slope a (one, or one per feature/channel on axis 1).

    f(z) = z if z > 0 else a·z;   ∂f/∂z = 1 if z > 0 else a;   ∂f/∂a = 0 if z > 0 else z.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float64):
        n = as_positive_int(num_parameters, "num_parameters")
        self.a = Parameter(np.full(n, as_number(init, "init"), dtype=dtype), name="a")

    def _slope(self, z):
        """The slope broadcast against z: a scalar, or shape (1, C, 1, ...) for C features on axis 1."""
        a = self.a.data.astype(z.dtype, copy=False)  # a float32 input stays float32
        if a.size == 1:
            return a.reshape(())
        if z.ndim < 2 or z.shape[1] != a.size:
            raise ValueError(f"PReLU with {a.size} parameters expects input of shape (n, {a.size}, ...), "
                             f"got {z.shape}")
        return a.reshape((1, a.size) + (1,) * (z.ndim - 2))

    def forward(self, z):
        z = self._input(z)
        return np.where(z > 0, z, self._slope(z) * z)

    def backward(self, grad_output):
        g = self._upstream(grad_output)
        negative = self.z <= 0
        grad_a = np.where(negative, self.z * g, 0.0)
        if self.a.data.size == 1:
            self.a.grad += grad_a.sum()
        else:
            self.a.grad += grad_a.sum(axis=tuple(i for i in range(g.ndim) if i != 1))
        return np.where(negative, self._slope(self.z) * g, g)

    def extra_repr(self) -> str:
        return f"num_parameters={self.a.data.size}"


class Softplus(_Elementwise):
    """f(z) = (1/β) log(1 + e^(βz)), and f(z) = z where βz > threshold (as torch);  f'(z) = σ(βz)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta, self.threshold = as_number(beta, "beta"), as_number(threshold, "threshold")

    def forward(self, z):
        z = self._input(z)
        bz = self.beta * z
        self.linear = bz > self.threshold
        return np.where(self.linear, z, _softplus(bz) / self.beta)

    def backward(self, grad_output):
        g = self._upstream(grad_output)
        return np.where(self.linear, g, g * expit(self.beta * self.z))

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(_Elementwise):
    """SiLU / swish: f(z) = z σ(z),  f'(z) = σ(z)(1 + z(1 − σ(z)))."""

    def forward(self, z):
        z = self._input(z)
        self.sig = expit(z)
        return z * self.sig

    def backward(self, grad_output):
        s = self.sig
        return self._upstream(grad_output) * s * (1.0 + self.z * (1.0 - s))


class Mish(_Elementwise):
    """f(z) = z tanh(softplus(z)),  f'(z) = tanh(sp) + z σ(z)(1 − tanh(sp)²)  with sp = log(1 + e^z)."""

    def forward(self, z):
        z = self._input(z)
        self.t = np.tanh(_softplus(z))
        return z * self.t

    def backward(self, grad_output):
        t = self.t
        return self._upstream(grad_output) * (t + self.z * expit(self.z) * (1.0 - t * t))


class Hardtanh(_Elementwise):
    """f(z) = clip(z, min_val, max_val),  f'(z) = 𝟙{min_val < z < max_val}."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        self.min_val, self.max_val = as_number(min_val, "min_val"), as_number(max_val, "max_val")
        if not self.min_val < self.max_val:
            raise ValueError(f"max_val must be greater than min_val = {min_val}, got {max_val}")

    def forward(self, z):
        return np.clip(self._input(z), self.min_val, self.max_val)

    def backward(self, grad_output):
        inside = (self.z > self.min_val) & (self.z < self.max_val)
        return self._upstream(grad_output) * inside

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class _RowWise(_Elementwise):
    """Softmax-like maps act on each row of a 2-D input (axis 1, the class axis)."""

    def _input(self, z):
        z = super()._input(z)
        if z.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects scores of shape (n, k), got shape {z.shape}")
        return z


class Softmax(_RowWise):
    """softmax(z)ᵢ = e^(zᵢ) / Σⱼ e^(zⱼ), per row.

    The Jacobian is J = diag(s) − s sᵀ, so the vector-Jacobian product is  gᵀJ = s ⊙ (g − ⟨g, s⟩).
    Subtracting the row maximum first changes nothing mathematically and prevents overflow.
    """

    def forward(self, z):
        z = self._input(z)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.out = e / e.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, grad_output):
        g = self._upstream(grad_output)
        s = self.out
        return s * (g - np.sum(g * s, axis=1, keepdims=True))


class LogSoftmax(_RowWise):
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^(zⱼ) (log-sum-exp, stable);  backward: g − softmax(z) Σⱼ gⱼ."""

    def forward(self, z):
        self.out = _log_softmax(self._input(z))
        return self.out

    def backward(self, grad_output):
        g = self._upstream(grad_output)
        return g - np.exp(self.out) * g.sum(axis=1, keepdims=True)


_REGISTRY = {
    "identity": Identity, "linear": Identity, "none": Identity,
    "step": Step, "heaviside": Step, "hardlim": Step,
    "sign": Sign,
    "sigmoid": Sigmoid, "logistic": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU, "leakyrelu": LeakyReLU,
    "elu": ELU,
    "prelu": PReLU,
    "softplus": Softplus,
    "silu": SiLU, "swish": SiLU,
    "mish": Mish,
    "hardtanh": Hardtanh, "hard_tanh": Hardtanh,
    "softmax": Softmax,
    "log_softmax": LogSoftmax, "logsoftmax": LogSoftmax,
}


def get_activation(name, **kwargs) -> Module:
    """A new activation Module from its name (``"relu"``, ``"leaky_relu"``, ``"tanh"``, ...).

    Keyword options are passed to the class (``get_activation("elu", alpha=0.5)``). ``None`` means Identity
    and a Module instance is returned unchanged.
    """
    if isinstance(name, Module):
        if kwargs:
            raise ValueError("options cannot be applied to an existing activation Module")
        return name
    if name is None:
        return Identity()
    key = str(name).lower().replace("-", "_")
    if key not in _REGISTRY:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(set(_REGISTRY))}")
    return _REGISTRY[key](**kwargs)


__all__ = [
    "Identity", "Step", "Sign", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softplus", "SiLU",
    "Mish", "Hardtanh", "Softmax", "LogSoftmax", "get_activation",
]

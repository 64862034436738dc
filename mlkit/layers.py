"""Parameters, modules and the dense layer — forward and backward side by side.

Notation (lectures 03 and 05). A batch of inputs is a matrix X of shape (n, d) whose rows are samples.
A dense layer with weights W (d, m) and bias b (m,) computes

    Y = X W + b                                          (every row: yᵢ = xᵢ W + b)

and, given the upstream gradient G = ∂L/∂Y of shape (n, m), its backward pass is

    ∂L/∂W = Xᵀ G        ∂L/∂b = Σᵢ Gᵢ        ∂L/∂X = G Wᵀ.

Gradients *accumulate* into ``Parameter.grad`` (``+=``); ``backward`` never changes weights — an optimizer
does that — and ``zero_grad()`` resets the accumulators.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, as_float_dtype, as_positive_int, as_rng, check_finite, in_interval


class Parameter:
    """A trainable array ``data`` with a gradient accumulator ``grad`` of the same shape and dtype."""

    def __init__(self, data, name: str | None = None):
        self.data = as_float_array(data, name or "Parameter data")
        self.grad = np.zeros_like(self.data)
        self.name = name

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad.fill(0.0)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Parameter({label}shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``forward(x)`` caches what ``backward(grad_output)`` needs and returns the output.

    Sub-classes set Parameters and sub-Modules as attributes (or in lists); ``parameters()`` finds them.
    """

    training: bool = True

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, x):
        return self.forward(x)

    def children(self) -> list["Module"]:
        """Direct sub-modules, in the order they were set."""
        found = []
        for value in vars(self).values():
            if isinstance(value, Module):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                found.extend(v for v in value if isinstance(v, Module))
        return found

    def parameters(self) -> list[Parameter]:
        """Every Parameter of this module and its sub-modules, each once (shared weights count once)."""
        params, seen = [], set()

        def visit(module: Module) -> None:
            for value in vars(module).values():
                items = value if isinstance(value, (list, tuple)) else (value,)
                for item in items:
                    if isinstance(item, Parameter) and id(item) not in seen:
                        seen.add(id(item))
                        params.append(item)
                    elif isinstance(item, Module):
                        visit(item)

        visit(self)
        return params

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (Dropout active) on this module and all sub-modules; returns self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: Dropout is the identity. Returns self."""
        return self.train(False)

    def n_parameters(self) -> int:
        """Total number of scalar weights."""
        return int(sum(p.data.size for p in self.parameters()))

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _init_weights(init, fan_in: int, fan_out: int, rng: np.random.Generator):
    """Initial (W, b) for a dense layer.

    - ``"he"`` (Kaiming normal, for ReLU):  W ~ N(0, 2 / fan_in),                b = 0
    - ``"xavier"`` (Glorot normal, tanh):   W ~ N(0, 2 / (fan_in + fan_out)),    b = 0
    - ``"lecun"`` (SELU / sigmoid):         W ~ N(0, 1 / fan_in),                b = 0
    - ``"torch"`` (nn.Linear's default):    W, b ~ U(−1/√fan_in, 1/√fan_in)
    - ``"zeros"``: all zero (lecture 07 shows why this fails: every hidden unit stays identical)
    - a callable ``init(rng, shape) -> ndarray`` for W, with b = 0
    """
    shape = (fan_in, fan_out)
    if callable(init):
        W = np.asarray(init(rng, shape), dtype=np.float64)
        if W.shape != shape:
            raise ValueError(f"init(rng, shape) must return weights of shape {shape}, got shape {W.shape}")
        return W, np.zeros(fan_out)
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape), np.zeros(fan_out)
    if init == "xavier":
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), shape), np.zeros(fan_out)
    if init == "lecun":
        return rng.normal(0.0, np.sqrt(1.0 / fan_in), shape), np.zeros(fan_out)
    if init == "torch":
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape), rng.uniform(-bound, bound, fan_out)
    if init == "zeros":
        return np.zeros(shape), np.zeros(fan_out)
    raise ValueError(f"init must be one of 'he', 'xavier', 'lecun', 'torch', 'zeros' or a callable, got {init!r}")


class Linear(Module):
    """Dense layer ``y = x W + b`` with ``W`` of shape (in_features, out_features).

    Backward:  ∂L/∂W += xᵀ g,   ∂L/∂b += Σ_rows g,   returns ∂L/∂x = g Wᵀ.
    (PyTorch's ``nn.Linear.weight`` is ``W.T``: torch stores (out, in) and computes x Wᵀ.)

    ``needs_input_grad = False`` (like torch's ``ctx.needs_input_grad``) makes ``backward`` skip ∂L/∂x and
    return None. Only a network's first layer may do this, whose input is the data: nobody uses ∂L/∂X of the
    data, and g Wᵀ is a third of that layer's matrix products. Measured on an MLP 784-256-10, 60,000 float32
    images, batch 128, Adam, one thread: 0.87 s per epoch instead of 1.14 s (0.81 instead of 1.10 × torch's
    time); the speed benchmark (``make bench``) sets it with ``model[0].needs_input_grad = False``.
    """

    needs_input_grad = True

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init="he", rng=None,
                 dtype=np.float64):
        self.in_features = as_positive_int(in_features, "Linear in_features")
        self.out_features = as_positive_int(out_features, "Linear out_features")
        self.dtype = as_float_dtype(dtype)
        W, b = _init_weights(init, self.in_features, self.out_features, as_rng(rng))
        self.W = Parameter(W.astype(self.dtype), name="W")
        self.b = Parameter(b.astype(self.dtype), name="b") if bias else None
        self.x = None

    def forward(self, x):
        x = as_float_array(x, "Linear input", dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Linear input must have shape (n, {self.in_features}), got shape {x.shape}")
        check_finite(x, "Linear input")
        self.x = x
        out = x @ self.W.data
        if self.b is not None:
            out += self.b.data
        return out

    def backward(self, grad_output):
        if self.x is None:
            raise RuntimeError("Linear.backward called before forward")
        g = np.asarray(grad_output, dtype=self.dtype)
        expected = (self.x.shape[0], self.out_features)  # the output's shape
        if g.shape != expected:
            raise ValueError(f"Linear.backward grad_output must have shape {expected}, got shape {g.shape}")
        self.W.grad += self.x.T @ g          # ∂L/∂W = xᵀ g
        if self.b is not None:
            self.b.grad += g.sum(axis=0)     # ∂L/∂b = Σ_rows g
        if not self.needs_input_grad:        # the first layer: the data's gradient is not needed
            return None
        return g @ self.W.data.T             # ∂L/∂x = g Wᵀ

    def extra_repr(self) -> str:
        extra = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"{self.in_features}, {self.out_features}, bias={self.b is not None}{extra}"


class Sequential(Module):
    """Modules applied in order; backward runs through them in reverse (the chain rule, layer by layer)."""

    def __init__(self, *modules: Module):
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise ValueError(f"Sequential's layers must be Modules, got {type(m).__name__} at position {i}")
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_output):
        """Backward through the layers in reverse; returns ∂L/∂x."""
        for layer in reversed(self.layers):
            grad_output = layer.backward(grad_output)
        return grad_output

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


class Dropout(Module):
    """Inverted dropout, like ``torch.nn.Dropout``.

    Training:  y = x ⊙ m / (1 − p),  mᵢ ~ Bernoulli(1 − p)   (so E[y] = x);   backward: g ⊙ m / (1 − p).
    Evaluation (``eval()``): the identity.
    """

    def __init__(self, p: float = 0.5, rng=None):
        self.p = in_interval(p, "dropout probability p", 0, 1)
        self.rng = as_rng(rng)
        self.scale = None

    def forward(self, x):
        x = as_float_array(x, "Dropout input")
        if not self.training or self.p == 0.0:
            self.scale = None
            return x
        if self.p == 1.0:
            self.scale = np.zeros_like(x)
        else:
            keep = self.rng.random(x.shape) >= self.p
            self.scale = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        return x * self.scale

    def backward(self, grad_output):
        if self.scale is None:
            return grad_output
        if np.shape(grad_output) != self.scale.shape:
            raise ValueError(f"Dropout.backward grad_output must have shape {self.scale.shape}, "
                             f"got shape {np.shape(grad_output)}")
        return grad_output * self.scale

    def extra_repr(self) -> str:
        return f"p={self.p}"


__all__ = ["Parameter", "Module", "Linear", "Sequential", "Dropout"]

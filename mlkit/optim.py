"""Optimizers — the same update rules as ``torch.optim``, step for step.

Notation (lecture 06). θ is a parameter array, g = ∂L/∂θ its gradient (``Parameter.grad``), η the learning
rate, t the step counter (1 at the first step), λ the weight decay. Moving averages are m (of g) and v (of g²).
Every update changes ``p.data`` in place and keeps its dtype: float32 weights and their state stay float32.

A training step is always::

    optimizer.zero_grad()          # g = 0
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())   # g += ∂L/∂θ
    optimizer.step()               # θ ← θ − (something built from g)

Weight decay "as an L2 penalty" means the optimizer adds the gradient of (λ/2)‖θ‖² to g before anything
else: g ← g + λ θ (SGD, Adagrad, RMSprop, Adam). AdamW instead shrinks θ directly ("decoupled" decay).

The learning-rate schedules ``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` live in
:mod:`mlkit.schedules` and are exported here too, as ``torch.optim.lr_scheduler``'s are from torch.
"""

from __future__ import annotations

import copy

import numpy as np

from ._checks import as_bool, as_int_at_least, as_nonnegative, in_interval
from .layers import Parameter
from .schedules import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR


def _as_parameter_list(params) -> list[Parameter]:
    """``params`` (e.g. ``model.parameters()``) as a list of distinct Parameters."""
    if isinstance(params, Parameter):
        raise ValueError("params must be an iterable of Parameters (e.g. model.parameters()), "
                         "got a single Parameter; wrap it in a list")
    try:
        params = list(params)
    except TypeError:
        raise ValueError(f"params must be an iterable of Parameters (e.g. model.parameters()), "
                         f"got {type(params).__name__}") from None
    if not params:
        raise ValueError("params must hold at least one Parameter, got an empty list")
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise ValueError(f"params must hold mlkit.layers.Parameter objects (did you pass model.parameters()?), "
                             f"got {type(p).__name__} at position {i}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("params must hold each Parameter once, got one more than once (it would be updated twice)")
    return params


def _zeros_like_each(params, names) -> list[dict]:
    """One state dict per parameter: an array of zeros (the parameter's shape and dtype) for each name."""
    return [{name: np.zeros_like(p.data) for name in names} for p in params]


class Optimizer:
    """Base class: ``params`` (the Parameters to train), the learning rate ``lr`` (a scheduler may change
    it), the step counter ``t`` (1 during the first step, like torch's per-parameter ``step``) and
    ``state``, one dict of arrays per parameter (moving averages, ...).

    A new optimizer only needs ``_update(θ, g, state)``, the in-place update of one parameter array θ from
    its gradient g (``state`` is that parameter's dict of arrays), e.g. plain gradient descent::

        class GD(Optimizer):
            def _update(self, theta, g, state):
                theta -= self.lr * g

    An optimizer with more hyperparameters checks and sets them in its ``__init__``, names them in
    ``_hyperparameters`` (for ``state_dict``) and creates its state arrays in ``self.state``.
    """

    _hyperparameters: tuple[str, ...] = ("lr",)

    def __init__(self, params, lr):
        self.params = _as_parameter_list(params)
        self.lr = as_nonnegative(lr, "learning rate lr")
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Reset every gradient accumulator to 0 (call before each backward pass)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """One update of every parameter from its current gradient ``p.grad``."""
        self.t += 1
        for p, state in zip(self.params, self.state):
            if p.grad.shape != p.data.shape:
                raise ValueError(f"the gradient of {p!r} must have shape {p.data.shape}, got {p.grad.shape}")
            self._update(p.data, p.grad.astype(p.data.dtype, copy=False), state)

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__}._update is not implemented")

    # -- checkpoints -------------------------------------------------------------------------------------
    def hyperparameters(self) -> dict:
        return {name: getattr(self, name) for name in self._hyperparameters}

    def state_dict(self) -> dict:
        """A plain, deep-copied dict: optimizer name, hyperparameters, step counter, per-parameter state."""
        return copy.deepcopy({"optimizer": type(self).__name__, "hyperparameters": self.hyperparameters(),
                              "t": self.t, "state": self.state})

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume from ``state_dict()``: the following steps are exactly those of an uninterrupted run.

        Everything is checked first, then taken over (a failed check leaves the optimizer as it was).
        """
        keys = {"optimizer", "hyperparameters", "t", "state"}
        if not isinstance(state_dict, dict) or set(state_dict) != keys:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"state_dict must be a dict with the keys {sorted(keys)}, got {got}")
        name, hyper, states = state_dict["optimizer"], state_dict["hyperparameters"], state_dict["state"]
        if name != type(self).__name__:
            raise ValueError(f"state_dict must come from a {type(self).__name__}, got one saved from {name}")
        if not isinstance(hyper, dict) or set(hyper) != set(self._hyperparameters):
            raise ValueError(f"hyperparameters must have the keys {sorted(self._hyperparameters)}, got {hyper!r}")
        t = as_int_at_least(state_dict["t"], "step counter t", 0)
        # a new optimizer of the same kind checks the hyperparameters and shows which state arrays they need
        fresh = type(self)(self.params, **hyper)
        if not isinstance(states, (list, tuple)) or len(states) != len(self.params):
            got = f"{len(states)} parameters" if isinstance(states, (list, tuple)) else type(states).__name__
            raise ValueError(f"state_dict must hold the state of {len(self.params)} parameters, got {got}")
        for i, (p, saved, expected) in enumerate(zip(self.params, states, fresh.state)):
            if not isinstance(saved, dict) or set(saved) != set(expected):
                got = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
                raise ValueError(f"the state of parameter {i} must have the arrays {sorted(expected)}, got {got}")
            for key, arr in saved.items():
                if np.shape(arr) != p.data.shape:
                    raise ValueError(f"state {key!r} of parameter {i} must have shape {p.data.shape} like the "
                                     f"parameter, got shape {np.shape(arr)}")
        for key in self._hyperparameters:
            setattr(self, key, getattr(fresh, key))
        self.t = t
        self.state = [{key: np.array(arr, dtype=p.data.dtype) for key, arr in saved.items()}
                      for p, saved in zip(self.params, states)]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum — like ``torch.optim.SGD``.

    Update rule (μ = momentum, τ = dampening, b = momentum buffer)::

        g = g + λ θ                      # if weight_decay λ ≠ 0
        if μ ≠ 0:
            b = g                        # at the first step
            b = μ b + (1 − τ) g          # at later steps
            g = g + μ b  if nesterov  else  b
        θ = θ − η g

    Plain SGD (μ = 0) is the lecture's θ ← θ − η ∇L. Nesterov needs μ > 0 and τ = 0.
    (torch's default ``lr`` is 1e-3; here it must be chosen explicitly.)
    """

    _hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        self.momentum = as_nonnegative(momentum, "momentum")
        self.dampening = in_interval(dampening, "dampening", 0.0, 1.0)
        self.weight_decay = as_nonnegative(weight_decay, "weight_decay")
        self.nesterov = as_bool(nesterov, "nesterov")
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError(f"Nesterov momentum must have momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")
        if self.momentum != 0.0:
            self.state = _zeros_like_each(self.params, ["momentum_buffer"])

    def _update(self, theta, g, state):
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * theta
        if self.momentum != 0.0:
            b = state["momentum_buffer"]
            if self.t == 1:
                b[...] = g
            else:
                b *= self.momentum
                b += (1 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b
        theta -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad: per-coordinate step sizes shrink with the accumulated squared gradients — like torch.

    Update rule (G = sum of squared gradients, starts at ``initial_accumulator_value``)::

        g = g + λ θ                      # if weight_decay λ ≠ 0
        η_t = η / (1 + (t − 1) · lr_decay)
        G = G + g²
        θ = θ − η_t · g / (√G + ε)
    """

    _hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10):
        super().__init__(params, lr)
        self.lr_decay = as_nonnegative(lr_decay, "lr_decay")
        self.weight_decay = as_nonnegative(weight_decay, "weight_decay")
        self.initial_accumulator_value = as_nonnegative(initial_accumulator_value, "initial_accumulator_value")
        self.eps = as_nonnegative(eps, "eps")
        self.state = [{"sum": np.full_like(p.data, self.initial_accumulator_value)} for p in self.params]

    def _update(self, theta, g, state):
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * theta
        lr_t = self.lr / (1 + (self.t - 1) * self.lr_decay)
        G = state["sum"]
        G += g * g
        theta -= lr_t * (g / (np.sqrt(G) + self.eps))


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients — like torch.

    Update rule (α = smoothing constant, μ = momentum, b = momentum buffer, all averages start at 0)::

        g = g + λ θ                      # if weight_decay λ ≠ 0
        v = α v + (1 − α) g²
        if centered:
            m = α m + (1 − α) g          # running mean of g
            d = √(v − m²) + ε            # ≈ standard deviation of g
        else:
            d = √v + ε
        if μ > 0:
            b = μ b + g / d
            θ = θ − η b
        else:
            θ = θ − η g / d

    Note: ε is added outside the square root, and v has no bias correction (unlike Adam).
    v − m² ≥ 0 holds exactly but can round to −1e-17 when g barely changes: it is clipped at 0 (torch
    would return NaN there; everywhere else the two agree).
    """

    _hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr)
        self.alpha = in_interval(alpha, "alpha", 0.0, 1.0)
        self.eps = as_nonnegative(eps, "eps")
        self.weight_decay = as_nonnegative(weight_decay, "weight_decay")
        self.momentum = as_nonnegative(momentum, "momentum")
        self.centered = as_bool(centered, "centered")
        names = ["v"] + (["m"] if self.centered else []) + (["momentum_buffer"] if self.momentum else [])
        self.state = _zeros_like_each(self.params, names)

    def _update(self, theta, g, state):
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * theta
        v = state["v"]
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        if self.centered:
            m = state["m"]
            m *= self.alpha
            m += (1 - self.alpha) * g
            d = np.sqrt(np.maximum(v - m * m, 0)) + self.eps
        else:
            d = np.sqrt(v) + self.eps
        if self.momentum != 0.0:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g / d
            theta -= self.lr * b
        else:
            theta -= self.lr * (g / d)


class Adam(Optimizer):
    """Adam: momentum (m) and RMSprop-style scaling (v), both bias-corrected — like ``torch.optim.Adam``.

    Update rule (β₁, β₂ = betas; m, v start at 0; t = 1 at the first step)::

        g = g + λ θ                      # if weight_decay λ ≠ 0 (L2 penalty; AdamW decouples it)
        m = β₁ m + (1 − β₁) g
        v = β₂ v + (1 − β₂) g²
        v = max(v_max, v)                # amsgrad only: the largest v so far (kept as v_max)
        m̂ = m / (1 − β₁ᵗ)
        v̂ = v / (1 − β₂ᵗ)
        θ = θ − η m̂ / (√v̂ + ε)

    As in torch, ε is added *after* the bias correction, to √v̂ (not to √v), and m̂'s correction goes into
    the step size, η m̂ = (η / (1 − β₁ᵗ)) m (one pass less over the arrays).
    """

    _hyperparameters = ("lr", "betas", "eps", "weight_decay", "amsgrad")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or np.ndim(betas) != 1 or len(betas) != 2:
            raise ValueError(f"betas must be a pair (β₁, β₂), got {betas!r}")
        self.betas = (in_interval(betas[0], "beta1 (betas[0])", 0.0, 1.0, include_high=False),
                      in_interval(betas[1], "beta2 (betas[1])", 0.0, 1.0, include_high=False))
        self.eps = as_nonnegative(eps, "eps")
        self.weight_decay = as_nonnegative(weight_decay, "weight_decay")
        self.amsgrad = as_bool(amsgrad, "amsgrad")
        self.state = _zeros_like_each(self.params, ["m", "v", "v_max"] if self.amsgrad else ["m", "v"])

    def _update(self, theta, g, state):
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * theta
        self._adam_step(theta, g, state)

    def _adam_step(self, theta, g, state):
        """m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − η m̂ / (√v̂ + ε)."""
        beta1, beta2 = self.betas
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        if self.amsgrad:
            v = np.maximum(state["v_max"], v, out=state["v_max"])
        step_size = self.lr / (1 - beta1 ** self.t)            # η m̂ = η m / (1 − β₁ᵗ)
        denom = np.sqrt(v / (1 - beta2 ** self.t)) + self.eps  # √v̂ + ε
        theta -= step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay — like ``torch.optim.AdamW`` (default λ = 0.01).

    Update rule: first shrink the weights, then take a plain Adam step (g is *not* changed by λ)::

        θ = θ − η λ θ
        m = β₁ m + (1 − β₁) g
        v = β₂ v + (1 − β₂) g²
        v = max(v_max, v)                # amsgrad only
        θ = θ − η m̂ / (√v̂ + ε)          # m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)

    With Adam's L2 penalty the decay λθ is divided by √v̂ like the gradient (weights with large gradients
    are barely decayed); AdamW decays every weight at the same rate η λ.
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

    def _update(self, theta, g, state):
        theta *= 1 - self.lr * self.weight_decay
        self._adam_step(theta, g, state)


__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
           "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]

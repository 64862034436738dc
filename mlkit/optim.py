"""Optimizers and learning-rate schedules — the same update rules as ``torch.optim``, step for step.

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

Schedulers (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``) change ``optimizer.lr`` once per epoch,
exactly as their torch namesakes do.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ._checks import as_positive_int
from .layers import Parameter

# --------------------------------------------------------------------------------------------------------
# hyperparameter checks


def _number(value, name: str) -> float:
    if isinstance(value, (np.ndarray, list, tuple)) or value is None:
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def _at_least_zero(value, name: str) -> float:
    x = _number(value, name)
    if x < 0.0:
        raise ValueError(f"Invalid {name}: expected a number >= 0, got {value!r}")
    return x


def _in_interval(value, name: str, low: float, high: float, include_high: bool) -> float:
    x = _number(value, name)
    ok = low <= x <= high if include_high else low <= x < high
    if not ok:
        bracket = "]" if include_high else ")"
        raise ValueError(f"Invalid {name}: expected a number in [{low}, {high}{bracket}, got {value!r}")
    return x


def _with_weight_decay(g: np.ndarray, theta: np.ndarray, weight_decay: float) -> np.ndarray:
    """L2 penalty folded into the gradient: g + λ θ (a new array; g itself is left alone)."""
    return g + weight_decay * theta if weight_decay != 0.0 else g


# --------------------------------------------------------------------------------------------------------
# base class


class Optimizer:
    """Base class: the parameter list ``params``, the learning rate ``lr`` (schedulers change it) and
    ``state``, one dict of arrays per parameter (moving averages, ...).

    A new optimizer only needs ``_update(θ, g, state)``, the in-place update of one parameter array θ from
    its gradient g (``state`` is that parameter's dict of arrays), e.g. plain gradient descent::

        class GD(Optimizer):
            def _update(self, theta, g, state):
                theta -= self.lr * g

    Sub-classes with more hyperparameters list them in ``_hyperparameters`` and validate them in
    ``_set_hyperparameters``; their state arrays are named in ``_state_names``. ``step()`` counts the
    steps in ``self.t`` (1 during the first step, like torch's per-parameter ``step``).
    """

    _hyperparameters: tuple[str, ...] = ("lr", "maximize")
    _state_names: tuple[str, ...] = ()      # arrays created (as zeros) before the first step
    _lazy_state_names: tuple[str, ...] = ()  # arrays created by the first step
    maximize = False                          # True: ascend, i.e. use −g (all optimizers, like torch)

    def __init__(self, params, **hyperparameters):
        self.params = self._as_parameter_list(params)
        self._set_hyperparameters(**hyperparameters)
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = [self._init_state(p) for p in self.params]

    # -- construction helpers ----------------------------------------------------------------------------
    @staticmethod
    def _as_parameter_list(params) -> list[Parameter]:
        if isinstance(params, Parameter):
            raise ValueError("params must be an iterable of Parameters (e.g. model.parameters()), "
                             "got a single Parameter; wrap it in a list")
        try:
            params = list(params)
        except TypeError:
            raise ValueError(f"params must be an iterable of Parameters (e.g. model.parameters()), "
                             f"got {type(params).__name__}") from None
        if not params:
            raise ValueError("optimizer got an empty parameter list; expected at least one Parameter")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise ValueError(f"params must hold mlkit.layers.Parameter objects, got "
                                 f"{type(p).__name__} at position {i} (did you pass model.parameters()?)")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("params holds the same Parameter more than once; it would be updated twice")
        return params

    def _set_hyperparameters(self, lr, maximize=False) -> None:
        """Validate and set the hyperparameters (sub-classes with more of them override this)."""
        self.lr = _at_least_zero(lr, "learning rate lr")
        self.maximize = bool(maximize)

    def _init_state(self, p: Parameter) -> dict:
        """State arrays of one parameter before the first step (zeros of the parameter's dtype)."""
        return {name: np.zeros_like(p.data) for name in self._state_names}

    # -- the training-loop API ---------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Reset every gradient accumulator to 0 (call before each backward pass)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """One update of every parameter from its current gradient ``p.grad``."""
        self.t += 1
        for p, state in zip(self.params, self.state):
            if p.grad.shape != p.data.shape:
                raise ValueError(f"gradient of {p!r} has shape {p.grad.shape}, expected {p.data.shape}")
            g = np.asarray(p.grad, dtype=p.data.dtype)
            self._update(p.data, -g if self.maximize else g, state)

    def _update(self, theta: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    # -- checkpoints -------------------------------------------------------------------------------------
    def hyperparameters(self) -> dict:
        return {name: getattr(self, name) for name in self._hyperparameters}

    def state_dict(self) -> dict:
        """A plain, deep-copied dict: optimizer name, hyperparameters, step counter, per-parameter state."""
        return copy.deepcopy({
            "optimizer": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "t": self.t,
            "state": self.state,
        })

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume from ``state_dict()``: the following steps are exactly those of an uninterrupted run."""
        expected_keys = {"optimizer", "hyperparameters", "t", "state"}
        if not isinstance(state_dict, dict) or set(state_dict) != expected_keys:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"state_dict must be a dict with keys {sorted(expected_keys)}, got {got}")
        if state_dict["optimizer"] != type(self).__name__:
            raise ValueError(f"state_dict was saved from {state_dict['optimizer']}, "
                             f"cannot load it into {type(self).__name__}")
        hyper = state_dict["hyperparameters"]
        if not isinstance(hyper, dict) or set(hyper) != set(self._hyperparameters):
            raise ValueError(f"hyperparameters must be {sorted(self._hyperparameters)}, got {hyper!r}")
        t = state_dict["t"]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"step counter t must be an integer >= 0, got {t!r}")
        states = state_dict["state"]
        if not isinstance(states, (list, tuple)) or len(states) != len(self.params):
            n = len(states) if isinstance(states, (list, tuple)) else type(states).__name__
            raise ValueError(f"state_dict holds state for {n} parameters, "
                             f"this optimizer has {len(self.params)}")
        current = self.hyperparameters()
        self._set_hyperparameters(**copy.deepcopy(hyper))  # validates; may change which arrays exist
        try:
            self.state = [self._checked_state(i, p, s) for i, (p, s) in enumerate(zip(self.params, states))]
        except ValueError:
            self._set_hyperparameters(**current)
            raise
        self.t = int(t)

    def _checked_state(self, i: int, p: Parameter, s: dict) -> dict:
        required, lazy = set(self._state_names), set(self._lazy_state_names)
        if not isinstance(s, dict) or not required <= set(s) <= required | lazy:
            got = sorted(s) if isinstance(s, dict) else type(s).__name__
            raise ValueError(f"state of parameter {i} must have the arrays {sorted(required)}"
                             f"{f' (and optionally {sorted(lazy)})' if lazy else ''}, got {got}")
        for name, arr in s.items():
            if np.shape(arr) != p.data.shape:
                raise ValueError(f"state {name!r} of parameter {i} has shape {np.shape(arr)}, "
                                 f"expected {p.data.shape} like the parameter")
        return {name: np.array(arr, dtype=p.data.dtype) for name, arr in s.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


# --------------------------------------------------------------------------------------------------------
# optimizers


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

    _hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
    _lazy_state_names = ("momentum_buffer",)  # the buffer starts as the first gradient

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov, maximize=maximize)

    def _set_hyperparameters(self, lr, momentum, dampening, weight_decay, nesterov, maximize):
        self.lr = _at_least_zero(lr, "learning rate lr")
        self.momentum = _at_least_zero(momentum, "momentum")
        self.dampening = _in_interval(dampening, "dampening", 0.0, 1.0, include_high=True)
        self.weight_decay = _at_least_zero(weight_decay, "weight_decay")
        self.nesterov = bool(nesterov)
        self.maximize = bool(maximize)
        if self.nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError(f"Nesterov momentum requires momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")

    def _update(self, theta, g, state):
        g = _with_weight_decay(g, theta, self.weight_decay)
        if self.momentum != 0.0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()
            else:
                b = state["momentum_buffer"]
                b *= self.momentum
                b += (1.0 - self.dampening) * g
            b = state["momentum_buffer"]
            g = g + self.momentum * b if self.nesterov else b
        theta -= float(self.lr) * g


class Adagrad(Optimizer):
    """Adagrad: per-coordinate step sizes shrink with the accumulated squared gradients — like torch.

    Update rule (G = sum of squared gradients, starts at ``initial_accumulator_value``)::

        g = g + λ θ                      # if weight_decay λ ≠ 0
        η_t = η / (1 + (t − 1) · lr_decay)
        G = G + g²
        θ = θ − η_t · g / (√G + ε)
    """

    _hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")
    _state_names = ("sum",)

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, *, maximize=False):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)

    def _set_hyperparameters(self, lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize):
        self.lr = _at_least_zero(lr, "learning rate lr")
        self.lr_decay = _at_least_zero(lr_decay, "lr_decay")
        self.weight_decay = _at_least_zero(weight_decay, "weight_decay")
        self.initial_accumulator_value = _at_least_zero(initial_accumulator_value,
                                                        "initial_accumulator_value")
        self.eps = _at_least_zero(eps, "eps")
        self.maximize = bool(maximize)

    def _init_state(self, p):
        return {"sum": np.full_like(p.data, self.initial_accumulator_value)}

    def _update(self, theta, g, state):
        g = _with_weight_decay(g, theta, self.weight_decay)
        lr_t = float(self.lr) / (1.0 + (self.t - 1) * self.lr_decay)
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

    _hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.0,
                 centered=False, *, maximize=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                         centered=centered, maximize=maximize)

    def _set_hyperparameters(self, lr, alpha, eps, weight_decay, momentum, centered, maximize):
        self.lr = _at_least_zero(lr, "learning rate lr")
        self.alpha = _in_interval(alpha, "alpha", 0.0, 1.0, include_high=True)
        self.eps = _at_least_zero(eps, "eps")
        self.weight_decay = _at_least_zero(weight_decay, "weight_decay")
        self.momentum = _at_least_zero(momentum, "momentum")
        self.centered = bool(centered)
        self.maximize = bool(maximize)

    @property
    def _state_names(self):
        return ("v",) + (("m",) if self.centered else ()) + (("momentum_buffer",) if self.momentum else ())

    def _update(self, theta, g, state):
        g = _with_weight_decay(g, theta, self.weight_decay)
        a = self.alpha
        v = state["v"]
        v *= a
        v += (1.0 - a) * g * g
        if self.centered:
            m = state["m"]
            m *= a
            m += (1.0 - a) * g
            d = np.sqrt(np.maximum(v - m * m, 0.0)) + self.eps  # ≥ 0 in exact arithmetic
        else:
            d = np.sqrt(v) + self.eps
        if self.momentum > 0.0:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g / d
            theta -= float(self.lr) * b
        else:
            theta -= float(self.lr) * (g / d)


class Adam(Optimizer):
    """Adam: momentum (m) and RMSprop-style scaling (v), both bias-corrected — like ``torch.optim.Adam``.

    Update rule (β₁, β₂ = betas; m, v start at 0; t = 1 at the first step)::

        g = g + λ θ                      # if weight_decay λ ≠ 0 (L2 penalty; AdamW decouples it)
        m = β₁ m + (1 − β₁) g
        v = β₂ v + (1 − β₂) g²
        v_max = max(v_max, v)            # amsgrad only; then v_max replaces v below
        m̂ = m / (1 − β₁ᵗ)
        θ = θ − η m̂ / (√v / √(1 − β₂ᵗ) + ε)

    As in torch, ε is added *after* the bias correction of √v, i.e. to √v̂, not to √v.
    """

    _hyperparameters = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")
    _decoupled_weight_decay = False

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)

    def _set_hyperparameters(self, lr, betas, eps, weight_decay, amsgrad, maximize):
        self.lr = _at_least_zero(lr, "learning rate lr")
        if isinstance(betas, (str, bytes)) or np.ndim(betas) != 1 or len(betas) != 2:
            raise ValueError(f"betas must be a pair (β₁, β₂), got {betas!r}")
        self.betas = (_in_interval(betas[0], "beta1 (betas[0])", 0.0, 1.0, include_high=False),
                      _in_interval(betas[1], "beta2 (betas[1])", 0.0, 1.0, include_high=False))
        self.eps = _at_least_zero(eps, "eps")
        self.weight_decay = _at_least_zero(weight_decay, "weight_decay")
        self.amsgrad = bool(amsgrad)
        self.maximize = bool(maximize)

    @property
    def _state_names(self):
        return ("m", "v", "v_max") if self.amsgrad else ("m", "v")

    def _update(self, theta, g, state):
        lr = float(self.lr)
        beta1, beta2 = self.betas
        if self.weight_decay != 0.0:
            if self._decoupled_weight_decay:
                theta *= 1.0 - lr * self.weight_decay
            else:
                g = g + self.weight_decay * theta
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1.0 - beta1) * g
        g2 = np.multiply(g, g, out=np.empty_like(v))  # the step's one scratch array: g², √v̂ + ε, the update
        g2 *= 1.0 - beta2
        v *= beta2
        v += g2
        if self.amsgrad:
            np.maximum(state["v_max"], v, out=state["v_max"])
            v = state["v_max"]
        step_size = lr / (1.0 - beta1 ** self.t)
        sqrt_bias_correction2 = (1.0 - beta2 ** self.t) ** 0.5
        denom = np.sqrt(v, out=g2)  # √v̂ + ε = √v / √(1 − β₂ᵗ) + ε
        denom /= sqrt_bias_correction2
        denom += self.eps
        update = np.divide(m, denom, out=denom)
        update *= step_size
        theta -= update



class AdamW(Adam):
    """Adam with decoupled weight decay — like ``torch.optim.AdamW`` (default λ = 0.01).

    Update rule: first shrink the weights, then take a plain Adam step (g is *not* changed by λ)::

        θ = θ − η λ θ
        m = β₁ m + (1 − β₁) g
        v = β₂ v + (1 − β₂) g²
        v_max = max(v_max, v)            # amsgrad only; then v_max replaces v below
        θ = θ − η / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    With Adam's L2 penalty the decay λθ is divided by √v̂ like the gradient (weights with large gradients
    are barely decayed); AdamW decays every weight at the same rate η λ.
    """

    _decoupled_weight_decay = True

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)


# --------------------------------------------------------------------------------------------------------
# learning-rate schedules


class LRScheduler:
    """Base class: ``step()`` once per epoch (after that epoch's optimizer steps) sets ``optimizer.lr``.

    ``last_epoch`` counts the calls of ``step()`` (0 right after construction), ``base_lr`` is the
    optimizer's learning rate at construction and ``get_last_lr()`` returns ``[optimizer.lr]`` as set by
    the last ``step()`` (a list, like torch, which has one entry per parameter group).
    Like torch, each schedule is computed recursively from the current ``optimizer.lr``.
    """

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"a scheduler needs an mlkit.optim Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0
        self._last_lr = [float(optimizer.lr)]

    def _next_lr(self, lr: float) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr(float(self.optimizer.lr))
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {key: copy.deepcopy(value) for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        expected = set(vars(self)) - {"optimizer"}
        if set(state_dict) != expected:
            raise ValueError(f"scheduler state must have keys {sorted(expected)}, got {sorted(state_dict)}")
        self.__dict__.update(copy.deepcopy(state_dict))


class StepLR(LRScheduler):
    """Multiply the learning rate by γ every ``step_size`` epochs: η_e = η₀ · γ^⌊e / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = as_positive_int(step_size, "step_size")
        self.gamma = _number(gamma, "gamma")
        if self.gamma <= 0.0:
            raise ValueError(f"Invalid gamma: expected a number > 0, got {gamma!r}")
        super().__init__(optimizer)

    def _next_lr(self, lr):
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by γ every epoch: η_e = η₀ · γ^e."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        self.gamma = _number(gamma, "gamma")
        if self.gamma <= 0.0:
            raise ValueError(f"Invalid gamma: expected a number > 0, got {gamma!r}")
        super().__init__(optimizer)

    def _next_lr(self, lr):
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Cosine schedule from η₀ down to η_min over ``T_max`` epochs, like ``torch.optim.lr_scheduler``.

        η_e = η_min + (η₀ − η_min) · (1 + cos(π e / T_max)) / 2

    Like torch this is computed recursively (the ratio of two consecutive values, or an additive step at
    e = T_max + 1 where that ratio is 0/0), so it also follows outside changes of the learning rate.
    After T_max the rate does not stay at η_min: it climbs back to η₀ at 2 T_max (period 2 T_max).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max = as_positive_int(T_max, "T_max")
        self.eta_min = _at_least_zero(eta_min, "eta_min")
        super().__init__(optimizer)

    def _next_lr(self, lr):
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - eta_min) + eta_min


__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
           "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]

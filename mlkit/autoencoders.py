"""Autoencoders (lecture 09): a network trained to reproduce its own input through a bottleneck.

Notation. A batch X has shape (n, d), rows are samples; the code layer has m units.

    encoder   h  = f(x W_e + b_e)          W_e (d, m),  b_e (m,),   f the hidden activation
    decoder   x̂ = g(h W_d + b_d)          W_d (m, d),  b_d (d,),   g the output activation

With ``tied=True`` the decoder reuses the encoder's weights, W_d = W_eᵀ: one shared Parameter.

Every model minimises a scalar objective on a batch,

    J(θ) = R(x̂, x) + Ω(h)

where the reconstruction term R is the mean over all n·d elements of (x̂ − x)² (``reconstruction="mse"``)
or of the binary cross-entropy −[x log x̂ + (1 − x) log(1 − x̂)] (``reconstruction="bce"``, which needs a
sigmoid output and targets in [0, 1]), and Ω is the regulariser that distinguishes the variants:

    Autoencoder             Ω = 0                                   (under-complete: the bottleneck regularises)
    SparseAutoencoder       Ω = λ (1/n) Σᵢ Σⱼ |hᵢⱼ|                  (L1 on the activations)
                            Ω = β Σⱼ KL(ρ ‖ ρ̂ⱼ),  ρ̂ⱼ = (1/n) Σᵢ hᵢⱼ   (average activation close to ρ)
    DenoisingAutoencoder    Ω = 0, but the encoder sees a corrupted x̃ and R compares x̂ with the clean x
    ContractiveAutoencoder  Ω = λ (1/n) Σᵢ ‖∂hᵢ/∂xᵢ‖²_F              (insensitive to small input changes)

Usage, one step of plain gradient descent::

    ae = Autoencoder(64, 16, rng=0)
    J = ae.loss(X)          # the objective on the batch; caches what backward needs
    ae.zero_grad()
    ae.backward()           # accumulates ∂J/∂θ into every Parameter's .grad (+=)
    for p in ae.parameters():
        p.data -= lr * p.grad

Backward pass of the objective (δ's are gradients of J; ⊙ is the element-wise product):

    δ_out = ∂R/∂x̂ ⊙ g'(a_out)           a_out = h W_d + b_d
    ∂J/∂W_d = hᵀ δ_out,   ∂J/∂b_d = Σᵢ δ_out
    δ_h   = δ_out W_dᵀ + ∂Ω/∂h
    δ_z   = δ_h ⊙ f'(z)                  z = x W_e + b_e
    ∂J/∂W_e = xᵀ δ_z (+ δ_outᵀ h when tied, the decoder's use of W_e),   ∂J/∂b_e = Σᵢ δ_z

Initialisation: Glorot/Xavier uniform, W ~ U(−a, a) with a = √(6 / (d + m)) for W_e and (untied) W_d,
drawn from ``rng``; biases start at 0.
"""

from __future__ import annotations

import copy

import numpy as np

from ._checks import (as_float_array, as_float_dtype, as_nonnegative, as_number, as_positive_int, as_rng,
                      check_finite, in_interval)
from .activations import Sigmoid, Tanh, get_activation
from .layers import Module, Parameter
from .losses import BCELoss, MSELoss


def _glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """W ~ U(−a, a), a = √(6 / (fan_in + fan_out)): keeps the variance of activations roughly constant."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, (fan_in, fan_out))


def _stateless(activation: Module, z: np.ndarray) -> np.ndarray:
    """Apply an activation through a shallow copy, so that the training pass' cache is left untouched
    (``encode``/``decode`` may be called between ``loss`` and ``backward``). Parameters stay shared."""
    return copy.copy(activation).forward(z)


class Autoencoder(Module):
    """Under-complete autoencoder:  h = f(x W_e + b_e),  x̂ = g(h W_d + b_d),  J = R(x̂, x).

    Parameters
    ----------
    n_inputs, n_hidden : d and m.
    activation, output_activation : f and g, names for ``mlkit.activations.get_activation`` (or Modules).
    tied : if True, W_d = W_eᵀ (one shared Parameter; its gradient sums the encoder and decoder parts).
    rng : int seed or ``np.random.Generator`` for the initial weights (and the corruption of the
        denoising model).
    reconstruction : ``"mse"`` — R = (1/(n d)) Σᵢₖ (x̂ᵢₖ − xᵢₖ)²;  ``"bce"`` — R = (1/(n d)) Σᵢₖ
        −[xᵢₖ log x̂ᵢₖ + (1 − xᵢₖ) log(1 − x̂ᵢₖ)] (as ``torch.nn.BCELoss``: logs clamped at −100),
        which requires ``output_activation="sigmoid"`` and inputs in [0, 1].
    dtype : np.float64 (default) or np.float32; a float32 model computes in float32 throughout.

    Attributes
    ----------
    W_e, b_e, b_d : Parameters.  ``W_dec`` : the decoder's Parameter (``None`` when tied).
    W_d : property, the decoder weight array (m, d) — ``W_e.data.T`` (a view) when tied.
    h / last_hidden_ : the code layer of the last ``loss``/``forward`` pass;  x_hat : its reconstruction.
    reconstruction_loss_, penalty_, last_loss_ : R, Ω and J of the last ``loss`` call.

    ``backward()`` (after ``loss``) accumulates ∂J/∂θ and returns ``None``. As any ``Module``,
    ``backward(grad_output)`` after ``forward(x)`` backpropagates an upstream gradient G = ∂L/∂x̂ through
    the reconstruction map instead and returns ∂L/∂x (so ``mlkit.gradcheck.check_gradients`` applies).
    """

    _penalty_name = "none"

    def __init__(self, n_inputs: int, n_hidden: int, activation="sigmoid", output_activation="sigmoid",
                 tied: bool = False, rng=None, reconstruction: str = "mse", dtype=np.float64):
        self.n_inputs = as_positive_int(n_inputs, "n_inputs")
        self.n_hidden = as_positive_int(n_hidden, "n_hidden")
        self.dtype = as_float_dtype(dtype)
        self.tied = bool(tied)
        self.rng = as_rng(rng)
        self.f = get_activation(activation)           # hidden activation
        self.g = get_activation(output_activation)    # output activation
        if reconstruction not in ("mse", "bce"):
            raise ValueError(f"reconstruction must be 'mse' or 'bce', got {reconstruction!r}")
        if reconstruction == "bce" and not isinstance(self.g, Sigmoid):
            raise ValueError("reconstruction='bce' needs probabilities: output_activation must be 'sigmoid', "
                             f"got {type(self.g).__name__}")
        self.reconstruction = reconstruction
        self._recon_loss = MSELoss() if reconstruction == "mse" else BCELoss()

        d, m = self.n_inputs, self.n_hidden
        self.W_e = Parameter(_glorot_uniform(self.rng, d, m).astype(self.dtype), name="W_e")
        self.b_e = Parameter(np.zeros(m, dtype=self.dtype), name="b_e")
        self.W_dec = None if self.tied else Parameter(_glorot_uniform(self.rng, m, d).astype(self.dtype),
                                                      name="W_d")
        self.b_d = Parameter(np.zeros(d, dtype=self.dtype), name="b_d")

        self.x_in = self.h = self.x_hat = None
        self.reconstruction_loss_ = self.penalty_ = self.last_loss_ = None
        self._objective_ready = False

    # ------------------------------------------------------------------ parameters
    @property
    def W_d(self) -> np.ndarray:
        """The decoder weights (m, d): the Parameter's array, or the view W_eᵀ when tied."""
        return self.W_e.data.T if self.tied else self.W_dec.data

    @property
    def last_hidden_(self):
        """The code h of the last ``loss``/``forward`` pass, shape (n, m)."""
        return self.h

    def parameters(self) -> list[Parameter]:
        """[W_e, b_e, W_d, b_d] (untied) or [W_e, b_e, b_d] (tied), then any Parameter of the activations."""
        params = [self.W_e, self.b_e] + ([] if self.tied else [self.W_dec]) + [self.b_d]
        for act in (self.f, self.g):
            params += [p for p in act.parameters() if all(p is not q for q in params)]
        return params

    # ------------------------------------------------------------------ validation
    def _check(self, x, name: str = "x", width: int | None = None) -> np.ndarray:
        width = self.n_inputs if width is None else width
        x = as_float_array(x, name, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != width or x.shape[0] < 1:
            raise ValueError(f"{name} must have shape (n, {width}) with n ≥ 1, got shape {x.shape}")
        check_finite(x, name)
        return x

    def _check_target(self, x: np.ndarray) -> None:
        if self.reconstruction == "bce" and np.any((x < 0) | (x > 1)):
            raise ValueError("reconstruction='bce' needs inputs in [0, 1], got values in "
                             f"[{x.min()}, {x.max()}]")

    # ------------------------------------------------------------------ the maps
    def encode(self, x) -> np.ndarray:
        """h = f(x W_e + b_e), shape (n, m). Caches nothing."""
        x = self._check(x)
        return _stateless(self.f, x @ self.W_e.data + self.b_e.data)

    def decode(self, h) -> np.ndarray:
        """x̂ = g(h W_d + b_d), shape (n, d). Caches nothing."""
        h = self._check(h, "h", width=self.n_hidden)
        return _stateless(self.g, h @ self.W_d + self.b_d.data)

    def _pass(self, x_in: np.ndarray) -> np.ndarray:
        """Forward pass that caches x_in, h and x̂ (and the activations' own caches) for backward."""
        self.x_in = x_in
        self.h = self.f.forward(x_in @ self.W_e.data + self.b_e.data)
        self.x_hat = self.g.forward(self.h @ self.W_d + self.b_d.data)
        return self.x_hat

    def forward(self, x) -> np.ndarray:
        """The reconstruction x̂ = g(f(x W_e + b_e) W_d + b_d), shape (n, d). Never corrupts the input."""
        self._objective_ready = False
        return self._pass(self._check(x))

    # ------------------------------------------------------------------ the objective
    def loss(self, x) -> float:
        """J = R(x̂, x) + Ω(h) on the batch x of shape (n, d); caches what ``backward()`` needs."""
        x = self._check(x)
        return self._objective(x_in=x, target=x)

    def _objective(self, x_in: np.ndarray, target: np.ndarray) -> float:
        self._check_target(target)
        x_hat = self._pass(x_in)
        self.reconstruction_loss_ = self._recon_loss(x_hat, target)
        self.penalty_ = self._penalty_forward(self.h)
        self.last_loss_ = self.reconstruction_loss_ + self.penalty_
        self._objective_ready = True
        return self.last_loss_

    def _penalty_forward(self, h: np.ndarray) -> float:
        """Ω(h); sub-classes override it with their regulariser (and cache what its gradient needs)."""
        return 0.0

    def _penalty_backward(self):
        """∂Ω/∂h, shape (n, m), or None if Ω does not depend on h. May also add direct parameter terms."""
        return None

    def backward(self, grad_output=None):
        """Accumulate gradients (+=) into every Parameter's ``.grad``.

        - ``backward()`` after ``loss(x)``: gradients of the whole objective J; returns ``None``.
        - ``backward(G)`` after ``forward(x)``: gradients of ⟨G, x̂⟩ (G = ∂L/∂x̂ from a loss outside the
          model, the ordinary ``Module`` contract); returns ∂L/∂x.
        """
        if grad_output is None:
            if not self._objective_ready:
                raise RuntimeError(f"{type(self).__name__}.backward() needs loss(x) first "
                                   "(after forward(x), pass the upstream gradient: backward(grad_output))")
            self._backprop(self._recon_loss.backward(), self._penalty_backward())
            return None
        if self.x_hat is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        g = np.asarray(grad_output, dtype=self.dtype)
        if g.shape != self.x_hat.shape:
            raise ValueError(f"backward expected grad_output of shape {self.x_hat.shape}, got {g.shape}")
        return self._backprop(g, None)

    def _backprop(self, d_xhat: np.ndarray, d_h_extra) -> np.ndarray:
        """The chain rule from ∂J/∂x̂ (and an extra ∂Ω/∂h) down to the parameters; returns ∂J/∂x_in."""
        d_out = self.g.backward(d_xhat)                 # δ_out = ∂J/∂x̂ ⊙ g'(a_out)
        dW_d = self.h.T @ d_out                         # ∂J/∂W_d = hᵀ δ_out
        self.b_d.grad += d_out.sum(axis=0)              # ∂J/∂b_d = Σᵢ δ_out
        d_h = d_out @ self.W_d.T                        # δ_h = δ_out W_dᵀ (+ ∂Ω/∂h)
        if d_h_extra is not None:
            d_h = d_h + d_h_extra
        d_z = self.f.backward(d_h)                      # δ_z = δ_h ⊙ f'(z)
        self.W_e.grad += self.x_in.T @ d_z              # ∂J/∂W_e = xᵀ δ_z ...
        if self.tied:
            self.W_e.grad += dW_d.T                     # ... + (hᵀ δ_out)ᵀ, the decoder's use of W_e
        else:
            self.W_dec.grad += dW_d
        self.b_e.grad += d_z.sum(axis=0)                # ∂J/∂b_e = Σᵢ δ_z
        return d_z @ self.W_e.data.T                    # ∂J/∂x_in = δ_z W_eᵀ

    def extra_repr(self) -> str:
        extra = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return (f"{self.n_inputs}, {self.n_hidden}, activation={type(self.f).__name__}, "
                f"output_activation={type(self.g).__name__}, tied={self.tied}, "
                f"reconstruction={self.reconstruction!r}{extra}")


class SparseAutoencoder(Autoencoder):
    """Over- or under-complete autoencoder whose code is pushed to be sparse.

    ``penalty="l1"``:   Ω = λ (1/n) Σᵢ Σⱼ |hᵢⱼ|,
                        ∂Ω/∂hᵢⱼ = (λ/n) sign(hᵢⱼ)     (a subgradient: 0 at hᵢⱼ = 0).
    With a sigmoid code h > 0, so |h| = h and the penalty simply lowers every activation.

    ``penalty="kl"`` (requires a sigmoid hidden activation, so that h ∈ (0, 1) is a firing probability):
        ρ̂ⱼ = (1/n) Σᵢ hᵢⱼ,   Ω = β Σⱼ KL(ρ ‖ ρ̂ⱼ),
        KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂)),
        ∂KL/∂ρ̂ = −ρ/ρ̂ + (1 − ρ)/(1 − ρ̂),   ∂ρ̂ⱼ/∂hᵢⱼ = 1/n, so for every sample i
        ∂Ω/∂hᵢⱼ = (β/n) (−ρ/ρ̂ⱼ + (1 − ρ)/(1 − ρ̂ⱼ)).
    Clipping: ρ̂ⱼ is clipped into [ε, 1 − ε] with ε = max(1e−12, machine epsilon of the dtype) before the
    logs, and the gradient formula is evaluated at the clipped value (so a saturated unit is still pushed
    back towards ρ). Without clipping (every real case in float64) value and gradient are exact.
    """

    def __init__(self, n_inputs: int, n_hidden: int, activation="sigmoid", output_activation="sigmoid",
                 tied: bool = False, rng=None, reconstruction: str = "mse", dtype=np.float64, *,
                 penalty: str = "l1", lam: float = 1e-3, rho: float = 0.05, beta: float = 1.0):
        super().__init__(n_inputs, n_hidden, activation, output_activation, tied, rng, reconstruction, dtype)
        if penalty not in ("l1", "kl"):
            raise ValueError(f"penalty must be 'l1' or 'kl', got {penalty!r}")
        self.lam, self.beta = as_nonnegative(lam, "lam"), as_nonnegative(beta, "beta")
        self.rho = as_number(rho, "rho")
        if not 0.0 < self.rho < 1.0:
            raise ValueError(f"rho must be a number in (0, 1), got {rho!r}")
        if penalty == "kl" and not isinstance(self.f, Sigmoid):
            raise ValueError("penalty='kl' treats h as a firing probability: activation must be 'sigmoid', "
                             f"got {type(self.f).__name__}")
        self.penalty = penalty
        self.rho_hat_ = None

    def _penalty_forward(self, h):
        n = h.shape[0]
        if self.penalty == "l1":
            return float(self.lam * np.abs(h).sum() / n)
        eps = max(1e-12, float(np.finfo(self.dtype).eps))
        self.rho_hat_ = np.clip(h.mean(axis=0), eps, 1.0 - eps)     # ρ̂ⱼ, average activation of unit j
        rho, r = self.rho, self.rho_hat_
        kl = rho * np.log(rho / r) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - r))
        return float(self.beta * kl.sum())

    def _penalty_backward(self):
        n = self.h.shape[0]
        if self.penalty == "l1":
            return (self.lam / n) * np.sign(self.h)                  # (λ/n) sign(hᵢⱼ)
        rho, r = self.rho, self.rho_hat_
        d_rho_hat = self.beta * (-rho / r + (1.0 - rho) / (1.0 - r))  # β ∂KL/∂ρ̂ⱼ, shape (m,)
        return np.broadcast_to(d_rho_hat / n, self.h.shape)          # the same for every sample i

    def extra_repr(self) -> str:
        opts = f"lam={self.lam}" if self.penalty == "l1" else f"rho={self.rho}, beta={self.beta}"
        return f"{super().extra_repr()}, penalty={self.penalty!r}, {opts}"


class DenoisingAutoencoder(Autoencoder):
    """Learns to undo a corruption: the encoder sees x̃ ~ C(x̃ | x), the loss compares x̂ with the clean x.

        J = R(g(f(x̃ W_e + b_e) W_d + b_d), x)

    ``noise="gaussian"``: x̃ = x + σ ε, ε ~ N(0, 1) element-wise, σ = ``noise_level``.
    ``noise="mask"``:     x̃ = x ⊙ m, mᵢₖ ~ Bernoulli(1 − p): each input is set to 0 with probability
                          p = ``noise_level`` (no rescaling, unlike dropout).

    ``loss(x, x_corrupted=None)`` draws x̃ with ``corrupt(x)`` from the model's ``rng`` unless it is given
    (pass it to reproduce a computation exactly); the x̃ used is kept as ``x_corrupted_``.
    ``forward(x)``, ``encode`` and ``decode`` never corrupt: at evaluation the model maps x̃ to x̂ as given.
    The gradients are those of the base model with x̃ as the encoder's input.
    """

    def __init__(self, n_inputs: int, n_hidden: int, activation="sigmoid", output_activation="sigmoid",
                 tied: bool = False, rng=None, reconstruction: str = "mse", dtype=np.float64, *,
                 noise: str = "gaussian", noise_level: float = 0.3):
        super().__init__(n_inputs, n_hidden, activation, output_activation, tied, rng, reconstruction, dtype)
        if noise not in ("gaussian", "mask"):
            raise ValueError(f"noise must be 'gaussian' or 'mask', got {noise!r}")
        if noise == "gaussian":
            self.noise_level = as_nonnegative(noise_level, "noise_level (σ of the Gaussian noise)")
        else:
            self.noise_level = in_interval(noise_level, "noise_level (masking probability)", 0, 1)
        self.noise = noise
        self.x_corrupted_ = None

    def corrupt(self, x) -> np.ndarray:
        """A corrupted copy x̃ of the batch x (drawn from the model's rng)."""
        x = self._check(x)
        if self.noise == "gaussian":
            return x + self.dtype.type(self.noise_level) * self.rng.standard_normal(x.shape, dtype=self.dtype)
        keep = self.rng.random(x.shape) >= self.noise_level
        return x * keep.astype(self.dtype)

    def loss(self, x, x_corrupted=None) -> float:
        """J = R(x̂(x̃), x) with x̃ = ``x_corrupted`` or a fresh ``corrupt(x)``."""
        x = self._check(x)
        if x_corrupted is None:
            x_tilde = self.corrupt(x)
        else:
            x_tilde = self._check(x_corrupted, "x_corrupted")
            if x_tilde.shape != x.shape:
                raise ValueError(f"x_corrupted must have the shape of x {x.shape}, got {x_tilde.shape}")
        self.x_corrupted_ = x_tilde
        return self._objective(x_in=x_tilde, target=x)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, noise={self.noise!r}, noise_level={self.noise_level}"


class ContractiveAutoencoder(Autoencoder):
    """Penalises the sensitivity of the code to the input: Ω = λ (1/n) Σᵢ ‖∂hᵢ/∂xᵢ‖²_F.

    With h = f(z), z = x W_e + b_e, the Jacobian is ∂hⱼ/∂xₖ = f'(zⱼ) W_e[k, j], so per sample

        ‖J_h‖²_F = Σⱼ sⱼ² ωⱼ,    sⱼ = f'(zⱼ),   ωⱼ = Σₖ W_e[k, j]²,

    where, written with h:  sigmoid  s = h(1 − h),  ds/dh = 1 − 2h;
                            tanh     s = 1 − h²,    ds/dh = −2h.
    (Only these two activations are supported.)

    Gradient: W_e enters Ω twice — through h and through ω — so

        ∂Ω/∂hᵢⱼ     = (λ/n) 2 sᵢⱼ (ds/dh)ᵢⱼ ωⱼ            (then backpropagated through f with the rest of δ_h,
                                                          giving the terms xᵀ δ_z for W_e and Σᵢ δ_z for b_e)
        ∂Ω/∂W_e[k,j] += (λ/n) 2 W_e[k, j] Σᵢ sᵢⱼ²          (the direct term through ωⱼ)

    e.g. for sigmoid, through z: ∂Ω/∂zᵢⱼ = (λ/n) 2 sᵢⱼ² (1 − 2hᵢⱼ) ωⱼ, so ∂Ω/∂b_e = Σᵢ ∂Ω/∂zᵢ and
    ∂Ω/∂W_e = xᵀ (∂Ω/∂z) + (λ/n) 2 W_e ⊙ Σᵢ sᵢ². With tied weights the decoder does not enter Ω.
    """

    def __init__(self, n_inputs: int, n_hidden: int, activation="sigmoid", output_activation="sigmoid",
                 tied: bool = False, rng=None, reconstruction: str = "mse", dtype=np.float64, *,
                 lam: float = 1e-3):
        super().__init__(n_inputs, n_hidden, activation, output_activation, tied, rng, reconstruction, dtype)
        if not isinstance(self.f, (Sigmoid, Tanh)):
            raise ValueError("ContractiveAutoencoder supports activation 'sigmoid' or 'tanh', "
                             f"got {type(self.f).__name__}")
        self.lam = as_nonnegative(lam, "lam")
        self.jacobian_norm_ = None

    def _slope(self, h):
        """s = f'(z) and ds/dh, both written with h = f(z)."""
        if isinstance(self.f, Sigmoid):
            return h * (1.0 - h), 1.0 - 2.0 * h
        return 1.0 - h * h, -2.0 * h

    def _penalty_forward(self, h):
        s, _ = self._slope(h)
        omega = (self.W_e.data ** 2).sum(axis=0)                     # ωⱼ = Σₖ W_e[k, j]²
        self.jacobian_norm_ = (s * s) @ omega                        # ‖∂hᵢ/∂xᵢ‖²_F for each sample, (n,)
        return float(self.lam * self.jacobian_norm_.mean())

    def _penalty_backward(self):
        n = self.h.shape[0]
        s, ds_dh = self._slope(self.h)
        omega = (self.W_e.data ** 2).sum(axis=0)
        scale = self.lam / n
        self.W_e.grad += scale * 2.0 * self.W_e.data * (s * s).sum(axis=0)   # direct term through ω
        return scale * 2.0 * s * ds_dh * omega                               # ∂Ω/∂h, through h

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, lam={self.lam}"


__all__ = ["Autoencoder", "SparseAutoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder"]

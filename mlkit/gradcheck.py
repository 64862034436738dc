"""Gradient checking: compare a hand-written backward pass with central finite differences (lecture 05).

For a scalar function f and an array x, the central difference

    ∂f/∂xᵢ ≈ [f(x + ε eᵢ) − f(x − ε eᵢ)] / (2ε)

has error O(ε²); in float64 with ε = 1e−6 it agrees with a correct analytic gradient to about 1e−9
relative to the gradient's size. A bug in a backward pass shows up as an error of order 1.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_positive, as_rng
from .layers import Module


class GradientCheckError(AssertionError):
    """Raised by :func:`check_gradients` when an analytic gradient disagrees with finite differences."""


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the float64 array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly, so ``f`` must read ``x`` (for
    example a model's ``Parameter.data``) each time it is called.
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(f"x must be a numpy array that f reads, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise ValueError(f"x must be a float64 array (float32 is too coarse for finite differences), "
                         f"got dtype {x.dtype}")
    eps = as_positive(eps, "eps")
    grad = np.zeros_like(x)
    flat, grad_flat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place, got a non-contiguous view")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = float(f())
        flat[i] = old - eps
        f_minus = float(f())
        flat[i] = old
        grad_flat[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a − n| / max(max |a|, max |n|): the worst error relative to the gradient's scale (0 if both vanish)."""
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


class GradientReport(list):
    """Rows ``(name, shape, relative_error)``, one per checked array; prints as a table."""

    def max_error(self) -> float:
        return max((row[2] for row in self), default=0.0)

    def __str__(self) -> str:
        lines = [f"{'array':<24}{'shape':<16}{'max rel. error':>16}"]
        lines += [f"{name:<24}{str(shape):<16}{err:>16.3e}" for name, shape, err in self]
        return "\n".join(lines)


def check_gradients(model: Module, x, target=None, loss_fn=None, eps: float = 1e-6, tol: float = 1e-7,
                    rng=None) -> GradientReport:
    """Check every analytic gradient of ``model`` (its input and each Parameter) against finite differences.

    The scalar objective is ``loss_fn(model(x), target)`` when a loss is given, otherwise ⟨G, model(x)⟩ for a
    fixed random upstream gradient G (so every output entry matters). Everything must be float64. Models with
    randomness (Dropout in training mode) must be put in ``eval()`` mode first.

    Returns a :class:`GradientReport`; raises :class:`GradientCheckError` with the table if any relative
    error exceeds ``tol``.
    """
    x = np.array(x, dtype=np.float64)  # a private copy: perturbed in place below
    tol = as_positive(tol, "tol")
    params = model.parameters()
    for i, p in enumerate(params):
        if p.data.dtype != np.float64:
            raise ValueError(f"parameter {i} must be float64 to check its gradient, got {p.data.dtype}")
    if loss_fn is None:
        upstream = as_rng(rng).standard_normal(np.shape(model(x)))

        def objective() -> float:
            return float(np.sum(upstream * model(x)))
    else:
        def objective() -> float:
            return loss_fn(model(x), target)

    # analytic gradients
    model.zero_grad()
    out = model(x)
    if loss_fn is None:
        grad_x = model.backward(upstream)
    else:
        loss_fn(out, target)
        grad_x = model.backward(loss_fn.backward())
    analytic = [p.grad.copy() for p in params]
    if grad_x is None:
        raise ValueError("model.backward must return ∂L/∂x, got None (a first Linear layer with "
                         "needs_input_grad = False skips it: set it to True to check the gradients)")

    report = GradientReport()
    report.append(("input", x.shape, relative_error(grad_x, numerical_gradient(objective, x, eps))))
    for i, (p, g) in enumerate(zip(params, analytic)):
        name = f"{i}: {p.name or 'param'}"
        report.append((name, p.data.shape, relative_error(g, numerical_gradient(objective, p.data, eps))))
    model.zero_grad()
    if report.max_error() > tol:
        raise GradientCheckError(f"gradient check failed (tolerance {tol:g}):\n{report}")
    return report


__all__ = ["numerical_gradient", "check_gradients", "relative_error", "GradientReport", "GradientCheckError"]

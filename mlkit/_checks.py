"""Input validation and random-state helpers shared by the mlkit modules.

Every public function of mlkit validates its input at the boundary and raises ``ValueError`` naming the
expected and the received shape or values, so that a mistake never turns into a silently wrong number.
All messages read the same way: ``"<name> must be <what is expected>, got <what was received>"``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def as_rng(rng=None) -> np.random.Generator:
    """Return a ``np.random.Generator`` from ``None`` (fresh entropy), an int seed or a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be None, an int seed or a numpy Generator, got {type(rng).__name__}")


def as_float_array(x, name: str = "x", dtype=None) -> np.ndarray:
    """``x`` as a floating-point ndarray (float64 unless it already is floating or ``dtype`` is given)."""
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


class NonFiniteError(ValueError):
    """An array that must be finite holds NaN or ±inf (a ``ValueError``, so callers can catch either)."""


def as_positive_int(value, name: str) -> int:
    """A size or count: a whole number ≥ 1 (2.7, "3", True and 0 are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def as_int_at_least(value, name: str, minimum: int) -> int:
    """A whole number ≥ ``minimum`` (e.g. a number of epochs ≥ 0); floats, strings and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def as_number(value, name: str) -> float:
    """A real, finite number such as 0.1 or 3, as a float (bools, strings, arrays, NaN and ±inf are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def as_nonnegative(value, name: str) -> float:
    """A finite number ≥ 0 (a learning rate, a weight decay, ...)."""
    x = as_number(value, name)
    if x < 0.0:
        raise ValueError(f"{name} must be a number ≥ 0, got {value!r}")
    return x


def as_positive(value, name: str) -> float:
    """A finite number > 0 (a step size ε, a decay factor γ, ...)."""
    x = as_number(value, name)
    if x <= 0.0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return x


def in_interval(value, name: str, low: float, high: float, include_high: bool = True) -> float:
    """A finite number in [low, high] (or in [low, high) with ``include_high=False``)."""
    x = as_number(value, name)
    if not (low <= x <= high if include_high else low <= x < high):
        interval = f"[{low}, {high}]" if include_high else f"[{low}, {high})"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return x


def as_bool(value, name: str) -> bool:
    """A switch: True or False (also numpy's bool); 1, "yes" or None are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_float_dtype(dtype) -> np.dtype:
    """A floating dtype (np.float32 or np.float64) for a model's weights."""
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"dtype must be a floating type such as np.float32 or np.float64, got {dtype}")
    return dt


def check_finite(x: np.ndarray, name: str = "x") -> None:
    """Raise :class:`NonFiniteError` (a ``ValueError``) if ``x`` holds NaN or ±inf."""
    if not np.all(np.isfinite(x)):
        n_bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise NonFiniteError(f"{name} must hold finite numbers, got {n_bad} NaN or infinite value(s)")


def check_ndim(x: np.ndarray, ndim: int, name: str, expected: str) -> None:
    """Raise ``ValueError`` unless ``x.ndim == ndim``; ``expected`` spells the shape, e.g. ``"(n, 3)"``."""
    if x.ndim != ndim:
        raise ValueError(f"{name} must have shape {expected}, got shape {x.shape} ({x.ndim}-D)")


def check_same_shape(pred: np.ndarray, target: np.ndarray) -> None:
    """Element-wise losses compare arrays of identical shape: no silent broadcasting."""
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got pred {pred.shape} and target {target.shape}"
        )


def as_labels(y, n_classes: int | None = None, name: str = "y") -> np.ndarray:
    """Integer class labels of shape ``(n,)``, optionally checked to lie in ``[0, n_classes)``.

    Floats holding whole numbers (e.g. ``np.array([0., 2.])``) are accepted; anything else raises.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be integer class labels of shape (n,), got shape {arr.shape}")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold whole-number class labels, got non-integer values")
        arr = arr.astype(np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be integer class labels, got dtype {arr.dtype}")
    if n_classes is not None and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(
                f"{name} must hold labels in [0, {n_classes - 1}] for {n_classes} classes, "
                f"got values in [{lo}, {hi}]"
            )
    return arr


def as_signed_labels(y, name: str = "y") -> np.ndarray:
    """Labels that must all be −1 or +1 (binary margin losses and the perceptron criterion)."""
    arr = np.asarray(y)
    bad = ~np.isin(arr, (-1, 1))
    if np.any(bad):
        found = np.unique(arr[bad])[:5]
        raise ValueError(f"{name} must hold labels −1 or +1, got other values such as {found.tolist()}")
    return arr

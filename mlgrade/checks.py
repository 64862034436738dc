"""Comparisons that explain themselves, for the visible tests in a student's notebook and for the judge.

:func:`check_close` compares a result with the expected one and explains a mismatch in the order a student
can act on: the type, then the shape, then NaN/inf, then the values. Results are converted with
``np.asarray(result, dtype=float)``, so an object that only *pretends* to be equal earns nothing.
"""

from __future__ import annotations

import numpy as np


def as_numbers(value, name: str = "result") -> np.ndarray:
    """``np.asarray(value, dtype=float)``, or an ``AssertionError`` saying why ``value`` is not numbers."""
    if value is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    wrong_type = f"{name} must be a number or a numpy array of numbers, got {type(value).__name__}"
    try:
        kind = np.asarray(value).dtype.kind
    except (TypeError, ValueError) as err:  # a ragged list, for example
        raise AssertionError(f"{wrong_type} ({err})") from None
    if isinstance(value, (str, bytes)) or kind in "USO":
        raise AssertionError(wrong_type)
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{wrong_type} ({err})") from None


def check_close(got, expected, name: str = "result", rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Assert that ``got`` equals ``expected`` within ``|got − expected| ≤ atol + rtol·|expected|``.

    Checks, in order: numbers at all (type), the shape, NaN/inf where none are expected, then the values.
    A mismatch names the first wrong entry and how many entries are wrong.
    """
    expected = np.asarray(expected, dtype=float)
    arr = as_numbers(got, name)
    if arr.shape != expected.shape:
        raise AssertionError(f"{name} should have shape {expected.shape}, but it has shape {arr.shape}")
    bad = ~np.isfinite(arr) & np.isfinite(expected)
    if np.any(bad):
        raise AssertionError(f"{name} contains {int(bad.sum())} NaN or infinite value(s) where finite numbers "
                             f"are expected (first at index {tuple(int(i) for i in np.argwhere(bad)[0])})")
    with np.errstate(invalid="ignore", over="ignore"):
        wrong = ~np.isclose(arr, expected, rtol=rtol, atol=atol, equal_nan=True)
    if np.any(wrong):
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        where = f" at index {first}" if first else ""
        largest = float(np.nanmax(np.abs(arr - expected)[wrong]))
        raise AssertionError(f"{name} has the right shape but wrong values: {int(wrong.sum())} of {arr.size} "
                             f"entries differ (largest difference {largest:.3g}); the first{where} is "
                             f"{arr[first]:.10g}, expected {expected[first]:.10g}")


__all__ = ["check_close", "as_numbers"]

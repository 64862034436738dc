"""Helpers for the course's auto-graded exercises (used by the test cells of exercises/).

- :func:`check_close` compares a student's result with the expected one and explains a mismatch in the
  order a student can act on: the type, then the shape, then the values. Results are converted with
  ``np.asarray(result, dtype=float)``, so an object that only *pretends* to be equal earns nothing.
- :func:`forbid_calls` guards a call of a student's function: if it reaches into the reference
  implementation it is meant to replace (a module of mlkit, or PyTorch), the test fails. It watches every
  Python and built-in function call made while the guarded block runs (``sys.setprofile``).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import types
from contextlib import contextmanager

import numpy as np


class ReferenceCalled(AssertionError):
    """A graded function called the reference implementation instead of computing the result itself."""


def as_numbers(value, name: str = "result") -> np.ndarray:
    """``np.asarray(value, dtype=float)`` with a friendly message when ``value`` is not numbers."""
    if value is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    if isinstance(value, (str, bytes)) or np.asarray(value).dtype.kind in "USO":
        raise AssertionError(f"{name} must be a number or a numpy array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{name} must be a number or a numpy array of numbers, got {type(value).__name__}"
                             f" ({err})") from None
    return arr


def check_close(got, expected, name: str = "result", rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Assert that ``got`` equals ``expected`` numerically; the message says what was expected.

    Checks, in order: numbers at all (type), the shape, NaN/inf where none are expected, then the values
    with ``np.testing.assert_allclose(got, expected, rtol, atol)``.
    """
    expected = np.asarray(expected, dtype=float)
    arr = as_numbers(got, name)
    if arr.shape != expected.shape:
        raise AssertionError(f"{name} should have shape {expected.shape}, but it has shape {arr.shape}")
    bad = ~np.isfinite(arr) & np.isfinite(expected)
    if np.any(bad):
        raise AssertionError(f"{name} contains {int(bad.sum())} NaN or infinite value(s) where finite numbers "
                             f"are expected (first at index {tuple(int(i) for i in np.argwhere(bad)[0])})")
    np.testing.assert_allclose(arr, expected, rtol=rtol, atol=atol,
                               err_msg=f"{name} has the right shape but wrong values")


def _module_location(target) -> tuple[tuple[str, ...], str]:
    """(path prefixes, dotted name) of a module given as a module object or a dotted name.

    The prefixes are the module's file (or its package folder), as imported and with links resolved.
    """
    module = importlib.import_module(target) if isinstance(target, str) else target
    if not isinstance(module, types.ModuleType):
        raise ValueError(f"forbid_calls takes modules or module names, got {type(target).__name__}")
    prefixes = []
    for path in {module.__file__, os.path.realpath(module.__file__)}:
        if os.path.basename(path) == "__init__.py":  # a package: everything inside its folder
            path = os.path.dirname(path) + os.sep
        prefixes.append(path)
    return tuple(prefixes), module.__name__


def _describe(frame_or_fn) -> str:
    if isinstance(frame_or_fn, types.FrameType):
        code = frame_or_fn.f_code
        return f"{code.co_name} in {code.co_filename}"
    return getattr(frame_or_fn, "__qualname__", repr(frame_or_fn))


@contextmanager
def forbid_calls(*targets, what: str = "your function"):
    """Fail if the guarded block calls into any of ``targets`` (modules or names like ``"torch"``).

    Usage in a test cell::

        with forbid_calls("mlkit.activations", "torch", what="sigmoid"):
            result = sigmoid(z)

    Python-level calls are matched by the file they are defined in; built-in calls (PyTorch's C
    functions and Tensor methods) by the module they belong to.
    """
    locations = [_module_location(t) for t in targets]
    prefixes = tuple(p for paths, _ in locations for p in paths)
    names = tuple(name for _, name in locations)
    found: list[str] = []

    def belongs(module_name) -> bool:
        return isinstance(module_name, str) and any(
            module_name == n or module_name.startswith(n + ".") for n in names)

    def hook(frame, event, arg):
        if found:
            return
        if event == "call":
            if frame.f_code.co_filename.startswith(prefixes):
                found.append(_describe(frame))
        elif event == "c_call":
            owner = getattr(arg, "__self__", None)
            if (belongs(getattr(arg, "__module__", None)) or belongs(type(owner).__module__)
                    or (isinstance(owner, types.ModuleType) and belongs(owner.__name__))):
                found.append(_describe(arg))

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(hook)
    threading.setprofile(hook)  # threads started inside the block are watched too
    try:
        yield
    finally:
        tampered = sys.getprofile() is not hook
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
    if tampered:
        raise ReferenceCalled(f"{what} switched off the grading guard (sys.setprofile); that is not allowed")
    if found:
        raise ReferenceCalled(f"{what} must compute the result itself, but it called the reference "
                              f"implementation ({found[0]}). Write it with numpy.")


__all__ = ["check_close", "as_numbers", "forbid_calls", "ReferenceCalled"]


# --------------------------------------------------------------------------------------------------------
# A guard for autograding kernels


_BLOCKED_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile",
                   "pty.spawn")


def _course_root(start: str) -> str | None:
    """The nearest folder at or above ``start`` that holds ``nbgrader_config.py`` (the course directory)."""
    path = os.path.realpath(start)
    while True:
        if os.path.isfile(os.path.join(path, "nbgrader_config.py")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def install_sandbox(course_root: str | None = None) -> str | None:
    """Keep a submission inside its own folder while it is autograded (call it when the kernel starts).

    Inside the course directory (found from the working directory, or ``$MLKIT_COURSE_ROOT``) the
    notebook may read only its own folder and Python source files: the source notebooks with solutions
    and hidden tests, other students' submissions and the gradebook are out of reach. Starting other
    programs (which could read them for it) is refused as well. The guard is a ``sys.addaudithook``
    hook, which cannot be removed once installed. Returns the course directory it protects (None if
    there is none, in which case nothing is installed).
    """
    here = os.path.realpath(os.getcwd())
    root = course_root or os.environ.get("MLKIT_COURSE_ROOT") or _course_root(here)
    if root is None:
        return None
    root = os.path.realpath(root)
    inside = root + os.sep
    own = here + os.sep
    # the Python installation (a virtualenv may live inside the course folder): packages and their data
    installed = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.exec_prefix)})

    def allowed(path) -> bool:
        if isinstance(path, int):  # an already open file descriptor
            return True
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return True
        if not real.startswith(inside) or (real + os.sep).startswith(own) or real.startswith(installed):
            return True
        return real.endswith((".py", ".pyc", ".so")) or real == root

    def hook(event, args):
        if event == "open" and not allowed(args[0]):
            raise PermissionError(f"reading {args[0]} is not allowed while grading: a submission may only "
                                  "use files in its own folder")
        if event == "sqlite3.connect" and args and not allowed(args[0]):
            raise PermissionError("the gradebook is not accessible while grading")
        if event.startswith(_BLOCKED_EVENTS):
            raise PermissionError(f"{event} is not allowed while grading")

    sys.addaudithook(hook)
    return root


__all__ += ["install_sandbox"]

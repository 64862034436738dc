"""The spec harness: hidden checks as Python functions that the judge runs in its own process.

A spec file (``specs/NN_topic.py`` in the course directory) holds one check per graded test cell::

    spec = Spec("03_backprop", unavailable=["mlkit.layers", "mlkit.gradcheck"])

    @spec.test("test_linear_forward")
    def linear_forward(t):
        X, W, b = t.rng.normal(size=(7, 3)), t.rng.normal(size=(3, 4)), t.rng.normal(size=4)
        got = t.call("linear_forward", X, W, b)        # runs in the student's sandboxed kernel
        t.check_close(got, X @ W + b, "linear_forward on X (7, 3)")

A check passes when it returns, and fails with the message of the first ``AssertionError``. ``t.rng`` is
seeded per student (from the instructor's secret, the assignment, the student and the test cell), so two
students get different inputs and a re-grade gets the same ones. Everything the check computes — the
reference results from mlkit and PyTorch, the tolerances, the expected values — stays in this process;
the student's kernel sees only the inputs of each call, and only plain data (:mod:`mlgrade.wire`) comes
back. ``unavailable`` lists the mlkit modules that the assignment asks students to write: the sandbox makes
them (and torch) unimportable while grading.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import inspect
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from . import _kernel_side, wire
from .checks import check_close

BOOT_SOURCE = inspect.getsource(wire) + "\n\n" + inspect.getsource(_kernel_side)


class Failed(AssertionError):
    """The student's code did not produce a result: it raised, ran out of time, or ended its kernel."""


class KernelFault(Exception):
    """The kernel did not answer a request: ``kind`` is "timeout" or "died"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Spec:
    """The hidden checks of one assignment, one function per graded test cell (by its grade_id)."""

    def __init__(self, assignment: str, unavailable=(), timeout: float | None = None):
        self.assignment = assignment
        self.unavailable = tuple(unavailable)
        self.timeout = timeout  # seconds per call into the kernel (None: the cell timeout)
        self.tests: dict = {}

    def test(self, grade_id: str):
        """Register the decorated function ``f(t: Trial)`` as the check of test cell ``grade_id``."""
        def register(fn):
            if grade_id in self.tests:
                raise ValueError(f"{self.assignment}: two checks for test cell {grade_id!r}")
            self.tests[grade_id] = fn
            return fn
        return register


def load_spec(path) -> Spec:
    """The ``spec`` object defined by the spec file at ``path``."""
    path = Path(path)
    module_spec = importlib.util.spec_from_file_location(f"mlgrade_spec_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    spec = getattr(module, "spec", None)
    if not isinstance(spec, Spec):
        raise ValueError(f"{path} must define `spec = Spec(...)`")
    return spec


def student_seed(secret: bytes, assignment: str, student: str, grade_id: str) -> int:
    """A 128-bit seed: HMAC-SHA256 of (assignment, student, test cell) under the instructor's secret."""
    message = "\0".join([assignment, student, grade_id]).encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:16], "big")


# --------------------------------------------------------------------------------------------------------
# one check run against one submission


class Trial:
    """What a check sees: a per-student ``rng``, and calls into the student's kernel."""

    check_close = staticmethod(check_close)

    def __init__(self, session, rng: np.random.Generator, timeout: float):
        self._session = session
        self.rng = rng
        self.timeout = timeout

    def run(self, code: str, returns="result", **inputs):
        """Run ``code`` in (a copy of) the student's namespace with ``inputs`` bound; return the values of
        the names in ``returns`` (a single value when ``returns`` is one name)."""
        single = isinstance(returns, str)
        names = [returns] if single else list(returns)
        reply = self._session.request(code, inputs, names, self.timeout)
        if not reply.get("ok"):
            error, message = reply.get("error", "an error"), str(reply.get("message", ""))
            raise Failed(f"{_first_name(code)} raised {error}" + (f": {message}" if message else ""))
        values = reply["values"]
        return values[0] if single else tuple(values)

    def call(self, function: str, *args, **kwargs):
        """``function(*args, **kwargs)`` in the student's kernel; its result as plain data."""
        if not re.fullmatch(r"[A-Za-z_]\w*", function):
            raise ValueError(f"not a function name: {function!r}")
        inputs = {f"_arg{i}": a for i, a in enumerate(args)} | {f"_kw_{k}": v for k, v in kwargs.items()}
        call_args = [f"_arg{i}" for i in range(len(args))] + [f"{k}=_kw_{k}" for k in kwargs]
        return self.run(f"result = {function}({', '.join(call_args)})", **inputs)


def _first_name(code: str) -> str:
    """The function a request's code calls first, for messages ("linear_forward raised ...")."""
    match = re.search(r"([A-Za-z_]\w*)\(", code)
    return f"{match.group(1)}(...)" if match else "your code"


@dataclass
class Verdict:
    passed: bool
    message: str
    internal: bool = False  # the check itself failed (a bug in the spec): the instructor must look


def run_check(spec: Spec, grade_id: str, session, seed: int, timeout: float) -> Verdict:
    """Run the check of ``grade_id`` against ``session``; never raises for anything the student did."""
    check = spec.tests.get(grade_id)
    if check is None:
        return Verdict(False, f"no hidden check for test cell {grade_id!r} in the spec", internal=True)
    trial = Trial(session, np.random.default_rng(seed), spec.timeout or timeout)
    try:
        check(trial)
    except KernelFault as fault:
        return Verdict(False, str(fault))
    except AssertionError as err:
        return Verdict(False, str(err) or "a check failed")
    except Exception as err:  # noqa: BLE001 -- an unexpected result may break the check's own code
        return Verdict(False, f"the result could not be checked ({type(err).__name__}: {err})"[:1000],
                       internal=True)
    return Verdict(True, "all checks passed")


# --------------------------------------------------------------------------------------------------------
# a session in this process (tests of the specs themselves; never used for grading)


class LocalSession:
    """Runs requests in a namespace of this process, through the same wire format as the sandbox."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self._boot = {}
        exec(compile(BOOT_SOURCE, "<mlgrade-boot>", "exec"), self._boot)

    def request(self, code, inputs, returns, timeout):
        replies = []
        request = make_request(code, inputs, returns)
        self._boot["_run"](self.namespace, request, replies.append)
        return decode_reply(replies[-1])


def make_request(code: str, inputs: dict, returns) -> str:
    import json
    return json.dumps({"code": code, "inputs": [[k, wire.encode(v)] for k, v in inputs.items()],
                       "returns": list(returns)})


def decode_reply(text: str, max_bytes: int = 64_000_000) -> dict:
    """A kernel's reply ``{"ok": true, "values": [...]}`` or ``{"ok": false, "error", "message"}``, checked."""
    import json
    if len(text) > max_bytes:
        raise KernelFault("too_big", f"the result is {len(text):,} bytes, more than the limit of {max_bytes:,}")
    try:
        reply = json.loads(text)
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise wire.WireError("not a reply")
        if reply["ok"]:
            if not isinstance(reply.get("values"), list):
                raise wire.WireError("a reply without values")
            reply["values"] = [wire._decode(v, 0) for v in reply["values"]]
        else:
            reply = {"ok": False, "error": str(reply.get("error", "an error"))[:100],
                     "message": str(reply.get("message", ""))[:2000]}
    except (ValueError, TypeError, RecursionError, KeyError) as err:
        raise KernelFault("malformed", f"the result could not be read as plain data ({err})"[:300]) from None
    return reply


BEGIN_END = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def namespace_from_notebook(path, replace: dict | None = None) -> dict:
    """Execute a source notebook's code cells up to its last test cell, skipping test cells, in a fresh
    namespace (solution markers removed); ``replace`` maps a function name to source code run after the cell
    that defines it (to build a broken submission). For testing specs against the reference solution."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    graded = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade")]
    ns: dict = {"__name__": "__main__"}
    for i, cell in enumerate(cells[:max(graded, default=-1) + 1]):
        if cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        source = BEGIN_END.sub("", cell.source)
        exec(compile(source, f"<cell {i}>", "exec"), ns)
        for name, code in (replace or {}).items():
            if re.search(rf"^(def|class) {re.escape(name)}\b", source, re.MULTILINE):
                exec(compile(code, f"<replacement of {name}>", "exec"), ns)
    return ns


def new_nonce() -> str:
    return uuid.uuid4().hex

"""The judge: run one submission in its sandboxed kernel and decide every test cell with the assignment's spec.

Cell by cell, from the top to the last test cell:

- a code cell that is not a test cell runs in the student's kernel; its outputs are kept;
- a test cell does **not** run. Instead its check (``specs/NN_topic.py``) runs here, calling the student's
  functions in the kernel on inputs drawn from the student's own seed. The verdict becomes the cell's only
  output: a line of text when it passed, an error (which nbgrader scores 0) with the reason when it failed.

Faults cost only what they break. A cell that runs past the time limit is interrupted, and killed with its
sandbox if it ignores the interrupt; a kernel that dies (``os._exit``, memory) is replaced by a new one in
which the cells that had run before are run again; then grading goes on with the next cell. Hidden-test
regions (``### BEGIN HIDDEN TESTS``) are removed from every cell before anything runs, so they never reach
the sandbox, the graded notebook or the feedback.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .kernel import Execution, Kernel
from .sandbox import Limits
from .spec import BOOT_SOURCE, KernelFault, Spec, Verdict, decode_reply, make_request, new_nonce, run_check

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.MULTILINE | re.DOTALL)
MAX_RESTARTS = 4


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def remove_hidden_tests(nb) -> int:
    """Remove every hidden-test region from ``nb`` in place; return how many there were."""
    count = 0
    for cell in nb.cells:
        source, n = HIDDEN.subn("", cell.source)
        if n:
            cell.source, count = source, count + n
    return count


class KernelSession:
    """Requests from a check to the student's kernel (see mlgrade/_kernel_side.py)."""

    def __init__(self, kernel: Kernel, max_bytes: int):
        self.kernel = kernel
        self.max_bytes = max_bytes

    def request(self, code, inputs, returns, timeout):
        mime = f"application/vnd.mlgrade.{new_nonce()}+json"
        source = (f"exec(compile({BOOT_SOURCE!r}, '<grader>', 'exec'), _mlgrade_ns := {{}})\n"
                  "from IPython.display import publish_display_data as _mlgrade_publish\n"
                  f"_mlgrade_ns['_run'](globals(), {make_request(code, inputs, returns)!r}, "
                  f"lambda text: _mlgrade_publish({{{mime!r}: text}}))\n"
                  "del _mlgrade_ns, _mlgrade_publish")
        result = self.kernel.execute(source, timeout, mime=mime)
        if result.status == "timeout":
            raise KernelFault("timeout", f"the call did not finish within {timeout:g} s and was stopped")
        if result.status == "died":
            raise KernelFault("died", "the kernel died during the call (os._exit, a crash, or out of memory)")
        if not result.data:
            error = next((o for o in result.outputs if o.output_type == "error"), None)
            why = f" ({error.ename}: {error.evalue})" if error else ""
            raise KernelFault("no_reply", f"the call returned no result{why}")
        return decode_reply(result.data[0], self.max_bytes)


@dataclass
class Report:
    """What happened while grading one notebook (for the log and the tests)."""

    verdicts: dict = field(default_factory=dict)   # grade_id -> Verdict
    starts: int = 0
    timeouts: int = 0
    seconds: float = 0.0

    @property
    def restarts(self) -> int:
        return max(self.starts - 1, 0)


class Judge:
    """Grades notebooks of one assignment with its spec."""

    def __init__(self, spec: Spec, timeout: float = 120, limits: Limits | None = None, sandboxed: bool = True,
                 max_bytes: int = 64_000_000, log=None):
        self.spec = spec
        self.timeout = timeout
        self.limits = limits or Limits()
        self.sandboxed = sandboxed
        self.max_bytes = max_bytes
        self.log = log

    def _start(self, folder: Path) -> Kernel:
        return Kernel(folder, self.spec.unavailable, self.spec.assignment, self.limits, self.sandboxed)

    def grade(self, nb, folder: Path, seed_of) -> Report:
        """Execute ``nb`` (changed in place: outputs of every cell up to the last test cell) with a kernel whose
        working folder is a private copy of ``folder``; ``seed_of(grade_id)`` gives the student's seeds."""
        start = time.monotonic()
        report = Report()
        remove_hidden_tests(nb)
        cells = [c for c in nb.cells if c.cell_type == "code"]
        tests = [i for i, c in enumerate(cells) if is_test_cell(c)]
        missing = [nbgrader_meta(cells[i])["grade_id"] for i in tests
                   if nbgrader_meta(cells[i])["grade_id"] not in self.spec.tests]
        if missing:
            raise ValueError(f"{self.spec.assignment}: the spec has no check for the test cells {missing}")
        for cell in cells:
            cell.outputs, cell.execution_count = [], None
        ran: list[int] = []   # cells that ran to the end: run again in a new kernel after a crash
        kernel = None
        broken = False        # the kernel could not be brought back: the remaining cells are not graded
        try:
            for i, cell in enumerate(cells[:max(tests, default=-1) + 1]):
                if kernel is None and not broken:
                    kernel, broken = self._restore(folder, cells, ran, report)
                if is_test_cell(cell):
                    gid = nbgrader_meta(cell)["grade_id"]
                    if broken:
                        verdict = Verdict(False, "not graded: the notebook could not be run again after its "
                                                 "kernel was stopped or died several times")
                    else:
                        verdict = run_check(self.spec, gid, KernelSession(kernel, self.max_bytes),
                                            seed_of(gid), self.timeout)
                    report.verdicts[gid] = verdict
                    cell.outputs = verdict_outputs(verdict)
                    if verdict.internal and self.log:
                        self.log.error("check %s could not judge the result: %s", gid, verdict.message)
                    if kernel is not None and not kernel.alive:
                        kernel.kill()
                        kernel = None
                    continue
                if broken:
                    continue
                result = kernel.execute(cell.source, self.timeout)
                cell.outputs = result.outputs + fault_outputs(result, self.timeout)
                if result.status == "timeout":
                    report.timeouts += 1
                if result.status in ("ok", "error") or (result.status == "timeout" and kernel.alive):
                    if result.status != "timeout":
                        ran.append(i)
                else:
                    kernel.kill()
                    kernel = None
        finally:
            if kernel is not None:
                kernel.kill()
        report.seconds = time.monotonic() - start
        return report

    def _restore(self, folder, cells, ran, report) -> tuple[Kernel | None, bool]:
        """A new kernel in which the cells in ``ran`` have run again; (None, True) when that fails."""
        if report.starts > MAX_RESTARTS:
            return None, True
        report.starts += 1
        kernel = self._start(folder)
        for i in ran:
            result = kernel.execute(cells[i].source, self.timeout)
            if result.status in ("timeout", "died"):
                kernel.kill()
                return None, True
        return kernel, False


def verdict_outputs(verdict: Verdict) -> list:
    """A test cell's outputs from its verdict: nbgrader gives full points when there is no error output."""
    if verdict.passed:
        return [nbformat.v4.new_output("stream", name="stdout",
                                       text="Passed: the grader's checks on hidden inputs drawn for you.\n")]
    return [nbformat.v4.new_output("error", ename="GradingFailed", evalue=verdict.message,
                                   traceback=[f"Failed: {verdict.message}"])]


def fault_outputs(result: Execution, timeout: float) -> list:
    if result.status == "timeout":
        text = (f"This cell ran longer than {timeout:g} s and was stopped. Later cells still run; a test cell "
                "that needs this cell's work fails.")
    elif result.status == "died":
        text = ("The kernel died while running this cell (os._exit, a crash, or out of memory). The cells "
                "before it were run again in a new kernel and grading went on with the next cell.")
    else:
        return []
    return [nbformat.v4.new_output("error", ename="GradingInterrupted", evalue=text, traceback=[text])]


def summary(report: Report) -> str:
    passed = sum(v.passed for v in report.verdicts.values())
    return (f"{passed}/{len(report.verdicts)} test cells passed in {report.seconds:.1f} s "
            f"({report.restarts} kernel restarts, {report.timeouts} timeouts)")


def dumps_report(report: Report) -> str:
    return json.dumps({gid: {"passed": v.passed, "message": v.message} for gid, v in report.verdicts.items()})

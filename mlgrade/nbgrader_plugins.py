"""The judge inside ``nbgrader autograde``, plugged in through nbgrader's configuration (see nbgrader_config.py).

- :class:`RestoreCells` (sanitize step): nbgrader's ``OverwriteCells``, which puts back locked and deleted test
  cells, with two changes: a deleted cell is re-inserted after the nearest earlier cell the submission still
  has (nbgrader 0.9 raises ``KeyError`` when that cell is a locked Markdown cell), and hidden-test regions are
  removed, so the notebook written to ``autograded/`` never holds a hidden test.
- :class:`JudgeExecute` (autograde step, in place of nbgrader's ``Execute``): runs the submission in a
  bubblewrap sandbox and decides each test cell with ``specs/<assignment>.py`` (:mod:`mlgrade.judge`).
- :class:`TruncateOutput`: cuts every text output to ``max_chars`` (``LimitOutput`` counts lines only).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Bool, Integer, Unicode

from .judge import Judge, remove_hidden_tests, summary
from .sandbox import Limits, sandbox_problem
from .spec import load_spec, student_seed


class RestoreCells(OverwriteCells):
    """``OverwriteCells`` that survives deleted cells next to Markdown cells, and strips hidden tests."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        removed = remove_hidden_tests(nb)
        if removed:
            self.log.info("Removed %d hidden-test regions before grading", removed)
        return nb, resources

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = source_nb.source_cells
        order = [cell.name for cell in source_cells]
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)
                       if utils.is_grade(c) or utils.is_solution(c) or utils.is_locked(c)}
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            position = order.index(grade_cell.name)
            cell = self.missing_cell_transform(source_cells[position], grade_cell.max_score,
                                              is_solution=grade_cell.name in solution_ids)
            earlier = [present[name] for name in order[:position] if name in present]
            nb.cells.insert(max(earlier) + 1 if earlier else 0, cell)
        return nb, resources


def ensure_secret(path: Path) -> tuple[bytes, bool]:
    """The grading secret in ``path`` and whether it was created now. A new secret is written to a temporary
    file and linked into place, so that graders starting at once all read the same, complete secret."""
    created = False
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # fails if another grader was first: then its secret is the one
            created = True
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    secret = path.read_text().strip().encode()
    if len(secret) < 32:
        raise RuntimeError(f"the grading secret {path} is too short ({len(secret)} characters): restore it, or "
                           "delete it to start over with new hidden inputs")
    return secret, created


class JudgeExecute(NbGraderPreprocessor):
    """Execute the submission in a sandbox; the assignment's spec decides every test cell."""

    spec_directory = Unicode("specs", help="folder of the specs (<assignment>.py), relative to the course "
                                           "directory").tag(config=True)
    secret_file = Unicode(".mlgrade_secret", help="the instructor's secret from which per-student inputs are "
                                                  "derived (created on first use; keep it to re-grade "
                                                  "identically)").tag(config=True)
    timeout = Integer(120, help="seconds a cell or a check's call may run").tag(config=True)
    memory_mb = Integer(Limits.memory_mb, help="address space per sandboxed process, MB").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU seconds per sandboxed process").tag(config=True)
    processes = Integer(Limits.processes, help="processes and threads of the sandbox user").tag(config=True)
    sandbox_uid = Integer(Limits.uid, help="unprivileged user id of the kernel when grading as root").tag(config=True)
    unsafe_no_sandbox = Bool(False, help="grade WITHOUT the bubblewrap sandbox: student code can then read "
                                         "and change anything the grader can. Only for trusted "
                                         "submissions.").tag(config=True)
    max_result_bytes = Integer(64_000_000, help="largest result a call may send back").tag(config=True)

    _problem_checked = False

    def _course_path(self, name: str) -> Path:
        root = self.config.get("CourseDirectory", {}).get("root") or os.getcwd()
        return Path(root, name)

    def _secret(self) -> bytes:
        path = self._course_path(self.secret_file)
        secret, created = ensure_secret(path)
        if created:
            self.log.warning("Created the grading secret %s: keep it (re-grading with another secret draws "
                             "other hidden inputs)", path)
        return secret

    def _check_sandbox(self) -> None:
        if JudgeExecute._problem_checked:
            return
        problem = sandbox_problem()
        if problem and not self.unsafe_no_sandbox:
            raise RuntimeError(f"refusing to grade: {problem}. To grade without a sandbox anyway (student code "
                               "then runs with your rights), pass --JudgeExecute.unsafe_no_sandbox=True")
        if self.unsafe_no_sandbox:
            self.log.warning("GRADING WITHOUT A SANDBOX (--JudgeExecute.unsafe_no_sandbox=True)")
        JudgeExecute._problem_checked = True

    def preprocess(self, nb, resources):
        self._check_sandbox()
        assignment = resources["nbgrader"]["assignment"]
        student = resources["nbgrader"]["student"]
        spec = load_spec(self._course_path(self.spec_directory) / f"{assignment}.py")
        secret = self._secret()
        limits = Limits(memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds, processes=self.processes,
                        uid=self.sandbox_uid)
        judge = Judge(spec, timeout=self.timeout, limits=limits, sandboxed=not self.unsafe_no_sandbox,
                      max_bytes=self.max_result_bytes, log=self.log)
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        report = judge.grade(nb, folder, lambda gid: student_seed(secret, assignment, student, gid))
        self.log.info("%s/%s: %s", student, assignment, summary(report))
        return nb, resources


class TruncateOutput(NbGraderPreprocessor):
    """Cut every text output of a cell to ``max_chars`` characters.

    nbgrader's own ``LimitOutput`` counts lines only, so one 20 MB line would be stored whole in the graded
    notebook, the gradebook and the feedback. Truncating does not change a score: a stderr stream that is
    cut stays a stderr stream.
    """

    max_chars = Integer(20_000, help="characters kept of each text output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[:self.max_chars] + f"\n... output truncated ({len(text):,} characters in all) ...\n"

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    output.text = self._cut(output.text)
                elif "data" in output and "text/plain" in output.data:
                    output.data["text/plain"] = self._cut(output.data["text/plain"])
        return cell, resources

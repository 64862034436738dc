"""The nbgrader assignments: sources pass their own tests, releases are generated from them and run.

- every source notebook in solutions/ executes with all of its tests passing (the reference solution);
- exercises/ is exactly what `nbgrader generate_assignment` makes from solutions/ (regenerated here);
- every release notebook runs: its solution cells raise NotImplementedError, nothing else fails before
  the tests, and no hidden test or solution code leaks into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*") if p.is_dir())
SLOW = {"05_mnist_mlp"}  # allowed 90 s instead of 30 s
pytestmark = pytest.mark.skipif(not ASSIGNMENTS, reason="no assignments in solutions/ yet")


def _nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _execute(path: Path, allow_errors: bool):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _errors(cell) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", []) if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_all_of_its_tests(assignment):
    import time

    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    start = time.perf_counter()
    nb = _execute(path, allow_errors=True)
    seconds = time.perf_counter() - start
    failures = {_nbgrader_meta(c).get("grade_id", f"cell {i}"): _errors(c)
                for i, c in enumerate(nb.cells) if c.cell_type == "code" and _errors(c)}
    assert not failures, f"the reference solution fails: {failures}"
    stderr = [c.source[:60] for c in nb.cells if c.cell_type == "code" and _nbgrader_meta(c).get("grade")
              and any(o.output_type == "stream" and o.name == "stderr" for o in c.get("outputs", []))]
    assert not stderr, f"test cells write to stderr (nbgrader would score them 0): {stderr}"
    assert seconds < (90 if assignment in SLOW else 30), f"{assignment} took {seconds:.0f} s"


def test_solutions_folders_hold_only_their_notebook():
    """autograde copies every other file of solutions/<assignment>/ into each submission."""
    for assignment in ASSIGNMENTS:
        files = sorted(p.name for p in (ROOT / "solutions" / assignment).iterdir()
                       if p.name != ".ipynb_checkpoints")
        assert files == [f"{assignment}.ipynb"], f"solutions/{assignment} holds {files}"


def test_points_are_stated_at_the_top_and_add_up():
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        total = sum(_nbgrader_meta(c).get("points", 0) for c in nb.cells if _nbgrader_meta(c).get("grade"))
        header = "".join(c.source for c in nb.cells[:2] if c.cell_type == "markdown")
        assert total > 0
        assert f"{total:g} points" in header, f"{assignment}: the header should state '{total:g} points'"
        grade_ids = [_nbgrader_meta(c)["grade_id"] for c in nb.cells if _nbgrader_meta(c)]
        assert len(grade_ids) == len(set(grade_ids)), f"{assignment}: duplicate grade_id"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """A temporary course directory in which nbgrader generates every release from solutions/."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for assignment in ASSIGNMENTS:
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                        f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
                       cwd=course, env=env, check=True, capture_output=True, timeout=300)
    return course / "exercises"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_equals_a_fresh_generation(assignment, regenerated):
    fresh = regenerated / assignment / f"{assignment}.ipynb"
    committed = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    assert committed.exists(), f"exercises/{assignment} is missing: run nbgrader generate_assignment"
    assert json.loads(committed.read_text()) == json.loads(fresh.read_text()), (
        f"exercises/{assignment} is stale: regenerate it with "
        f"`nbgrader generate_assignment {assignment} --force`")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_and_only_the_student_parts_are_missing(assignment):
    path = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    text = path.read_text()
    for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
        assert marker not in text, f"{marker} leaked into the release"
    nb = _execute(path, allow_errors=True)
    first_solution = next(i for i, c in enumerate(nb.cells) if _nbgrader_meta(c).get("solution"))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _nbgrader_meta(cell).get("grade"):
            continue  # test cells may fail in a release: nothing is implemented yet
        meta, errors = _nbgrader_meta(cell), _errors(cell)
        if meta.get("solution"):  # a stub: defining it works, running it raises NotImplementedError
            assert all(e.startswith("NotImplementedError") for e in errors), (
                f"solution cell {meta.get('grade_id')} should only raise NotImplementedError, got {errors}")
            assert "raise NotImplementedError()" in cell.source, f"{meta.get('grade_id')} has no stub"
        elif i < first_solution:
            assert not errors, f"set-up cell {i} ({cell.source[:40]!r}) fails: {errors}"
        else:  # a demonstration cell may only fail because it uses an unimplemented function
            assert all(e.startswith("NotImplementedError") for e in errors), (
                f"cell {i} ({cell.source[:40]!r}) fails for another reason than a missing solution: {errors}")

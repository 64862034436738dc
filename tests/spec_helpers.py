"""Run an assignment's hidden checks (specs/NN_topic.py) in this process against the reference solution or a
changed copy of it: fast tests of the specs themselves. Grading never does this: it runs the student's code
in a sandboxed kernel (mlgrade.judge)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from mlgrade.spec import LocalSession, load_spec, namespace_from_notebook, run_check

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.stem for p in (ROOT / "specs").glob("[0-9][0-9]_*.py"))


def spec_of(name: str):
    return load_spec(ROOT / "specs" / f"{name}.py")


def verdicts(name: str, replace: dict | None = None, seed: int = 2026, namespace: dict | None = None) -> dict:
    """{grade_id: Verdict} of every check of ``name`` against the reference solution, with the functions in
    ``replace`` (name -> source) redefined after the cell that defines them."""
    spec = spec_of(name)
    ns = namespace if namespace is not None else namespace_from_notebook(
        ROOT / "solutions" / name / f"{name}.ipynb", replace)
    return {gid: run_check(spec, gid, LocalSession(ns), seed, timeout=60) for gid in spec.tests}


def release_namespace(name: str) -> dict:
    """The namespace of the untouched release notebook: every solution cell raises NotImplementedError."""
    nb = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            try:
                exec(compile(cell.source, "<release cell>", "exec"), ns)
            except NotImplementedError:
                pass
    return ns


def failing(results: dict) -> set:
    return {gid for gid, v in results.items() if not v.passed}

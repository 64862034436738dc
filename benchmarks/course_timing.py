"""How long the course itself takes: every lecture executed headless, and the autograding of an assignment.

    python benchmarks/course_timing.py '{"timeout": 600, "assignments": ["01_perceptron"]}'

bench.py runs this as a worker (machine.run_worker), one BLAS thread. The lectures run through
scripts/run_lectures.py; the autograding through scripts/grade_demo.py: one `nbgrader autograde` call over all
the sample submissions of an assignment, and one over the reference solution alone.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import tempfile
import time
from pathlib import Path

import machine

ROOT = machine.ROOT


def load_script(name: str):
    """scripts/``name``.py imported as the module ``name`` (scripts/ is a folder of programs, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def time_lectures(tmp: Path, timeout: int) -> list[dict]:
    run_lectures = load_script("run_lectures")
    out = []
    for path in sorted((ROOT / "lectures").glob("*.ipynb")):
        try:
            status, seconds, message = run_lectures.run_one(path, tmp, timeout)
        except Exception as err:  # noqa: BLE001 - report and keep going
            status, seconds, message = "FAILED", float("nan"), f"{type(err).__name__}: {err}"[:200]
        out.append({"name": path.stem, "status": status, "seconds": seconds, "message": message})
    return out


def time_grading(grade_demo, tmp: Path, name: str) -> dict:
    """Seconds per sample submission of assignment ``name``, and for the reference solution alone."""
    if not (ROOT / "solutions" / name / f"{name}.ipynb").is_file():
        return {"name": name, "status": "missing"}
    try:
        entry = {"name": name, "reference_seconds": time_reference_grading(grade_demo, tmp, name)}
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            course = grade_demo.make_course(tmp / f"course-{name}", [name])
            results, timings = grade_demo.run_pipeline(course, [name], log=lambda *a, **k: None)
            ok = grade_demo.print_table(results, timings)
        return dict(entry, status="ok" if ok else "unexpected scores", submissions=len(results),
                    seconds_per_submission=timings[name], total_seconds=time.perf_counter() - start)
    except Exception as err:  # noqa: BLE001
        return {"name": name, "status": f"FAILED: {type(err).__name__}: {err}"[:300]}


def time_reference_grading(grade_demo, tmp: Path, name: str) -> float:
    """Seconds for `nbgrader autograde` of one honest submission (the reference solution) alone."""
    course = grade_demo.make_course(tmp / f"reference-{name}", [name])
    step = grade_demo.nbgrader(course, "generate_assignment", name, "--force")
    if step.returncode:
        raise RuntimeError(f"generate_assignment {name} failed: {step.stderr[-500:]}")
    grade_demo.submit(course, name, "reference", grade_demo.reference(grade_demo.Assignment.load(course, name)))
    start = time.perf_counter()
    step = grade_demo.nbgrader(course, "autograde", name, "--create", "--JudgeExecute.timeout=30")
    if step.returncode:
        raise RuntimeError(f"autograde {name} failed: {step.stderr[-500:]}")
    return time.perf_counter() - start


def course_worker(spec: dict) -> dict:
    """Time every lecture (cell timeout ``spec["timeout"]``) and the grading of ``spec["assignments"]``."""
    with tempfile.TemporaryDirectory(prefix="mlkit-bench-course-") as tmp:
        lectures = time_lectures(Path(tmp), spec["timeout"])
        grade_demo = load_script("grade_demo")
        grading = [time_grading(grade_demo, Path(tmp), name) for name in spec["assignments"]]
    return {"lectures": lectures, "grading": grading}


if __name__ == "__main__":
    machine.serve(course_worker)

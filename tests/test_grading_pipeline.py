"""The instructor pipeline, end to end, with nbgrader itself: real and adversarial submissions.

For every assignment a temporary course directory gets the configuration and the source notebook; the
release is generated; sample submissions are built from the source and release notebooks
(scripts/grade_demo.py); nbgrader autogrades them, writes feedback and exports grades. Each submission must
get exactly the score it deserves, feedback must not contain hidden tests, and INSTRUCTORS.md's exchange
and LMS commands must work as written.
"""

from __future__ import annotations

import html
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import grade_demo as g  # noqa: E402

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*") if p.is_dir())
TIMEOUT = {"05_mnist_mlp": 30}  # seconds per cell while autograding (default 10); the slowest honest cell fits
from mlgrade.sandbox import sandbox_problem  # noqa: E402

PROBLEM = sandbox_problem()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ASSIGNMENTS, reason="no assignments yet"),
              pytest.mark.skipif(PROBLEM is not None, reason=f"grading needs the bubblewrap sandbox: {PROBLEM}")]


def _plain_text(html_text: str) -> str:
    """Feedback HTML as plain text: tags (syntax highlighting splits code into spans) removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _hidden_lines(a: g.Assignment) -> list[str]:
    """The lines of the assignment's hidden checks (specs/NN_topic.py)."""
    spec = (ROOT / "specs" / f"{a.name}.py").read_text()
    return [ln.strip() for ln in spec.splitlines() if len(ln.strip()) >= 20 and not ln.strip().startswith("#")]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_pipeline_grades_every_sample_submission_as_it_deserves(name, tmp_path):
    """One test per assignment (one nbgrader run), so parallel workers split the assignments."""
    course = g.make_course(tmp_path / "course", [name])
    results, timings = g.run_pipeline(course, [name], timeout=TIMEOUT.get(name, 10), log=lambda *a: None)
    print(f"\n{name}: autograde time per submission {timings[name]:.1f} s")
    assert len({r.student for r in results}) == len(results)
    _check_scores(name, results)
    _check_csv(name, course, results)
    _check_feedback(name, course, results)
    _check_traces(name, course)
    # nbgrader starts one kernel per notebook; the infinite-loop submission alone waits for one timeout
    assert timings[name] < 30, f"{name}: {timings[name]:.1f} s per submission"


def _check_scores(name, results):
    wrong = [(r.student, r.score, r.expected, r.what) for r in results
             if not ((r.score is None) if r.expected is None else (r.score == pytest.approx(r.expected)))]
    assert not wrong, f"{name}: (submission, score, expected, what) {wrong}"
    by_student = {r.student: r for r in results}
    assert by_student["reference"].score == by_student["reference"].max_score > 0
    assert by_student["untouched"].score == 0


def _check_csv(name, course, results):
    grades = g.read_grades(course / "grades.csv")
    for r in results:
        score, max_score = grades[(name, r.student)]
        assert max_score == r.max_score
        if r.score is not None:
            assert score == r.score


def _check_feedback(name, course, results):
    """Feedback shows the visible tests but no hidden test line."""
    a = g.Assignment.load(course, name)
    hidden = _hidden_lines(a)
    assert hidden, f"{name} has no hidden tests"
    visible = [ln.strip() for code in a.test_code.values()
               for ln in code.split("### BEGIN HIDDEN TESTS")[0].splitlines() if len(ln.strip()) >= 20]
    shown_anyway = _shown_anyway(a)
    files = sorted((course / "feedback").glob(f"*/{name}/*.html"))
    assert len(files) == sum(r.score is not None for r in results)
    for path in files:
        text = _plain_text(path.read_text(encoding="utf-8"))
        leaked = [ln for ln in hidden if ln in text and ln not in shown_anyway]
        assert not leaked, f"{path.parent.parent.name}'s feedback shows hidden test lines: {leaked[:3]}"
    reference = _plain_text((course / "feedback" / "reference" / name / f"{name}.html").read_text())
    assert any(ln in reference for ln in visible), "feedback should show the visible tests (check is not vacuous)"


def _graded_text(course, student, name) -> str:
    """Every string in the outputs of the student's autograded notebook, unescaped."""
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from strings(item)
        elif isinstance(node, dict):
            for item in node.values():
                yield from strings(item)
    notebook = json.loads((course / "autograded" / student / name / f"{name}.ipynb").read_text())
    return "\n".join(strings([cell.get("outputs", []) for cell in notebook["cells"]]))


def _shown_anyway(a: g.Assignment) -> str:
    """Text every student sees: a hidden line may also stand there (a shared import, a visible test's input)."""
    return "\n".join([c.source for c in a.release.cells] + list(a.solutions.values()))


def _check_traces(name, course):
    """The adversarial submissions leave traces showing why each attack failed."""
    a = g.Assignment.load(course, name)
    stolen = _graded_text(course, "reads_solutions", name)
    assert "READ" in stolen, "the thief should at least read its own notebook (the check is not vacuous)"
    shown_anyway = _shown_anyway(a)
    for line in _hidden_lines(a):
        assert line not in stolen or line in shown_anyway, f"a hidden check's line reached the sandbox: {line}"
    assert "BEGIN SOLUTION" not in stolen and "specs/" + name not in stolen.replace("'specs/*.py'", "")
    grabbed = _graded_text(course, "grabs_reference", name)
    assert "is not available while" in grabbed and "torch" in grabbed
    assert "REFERENCE SOURCE OBTAINED" not in grabbed and "no reference source" in grabbed
    cheated = _graded_text(course, "cheats", name)
    assert "no grading helpers to patch" in cheated and "CHECKS PATCHED" not in cheated
    hostile = _graded_text(course, "hostile", name)
    assert "no network" in hostile and "NETWORK REACHED" not in hostile
    assert "MemoryError" in hostile, "a 64 GB allocation must fail inside the sandbox"
    assert "ran longer than" in hostile, "the SIGINT-proof loop must be stopped"
    assert "The kernel died" in _graded_text(course, "kernel_exit", name)
    huge = course / "autograded" / "tampered_loud" / name / f"{name}.ipynb"
    assert huge.stat().st_size < 2_000_000, "a 20 MB print must be truncated in the graded notebook"


def test_regrading_gives_identical_scores(tmp_path):
    """A second autograde of the same submissions (same secret) gives the same scores."""
    name = "03_backprop" if "03_backprop" in ASSIGNMENTS else ASSIGNMENTS[0]
    course = g.make_course(tmp_path / "course", [name])
    results, _ = g.run_pipeline(course, [name], timeout=10, log=lambda *a: None,
                                only=["reference", "untouched", "attacks_2"])
    first = g.read_grades(course / "grades.csv")
    step = g.nbgrader(course, "autograde", name, "--force", "--JudgeExecute.timeout=10")
    assert step.returncode == 0, step.stderr[-2000:]
    step = g.nbgrader(course, "export", "--to", str(course / "again.csv"))
    assert step.returncode == 0, step.stderr[-2000:]
    assert g.read_grades(course / "again.csv") == first
    assert {r.student: r.score for r in results} == {r.student: r.expected for r in results}


def test_instructor_commands_release_fetch_submit_collect_and_zip_collect(tmp_path):
    """The exchange and LMS commands of INSTRUCTORS.md, as written there."""
    name = ASSIGNMENTS[0]
    course = g.make_course(tmp_path / "course", [name])
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    student_home = tmp_path / "student"
    student_home.mkdir()
    flag = f"--Exchange.root={exchange}"

    def run(cwd, *args):
        step = g.nbgrader(cwd, *args, timeout=600)
        assert step.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{step.stdout[-2000:]}{step.stderr[-2000:]}"
        return step

    run(course, "generate_assignment", name, "--force")
    run(course, "release_assignment", name, flag)
    run(student_home, "fetch_assignment", name, "--course", "mlkit", flag)
    fetched = student_home / name / f"{name}.ipynb"
    assert fetched.exists()
    a = g.Assignment.load(course, name)
    import nbformat

    nbformat.write(g.reference(a), fetched)  # the student solves it
    run(student_home, "submit", name, "--course", "mlkit", flag)
    run(course, "collect", name, flag)
    collected = list((course / "submitted").glob(f"*/{name}/{name}.ipynb"))
    assert len(collected) == 1

    archive = course / "downloaded" / name / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms_download.zip", "w") as zf:
        zf.writestr(f"jdoe_{name}.ipynb", nbformat.writes(g.reference(a)))
        zf.writestr(f"asmith_{name}.ipynb", nbformat.writes(a.release))
    run(course, "zip_collect", name,
        "--FileNameCollectorPlugin.named_regexp=.*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\\.ipynb)$")
    for student in ("jdoe", "asmith"):
        assert (course / "submitted" / student / name / f"{name}.ipynb").exists()

    run(course, "autograde", name, "--student", "jdoe", f"--JudgeExecute.timeout={TIMEOUT.get(name, 20)}")
    run(course, "export", "--to", str(course / "grades.csv"))
    assert g.read_grades(course / "grades.csv")[(name, "jdoe")][0] == a.total

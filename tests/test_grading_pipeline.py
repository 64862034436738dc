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
TIMEOUT = {"05_mnist_mlp": 90}  # seconds per cell while autograding (default 10); the slowest honest cell fits
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ASSIGNMENTS, reason="no assignments yet")]


def _plain_text(html_text: str) -> str:
    """Feedback HTML as plain text: tags (syntax highlighting splits code into spans) removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _hidden_lines(a: g.Assignment) -> list[str]:
    lines = []
    for code in a.test_code.values():
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", code, re.DOTALL):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 20]
    return lines


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_pipeline_grades_every_sample_submission_as_it_deserves(name, tmp_path):
    """One test per assignment (one nbgrader run), so parallel workers split the assignments."""
    course = g.make_course(tmp_path / "course", [name])
    results, timings = g.run_pipeline(course, [name], timeout=TIMEOUT.get(name, 10), log=lambda *a: None)
    print(f"\n{name}: autograde time per submission {timings[name]:.1f} s")
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
    # a hidden line may also stand in the release or the solution code (a shared import, a loop header)
    shown_anyway = "\n".join([c.source for c in a.release.cells] + list(a.solutions.values()))
    files = sorted((course / "feedback").glob(f"*/{name}/*.html"))
    assert len(files) == sum(r.score is not None for r in results)
    for path in files:
        text = _plain_text(path.read_text(encoding="utf-8"))
        leaked = [ln for ln in hidden if ln in text and ln not in shown_anyway]
        assert not leaked, f"{path.parent.parent.name}'s feedback shows hidden test lines: {leaked[:3]}"
    reference = _plain_text((course / "feedback" / "reference" / name / f"{name}.html").read_text())
    assert any(ln in reference for ln in visible), "feedback should show the visible tests (check is not vacuous)"


def _check_traces(name, course):
    """Adversarial submissions leave readable traces."""
    autograded = course / "autograded"
    stolen = json.dumps(json.loads((autograded / "reads_solutions" / name / f"{name}.ipynb").read_text()))
    assert "not allowed while grading" in stolen  # the student sees why the theft failed
    huge = autograded / "tampered_loud" / name / f"{name}.ipynb"
    assert huge.stat().st_size < 2_000_000, "a 20 MB print must be truncated in the graded notebook"
    assert not (autograded / "kernel_exit" / name).exists(), "a crashed submission has no graded notebook"


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

    run(course, "autograde", name, "--student", "jdoe", f"--Execute.timeout={TIMEOUT.get(name, 20)}")
    run(course, "export", "--to", str(course / "grades.csv"))
    assert g.read_grades(course / "grades.csv")[(name, "jdoe")][0] == a.total

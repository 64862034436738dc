"""`python -m mlgrade autograde --workers 2` against plain serial `nbgrader autograde`: the same submissions in
two copies of one course (same grading secret) get the same scores, every submission is graded once, the
progress bar counts to the end, and the SQLite gradebook written by two processes at once is intact."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mlgrade.nbgrader_plugins import ensure_secret
from mlgrade.parallel import shards
from mlgrade.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import grade_demo as g  # noqa: E402

PROBLEM = sandbox_problem()
NAME = "03_backprop"
STUDENTS = ["reference", "untouched", "kernel_exit", "cheats", "attacks_1", "attacks_2"]


def test_shards_deal_every_student_once():
    students = [f"s{i}" for i in range(7)]
    groups = shards(students, 3)
    assert sorted(s for group in groups for s in group) == students and [len(x) for x in groups] == [3, 2, 2]
    assert shards(students[:1], 4) == [["s0"]]
    with pytest.raises(ValueError, match="at least 1"):
        shards(students, 0)


def test_concurrent_graders_share_one_complete_secret(tmp_path):
    path = tmp_path / ".mlgrade_secret"
    first, created = ensure_secret(path)
    again, created_again = ensure_secret(path)
    assert created and not created_again and first == again and len(first) == 64
    path.write_text("")
    with pytest.raises(RuntimeError, match="too short"):
        ensure_secret(path)


@pytest.mark.slow
@pytest.mark.skipif(PROBLEM is not None, reason=f"no bubblewrap sandbox here: {PROBLEM}")
def test_parallel_autograde_gives_the_scores_of_serial_nbgrader(tmp_path):
    serial = g.make_course(tmp_path / "serial", [NAME])
    cases = g.submit_samples(serial, NAME, STUDENTS)
    ensure_secret(serial / ".mlgrade_secret")
    parallel = tmp_path / "parallel"
    shutil.copytree(serial, parallel)

    step = g.nbgrader(serial, "autograde", NAME, "--JudgeExecute.timeout=10")
    assert step.returncode == 0, step.stderr[-3000:]
    run = subprocess.run([sys.executable, "-m", "mlgrade", "autograde", NAME, "--workers", "2",
                          "--JudgeExecute.timeout=10"], cwd=parallel, capture_output=True, text=True, timeout=900,
                         env=g.nbgrader_env())
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert f"{len(cases)}/{len(cases)} graded" in run.stdout and "NOT GRADED" not in run.stderr
    assert f"] {len(cases)}/{len(cases)} " in run.stderr  # the progress bar reached the end

    scores = {}
    for course in (serial, parallel):
        step = g.nbgrader(course, "export", "--to", str(course / "grades.csv"))
        assert step.returncode == 0, step.stderr[-2000:]
        scores[course.name] = {student: score for (_, student), (score, _) in
                               g.read_grades(course / "grades.csv").items()}
        with sqlite3.connect(course / "gradebook.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert scores["parallel"] == scores["serial"]
    assert scores["parallel"] == {s.student: s.expected for s in cases}

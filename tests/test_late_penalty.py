"""Late work: the PercentPerDay plug-in's arithmetic, and its penalty in nbgrader's CSV export."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from mlgrade.late import PercentPerDay
from mlgrade.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import grade_demo as g  # noqa: E402

HOUR, DAY = 3600.0, 86400.0


@pytest.mark.parametrize("seconds, penalty", [
    (0.0, 0.0),                  # on time
    (10 * 60.0, 0.0),            # within the 15 minutes' grace
    (20 * 60.0, 1.0),            # just after: the first started day, 10 % of 10 points
    (26 * HOUR, 2.0),            # 26 hours: two started days
    (9 * DAY, 5.0),              # capped at 50 %
])
def test_percent_per_day(seconds, penalty):
    plugin = PercentPerDay(percent_per_day=10, max_percent=50, grace_minutes=15)
    assert plugin.late_submission_penalty("s", 10.0, seconds) == pytest.approx(penalty)


def test_negative_settings_are_refused():
    with pytest.raises(Exception, match="percent_per_day must be at least 0, got -5"):
        PercentPerDay(percent_per_day=-5)


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no bubblewrap sandbox here: {sandbox_problem()}")
def test_a_late_submission_loses_points_in_the_export(tmp_path):
    name = "01_perceptron"
    course = g.make_course(tmp_path / "course", [name])
    step = g.nbgrader(course, "db", "assignment", "add", name, "--duedate=2026-01-13 12:00:00 UTC")
    assert step.returncode == 0, step.stderr[-2000:]
    assert g.nbgrader(course, "generate_assignment", name, "--force").returncode == 0
    a = g.Assignment.load(course, name)
    for student in ("ontime", "late"):
        g.submit(course, name, student, g.reference(a))  # stamped 2026-01-15 12:00 UTC: two days late
    (course / "submitted" / "ontime" / name / "timestamp.txt").write_text("2026-01-13 11:50:00.000000 UTC")
    step = g.nbgrader(course, "autograde", name, "--JudgeExecute.timeout=10")
    assert step.returncode == 0, step.stderr[-3000:]
    assert g.nbgrader(course, "export", "--to", str(course / "grades.csv")).returncode == 0
    with open(course / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(rows["ontime"]["late_submission_penalty"]) == 0.0
    assert float(rows["ontime"]["score"]) == a.total
    assert float(rows["late"]["late_submission_penalty"]) == pytest.approx(0.2 * a.total)
    assert float(rows["late"]["score"]) == pytest.approx(0.8 * a.total)

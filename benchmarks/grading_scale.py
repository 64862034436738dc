"""Autograding a class: serial `nbgrader autograde` against `python -m mlgrade autograde --workers N`.

One course directory holds HONEST copies of the reference solution of an assignment (one per student) and five
adversarial submissions (an os._exit, a fork bomb with a SIGINT-proof loop, deleted test cells with a 20 MB
print, a reader of solutions, a monkeypatcher). It is copied twice with the same grading secret; one copy is
graded serially, the other in parallel, in the same run. Printed: seconds per submission both ways, the ratio,
and whether every score is the deserved one in both.

    python benchmarks/grading_scale.py [--assignment 03_backprop] [--honest 100] [--workers 2]

The summary is printed and written to benchmarks/grading_scale.md (with the command and the machine).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from course_timing import ROOT, load_script
from mlgrade.nbgrader_plugins import ensure_secret
from mlgrade.parallel import autograde

g = load_script("grade_demo")

ADVERSARIAL = ["kernel_exit", "hostile", "tampered_loud", "reads_solutions", "cheats"]


def build_course(dest: Path, assignment: str, honest: int) -> dict:
    """The course with its submissions; returns the score each student deserves."""
    course = g.make_course(dest, [assignment])
    step = g.nbgrader(course, "generate_assignment", assignment, "--force")
    if step.returncode:
        raise RuntimeError(step.stderr[-2000:])
    a = g.Assignment.load(course, assignment)
    expected = {}
    reference = g.reference(a)
    for i in range(honest):
        g.submit(course, assignment, f"honest{i:03d}", reference)
        expected[f"honest{i:03d}"] = a.total
    for s in g.samples(a, course, g.load_spec(course / "specs" / f"{assignment}.py").unavailable):
        if s.student in ADVERSARIAL:
            g.submit(course, assignment, s.student, s.notebook)
            expected[s.student] = s.expected
    ensure_secret(course / ".mlgrade_secret")
    return expected


def scores(course: Path) -> dict:
    step = g.nbgrader(course, "export", "--to", str(course / "grades.csv"))
    if step.returncode:
        raise RuntimeError(step.stderr[-2000:])
    return {student: score for (_, student), (score, _) in g.read_grades(course / "grades.csv").items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="03_backprop")
    parser.add_argument("--honest", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=10, help="seconds per cell (JudgeExecute.timeout)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlgrade-scale-") as tmp:
        serial = Path(tmp) / "serial"
        expected = build_course(serial, args.assignment, args.honest)
        parallel = Path(tmp) / "parallel"
        shutil.copytree(serial, parallel)
        n = len(expected)
        option = f"--JudgeExecute.timeout={args.timeout}"

        start = time.perf_counter()
        step = g.nbgrader(serial, "autograde", args.assignment, option, timeout=24 * 3600)
        serial_seconds = time.perf_counter() - start
        if step.returncode:
            print(step.stderr[-3000:])
        outcome = autograde(parallel, args.assignment, args.workers, [option])
        parallel_seconds = outcome.seconds

        ok = {name: scores(course) == expected for name, course in (("serial", serial), ("parallel", parallel))}
    lines = [
        f"{args.assignment}: {args.honest} honest + {len(expected) - args.honest} adversarial submissions, "
        f"JudgeExecute.timeout = {args.timeout} s",
        f"serial nbgrader autograde:       {serial_seconds:7.0f} s  {serial_seconds / n:5.2f} s/submission  "
        f"scores {'as deserved' if ok['serial'] else 'WRONG'}",
        f"mlgrade autograde --workers {args.workers}:  {parallel_seconds:7.0f} s  {parallel_seconds / n:5.2f} "
        f"s/submission  scores {'as deserved' if ok['parallel'] else 'WRONG'}",
        f"speed-up: {serial_seconds / parallel_seconds:.2f}x",
    ]
    print("\n".join(lines))
    command = "python benchmarks/grading_scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = ["# Autograding a class: serial against parallel", "",
              f"`{command.strip()}` on {datetime.date.today()}, {os.cpu_count()} cores, {platform.platform()}:",
              "", "```", *lines, "```", ""]
    (ROOT / "benchmarks" / "grading_scale.md").write_text("\n".join(report))
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

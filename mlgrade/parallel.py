"""Autograde every submission of an assignment with several nbgrader processes at once, showing progress.

Each submission is graded independently (its own sandboxed kernel, its own per-student seed), so the students
are dealt into ``workers`` shards and each shard is graded by one ordinary ``nbgrader autograde ASSIGNMENT``
process that skips the other shards' students (``--CourseDirectory.student_id_exclude``). Scores are therefore
exactly those of a serial ``nbgrader autograde``; the processes share the gradebook the way nbgrader always
does (one short transaction per notebook).

Progress comes from the judge's log line for each graded notebook ("<student>/<assignment>: 7/7 test cells
passed in 2.1 s ...") and nbgrader's error line for a submission it could not grade.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    """What a parallel autograde did: seconds per graded student (judge time), the students nbgrader failed
    to grade, the exit status of each worker, and the wall time."""

    graded: dict = field(default_factory=dict)
    failed: list = field(default_factory=list)
    returncodes: list = field(default_factory=list)
    seconds: float = 0.0


def nbgrader_env() -> dict:
    """This environment with this interpreter's bin/ first on PATH (nbgrader starts its tools from there)."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def submitted_students(course: Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())


def shards(students: list[str], workers: int) -> list[list[str]]:
    """``students`` dealt round-robin into at most ``workers`` non-empty groups."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return [group for group in (students[i::workers] for i in range(workers)) if group]


def autograde(course: Path, assignment: str, workers: int | None = None, nbgrader_args=(),
              progress=None) -> Outcome:
    """Grade ``course/submitted/*/assignment`` with ``workers`` nbgrader processes (default: the cores).

    ``nbgrader_args`` are passed to every ``nbgrader autograde`` (e.g. ``--force``); ``progress(done, total,
    outcome)`` is called after each graded or failed submission.
    """
    course = Path(course)
    students = submitted_students(course, assignment)
    outcome = Outcome()
    if not students:
        return outcome
    groups = shards(students, workers or os.cpu_count() or 1)
    done = re.compile(rf"\] (\S+)/{re.escape(assignment)}: \d+/\d+ test cells passed in ([\d.]+) s")
    error = re.compile(rf"error processing assignment '{re.escape(assignment)}' for student '([^']+)'")
    lock = threading.Lock()
    start = time.monotonic()

    def follow(process: subprocess.Popen) -> None:
        for line in process.stderr:
            for pattern, record in ((done, "graded"), (error, "failed")):
                match = pattern.search(line)
                if match:
                    with lock:
                        if record == "graded":
                            outcome.graded[match.group(1)] = float(match.group(2))
                        else:
                            outcome.failed.append(match.group(1))
                        if progress:
                            progress(len(outcome.graded) + len(outcome.failed), len(students), outcome)

    processes, readers = [], []
    env = nbgrader_env()
    for group in groups:
        others = sorted(set(students) - set(group))
        command = [sys.executable, "-m", "nbgrader", "autograde", assignment, *nbgrader_args]
        if others:
            command.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
        process = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        reader = threading.Thread(target=follow, args=(process,), daemon=True)
        reader.start()
        processes.append(process)
        readers.append(reader)
    for process, reader in zip(processes, readers):
        outcome.returncodes.append(process.wait())
        reader.join()
    outcome.seconds = time.monotonic() - start
    return outcome


def progress_bar(stream=sys.stderr, width: int = 30):
    """A ``progress`` callback drawing ``[#####.....] 12/100  0.8/s  ETA 1:50`` (one line per update when
    ``stream`` is not a terminal)."""
    start = time.monotonic()
    tty = stream.isatty()

    def show(done: int, total: int, outcome: Outcome) -> None:
        elapsed = time.monotonic() - start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        filled = int(width * done / total)
        text = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:.2f}/s  "
                f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" + (f"  ({len(outcome.failed)} failed)"
                                                               if outcome.failed else ""))
        stream.write(("\r" + text) if tty else (text + "\n"))
        if tty and done == total:
            stream.write("\n")
        stream.flush()

    return show

"""The gradebook in a real PostgreSQL server (Debian's `postgresql` package): two nbgrader processes grading
at once (`python -m mlgrade autograde --workers 2`) write every submission's scores, and `nbgrader export`
reads them back as deserved. The server listens on 127.0.0.1 only, lives in a temporary folder, and is stopped
by its own process id when the test ends."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mlgrade.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import grade_demo as g  # noqa: E402

NAME = "03_backprop"
STUDENTS = ["reference", "untouched", "attacks_1", "attacks_2"]
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _problem() -> str | None:
    if not BINARIES:
        return "no PostgreSQL server here: `sudo apt-get install postgresql`"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install 'psycopg[binary]')"
    return sandbox_problem()


PROBLEM = _problem()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    """A PostgreSQL server of its own; yields the SQLAlchemy URL of an empty database ``gradebook``."""
    bin_dir = Path(BINARIES[-1])
    folder = Path(tempfile.mkdtemp(prefix="mlgrade-pg-"))  # not under pytest's folder, which root keeps 0700
    data = folder / "pgdata"
    data.mkdir()
    as_user = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the package's system user
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        os.chown(data, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    init = subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust"],
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen([*as_user, str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                               "-p", str(port), "-k", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            ready = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                   capture_output=True)
            if ready.returncode == 0:
                break
            assert server.poll() is None, server.stderr.read()[-2000:]
            time.sleep(0.2)
        made = subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader",
                               "gradebook"], capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        server.terminate()  # its own process id: a "smart" shutdown of this server only
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_parallel_autograde_into_postgresql(tmp_path, postgres):
    course = g.make_course(tmp_path / "course", [NAME])
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    cases = g.submit_samples(course, NAME, STUDENTS)

    run = subprocess.run([sys.executable, "-m", "mlgrade", "autograde", NAME, "--workers", "2",
                          "--JudgeExecute.timeout=10"], cwd=course, capture_output=True, text=True, timeout=900,
                         env=g.nbgrader_env())
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert not (course / "gradebook.db").exists(), "grades went to SQLite, not to PostgreSQL"

    step = g.nbgrader(course, "export", "--to", str(course / "grades.csv"))
    assert step.returncode == 0, step.stderr[-2000:]
    scores = {student: score for (_, student), (score, _) in g.read_grades(course / "grades.csv").items()}
    assert scores == {s.student: s.expected for s in cases}

    import psycopg
    with psycopg.connect(postgres.replace("postgresql+psycopg", "postgresql")) as db:
        graded = db.execute("SELECT count(*) FROM submitted_notebook").fetchone()[0]
    assert graded == len(cases)

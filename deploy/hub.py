"""Start the course's JupyterHub: ``make hub`` (a trial on http://127.0.0.1:8000) or, for a class,

    sudo .venv/bin/python deploy/hub.py --mode class --instructors ada --students-file roster.txt --ip 0.0.0.0

It installs the proxy (configurable-http-proxy, from npm, into deploy/node_modules) if it is missing, prepares
the state folder (the hub's database, the nbgrader exchange, and each instructor's course directory: a copy of
nbgrader_config.py, solutions/ and specs/ that formgrader and the grader work in), then runs JupyterHub with
deploy/jupyterhub_config.py until you press Ctrl-C.

trial  accounts exist only in the hub (instructor, student1, student2 unless you name others) and share one
       password, printed at start; every server runs as you. For trying the course out: a student's code could
       read the instructor's files, so never grade real students this way.
class  system accounts log in with their own password (PAM); each server runs as its account. Needs root (the
       hub starts servers as other users), the accounts, and the course's virtualenv readable by them.
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_FILES = ["nbgrader_config.py", "solutions", "specs"]


def install_proxy() -> None:
    """configurable-http-proxy from npm, at the version deploy/package-lock.json records."""
    if PROXY.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("JupyterHub needs configurable-http-proxy from npm: install Node.js and npm "
                 "(Debian: apt-get install nodejs npm), then run this again")
    print("installing configurable-http-proxy into deploy/node_modules (npm ci)", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=DEPLOY, check=True)


def prepare_course(course: Path, owner: str | None) -> None:
    """An instructor's course directory, copied from the repository once (later runs keep its gradebook and
    submissions untouched)."""
    if (course / "nbgrader_config.py").exists():
        return
    course.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_*"))
        else:
            shutil.copy(source, course / name)
    if owner is not None:
        entry = pwd.getpwnam(owner)
        for path in [course, *course.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    # The hidden checks (specs/), the gradebook and the grading secret are the instructor's alone: with
    # system accounts, students must not read them.
    course.chmod(0o700)


def prepare(state: Path, mode: str, instructors: list[str]) -> None:
    state.mkdir(parents=True, exist_ok=True)
    exchange = state / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o777)  # every user writes submissions into it; nbgrader keeps them apart by file name
    for user in instructors:
        if mode == "trial":
            prepare_course(state / "home" / user / "mlkit", owner=None)
        else:
            prepare_course(Path(pwd.getpwnam(user).pw_dir) / "mlkit", owner=user)


def names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("\n", ",").split(",") if n.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Start the course's JupyterHub.",
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--mode", choices=["trial", "class"], default="trial")
    p.add_argument("--ip", default="127.0.0.1", help="address users connect to (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000,
                   help="port users open (the hub itself uses the next one, the proxy's API the one after)")
    p.add_argument("--state", type=Path, default=ROOT / "build" / "hub",
                   help="folder for the hub's database, the exchange and trial homes (default build/hub)")
    p.add_argument("--instructors", default="instructor", help="comma-separated instructor accounts")
    p.add_argument("--students", default=None,
                   help="comma-separated student accounts (trial default: student1,student2)")
    p.add_argument("--students-file", type=Path, help="a file with one student account per line")
    p.add_argument("--password", help="(trial) the shared password; a random one is made if not given")
    p.add_argument("--db-url", help="the hub's database (default: SQLite in the state folder)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    instructors = names(args.instructors)
    students = names(args.students) if args.students else []
    if args.students_file:
        students += names(args.students_file.read_text())
    if args.mode == "trial" and not students:
        students = ["student1", "student2"]
    if args.mode == "class":
        if os.geteuid() != 0:
            sys.exit("--mode class starts servers as other users: run it as root")
        missing = [u for u in instructors + students if not _account_exists(u)]
        if missing:
            sys.exit(f"--mode class needs system accounts; these do not exist: {', '.join(missing)}")
    install_proxy()
    state = args.state.resolve()
    prepare(state, args.mode, instructors)
    password = args.password or secrets.token_urlsafe(12)
    env = dict(os.environ, MLKIT_HUB_STATE=str(state), MLKIT_HUB_MODE=args.mode, MLKIT_HUB_IP=args.ip,
               MLKIT_HUB_PORT=str(args.port), MLKIT_HUB_INSTRUCTORS=",".join(instructors),
               MLKIT_HUB_STUDENTS=",".join(students), MLKIT_HUB_PASSWORD=password)
    if args.db_url:
        env["MLKIT_HUB_DB_URL"] = args.db_url
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    print(f"JupyterHub for the mlkit course on http://{args.ip}:{args.port} ({args.mode} mode)")
    print(f"  instructors: {', '.join(instructors)}   students: {', '.join(students)}")
    if args.mode == "trial":
        print(f"  password (every account): {password}")
    print("  stop it with Ctrl-C", flush=True)
    hub = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")]
    os.chdir(state)
    os.execve(hub[0], hub, env)  # the hub replaces this process: its pid is the one to stop


def _account_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

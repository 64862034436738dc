"""A Jupyter kernel for one submission, inside bubblewrap (``bwrap``), with resource limits.

What the kernel can see:

- the system (``/usr``, ``/etc``) and the Python installation, read-only;
- the ``mlkit`` package, read-only, with the modules the assignment asks students to write replaced by a stub
  that raises ``ImportError`` (and its compiled ``__pycache__`` hidden); ``torch`` is replaced the same way;
- a private, writable copy of its own submission folder (``/home/student/work``), an empty ``/tmp``, and the
  folder holding the kernel's sockets;
- nothing else: not the course directory, the instructor's home, other submissions, ``mlgrade`` or the specs.

It has no network (own network namespace), its own process, IPC and host-name namespaces, runs under an
unprivileged user id (when the grader runs as root) and under ``setrlimit`` limits on address space, CPU time,
file size and processes. :func:`sandbox_problem` says why a sandbox cannot start here, if it cannot.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORKDIR = "/home/student/work"


@dataclass
class Limits:
    """Per-kernel limits. ``processes`` counts threads too (RLIMIT_NPROC), for the sandbox's user id."""

    memory_mb: int = 3072      # address space of each process (RLIMIT_AS)
    cpu_seconds: int = 1800    # CPU time of each process (RLIMIT_CPU)
    file_mb: int = 256         # largest file a process may write (RLIMIT_FSIZE)
    processes: int = 96        # processes + threads of the sandbox user (RLIMIT_NPROC)
    tmp_mb: int = 256          # size of the in-memory /tmp
    uid: int = 61000           # the first of the unprivileged user ids kernels run as (when grading as root)


UIDS_PER_GRADER = 1000  # kernels running at once draw distinct user ids from [uid, uid + this)


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def sandbox_problem() -> str | None:
    """None when a bubblewrap sandbox can start here, else the reason it cannot (to show the instructor)."""
    bwrap = _bwrap()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed: `sudo apt-get install bubblewrap`"
    probe = subprocess.run(_namespace_args(bwrap) + ["--ro-bind", "/", "/", "--", "/bin/true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"bubblewrap cannot create a sandbox here: {probe.stderr.strip()[:300]}"
    return None


def _namespace_args(bwrap: str) -> list[str]:
    args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        args.insert(1, "--unshare-user")  # an unprivileged user needs a user namespace for the others
    return args


# --------------------------------------------------------------------------------------------------------
# what to hide


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def _stub_text(module: str, assignment: str) -> str:
    return (f'raise ImportError("{module} is not available while {assignment} is graded: '
            'your notebook must compute its results itself, with numpy")\n')


LAZY_INIT = '''"""mlkit, as seen while grading: submodules load on first use, so that the ones an assignment asks
students to write can be missing without breaking the rest."""

import importlib


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    return importlib.import_module(f"{__name__}.{name}")
'''


def write_overlays(folder: Path, unavailable, assignment: str) -> list[str]:
    """Write the stub files into ``folder``; return the bwrap arguments that put them in place."""
    args: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    mlkit_dir = _package_dir("mlkit")
    if mlkit_dir is not None:
        if not _is_under_python(mlkit_dir):
            args += ["--ro-bind", str(mlkit_dir), str(mlkit_dir)]
        init = folder / "mlkit__init__.py"
        init.write_text(LAZY_INIT)
        args += ["--ro-bind", str(init), str(mlkit_dir / "__init__.py")]
        if (mlkit_dir / "__pycache__").is_dir():  # compiled reference code: hidden as well
            args += ["--tmpfs", str(mlkit_dir / "__pycache__")]
        for module in unavailable:
            parts = module.split(".")
            if parts[0] != "mlkit" or len(parts) != 2:
                raise ValueError(f"unavailable modules must be mlkit submodules like 'mlkit.layers', got {module!r}")
            target = mlkit_dir / f"{parts[1]}.py"
            if not target.exists():
                raise ValueError(f"{module} does not exist (no {target})")
            stub = folder / f"{module}.py"
            stub.write_text(_stub_text(module, assignment))
            args += ["--ro-bind", str(stub), str(target)]
    for package in ("torch", "functorch"):
        package_dir = _package_dir(package)
        if package_dir is not None:
            stub_dir = folder / f"{package}-stub"
            stub_dir.mkdir(exist_ok=True)
            (stub_dir / "__init__.py").write_text(_stub_text(package, assignment))
            args += ["--ro-bind", str(stub_dir), str(package_dir)]
    return args


def _python_roots() -> list[str]:
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix)}
    return sorted(roots)


def _is_under_python(path: Path) -> bool:
    return any(str(path).startswith(root + os.sep) for root in _python_roots())


# --------------------------------------------------------------------------------------------------------
# the command


def kernel_command(kernel_argv: list[str], workdir: Path, ipc_dir: Path, overlays: list[str],
                   limits: Limits) -> list[str]:
    """The bwrap command line that runs ``kernel_argv`` in the sandbox."""
    bwrap = _bwrap()
    if bwrap is None:
        raise RuntimeError(sandbox_problem())
    args = _namespace_args(bwrap) + ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for link in ("bin", "lib", "lib64", "sbin", "lib32"):
        path = Path("/") / link
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_mb * 2 ** 20), "--tmpfs", "/tmp"]
    for root in _python_roots():
        if not root.startswith("/usr/"):
            args += ["--ro-bind", root, root]
    venv_python = Path(sys.executable)
    if not str(venv_python.resolve()).startswith(tuple(_python_roots())):
        args += ["--ro-bind", str(venv_python.parent), str(venv_python.parent)]
    args += overlays
    args += ["--bind", str(ipc_dir), str(ipc_dir), "--bind", str(workdir), WORKDIR, "--chdir", WORKDIR]
    env = {"PATH": f"{venv_python.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": WORKDIR, "LANG": "C.UTF-8",
           "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
           "MPLCONFIGDIR": "/tmp/.matplotlib", "IPYTHONDIR": "/tmp/.ipython", "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MLKIT_DATA": "/tmp/.mlkit-data"}
    args = _with_parent_dirs(args)
    args.append("--clearenv")
    for key, value in env.items():
        args += ["--setenv", key, value]
    args.append("--")
    if os.geteuid() == 0:  # drop to an unprivileged user, so that the process limit applies
        args += ["setpriv", f"--reuid={limits.uid}", f"--regid={limits.uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return args + kernel_argv


def _with_parent_dirs(args: list[str]) -> list[str]:
    """Insert ``--perms 0755 --dir`` for the parents of every bind target (bwrap makes them 0700, which an
    unprivileged kernel could not traverse), right before the bind that needs them."""
    out, made = [], {"/", "/tmp", "/usr", "/etc", "/proc", "/dev"}
    i = 0
    while i < len(args):
        if args[i] in ("--ro-bind", "--bind") and i + 2 < len(args):
            for parent in reversed(Path(args[i + 2]).parents):
                system = any(str(parent).startswith(m + "/") for m in ("/usr", "/proc", "/dev"))
                if str(parent) not in made and not system:
                    out += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))
            out += args[i:i + 3]
            i += 3
            continue
        out.append(args[i])
        i += 1
    return out


def _nproc_in_use(uid: int) -> int:
    """Threads already running under ``uid`` (RLIMIT_NPROC counts them all)."""
    count = 0
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _proc_status(int(entry.name))
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            count += int(fields.get("Threads") or 1)
    return count


def claim_uid(first: int) -> tuple[int, int]:
    """A user id no other running kernel uses, and the open lock file that reserves it (close it to release).

    RLIMIT_NPROC counts the processes of a user id across the machine: kernels sharing one id would share one
    budget, and a fork bomb in one submission would stop the kernel of another from starting a thread. So
    each kernel gets its own id, reserved with an exclusive ``flock`` and skipped while processes still run
    under it.
    """
    folder = Path(tempfile.gettempdir()) / "mlgrade-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    for uid in range(first, first + UIDS_PER_GRADER):
        fd = os.open(folder / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if _nproc_in_use(uid) == 0:
            return uid, fd
        os.close(fd)
    raise RuntimeError(f"all {UIDS_PER_GRADER} sandbox user ids from {first} are in use")


def _proc_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {key: value.strip() for key, value in (line.split(":", 1) for line in text.splitlines() if ":" in line)}


def pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def namespace_processes(namespace: str) -> dict[int, str]:
    """The processes (host pid -> state letter, e.g. "R", "S", "Z") in the pid namespace ``namespace``."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid_namespace(pid) == namespace:
            found[pid] = _proc_status(pid).get("State", "?")[:1]
    return found


def sandbox_members(bwrap_pid: int) -> tuple[str, set[int]] | None:
    """For a sandbox started as ``bwrap_pid``: its pid namespace and the processes that belong there (bwrap's
    init and the kernel). None when they cannot be found (not sandboxed, or already gone)."""
    init = [int(p.name) for p in Path("/proc").glob("[0-9]*")
            if _proc_status(int(p.name)).get("PPid") == str(bwrap_pid)]
    for pid in init:
        namespace = pid_namespace(pid)
        if namespace is None or namespace == pid_namespace(os.getpid()):
            continue
        members = namespace_processes(namespace)
        if len(members) == 2:
            return namespace, set(members)
    return None


def limit_setter(limits: Limits):
    """A ``preexec_fn`` applying ``limits`` (inherited by bwrap and everything it starts)."""
    uid = limits.uid if os.geteuid() == 0 else os.geteuid()
    nproc = limits.processes + (_nproc_in_use(uid) if os.geteuid() != 0 else 0)

    def apply():
        mb = 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds,) * 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def prepare_workdir(submission_dir: Path, workdir: Path, limits: Limits) -> None:
    """Copy the submission folder into ``workdir``, owned by the sandbox user."""
    shutil.copytree(submission_dir, workdir, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if os.geteuid() == 0:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, limits.uid, limits.uid, follow_symlinks=False)

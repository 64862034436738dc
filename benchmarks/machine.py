"""The machine the benchmark runs on: what it is, how busy it is (read from /proc), and the worker processes.

Every measurement runs in a fresh interpreter (a *worker*: speed.py or course_timing.py run as a script with
its settings as one JSON argument), with every thread setting equal, after waiting for the other processes to
leave the CPU: on a shared two-core machine, threads that share their cores with other work slow down by up to
ten times. A worker answers with one line ``RESULT {json}`` on its standard output.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


# --------------------------------------------------------------------------------------------------------
# what the machine is


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _proc_field(path: str, prefix: str, sep: str | None = None) -> str | None:
    """The text after ``prefix`` (and after ``sep``, when given) on the first matching line of a /proc file."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(sep, 1)[1].strip() if sep else line[len(prefix):].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    return _proc_field("/proc/cpuinfo", "model name", ":") or platform.processor() or platform.machine()


def memory_gb() -> float | None:
    total = _proc_field("/proc/meminfo", "MemTotal:")
    return int(total.split()[0]) / 1024**2 if total else None


def versions() -> dict:
    out = {"python": platform.python_version()}
    for package in ("numpy", "torch", "scikit-learn", "mlkit"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = "not installed"
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        out["numpy BLAS"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - older numpy
        pass
    return out


# --------------------------------------------------------------------------------------------------------
# how busy it is


def busy_processes(interval: float = 1.0, threshold: float = 10.0) -> list[str]:
    """Other processes using more than ``threshold`` % of a core right now (read from /proc twice)."""
    def snapshot():
        ticks = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1: text.rindex(")")]
            fields = text[text.rindex(")") + 2:].split()
            ticks[int(stat.parent.name)] = (name, int(fields[11]) + int(fields[12]))  # utime + stime
        return ticks

    try:
        first = snapshot()
        time.sleep(interval)
        second = snapshot()
    except (OSError, ValueError):
        return []
    hz = os.sysconf("SC_CLK_TCK")
    busy = []
    for pid, (name, ticks) in second.items():
        if pid == os.getpid() or pid not in first:
            continue
        share = 100.0 * (ticks - first[pid][1]) / hz / interval
        if share >= threshold:
            busy.append(f"{name} ({share:.0f}%)")
    return busy


class QuietWait:
    """Before each run, wait until no other process uses the CPU, spending at most ``budget`` seconds in all."""

    def __init__(self, budget: float):
        self.budget, self.waited = float(budget), 0.0

    def __call__(self) -> list[str]:
        """Wait while the budget lasts; return the processes still busy (empty when quiet)."""
        busy = busy_processes(0.5)
        while busy and self.waited < self.budget:
            if self.waited == 0.0 or int(self.waited) % 60 < 5:
                print(f"  waiting for a quiet machine (busy: {', '.join(busy[:4])}) ...", flush=True)
            time.sleep(4.5)
            self.waited += 5.0
            busy = busy_processes(0.5)
        return busy


def peak_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's ru_maxrss carries over the parent's high-water mark into a child started by fork/vfork + exec
    (a worker started by a 400 MB parent would never report less than 400 MB), so the high-water mark of
    the process's own address space, VmHWM in /proc/self/status, is read instead where it exists.
    """
    hwm = _proc_field("/proc/self/status", "VmHWM:")
    if hwm:
        return int(hwm.split()[0]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------------------
# the workers


def thread_env(threads: int) -> dict:
    env = dict(os.environ)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run_worker(script: str, spec: dict, threads: int, timeout: float = 7200, wait=None) -> dict:
    """Run benchmarks/``script`` on ``spec`` in a fresh interpreter; return its result (or ``{"error": ...}``)
    with the load average before and after and the other processes that were busy before."""
    busy_before = wait() if wait is not None else busy_processes(0.5)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    command = [sys.executable, str(Path(__file__).with_name(script)), json.dumps(spec)]
    try:
        proc = subprocess.run(command, env=thread_env(threads), capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode or not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            result = {"error": f"exit status {proc.returncode}: " + " | ".join(tail)}
        else:
            result = json.loads(lines[-1][len("RESULT "):])
    except subprocess.TimeoutExpired:
        result = {"error": f"timed out after {timeout:.0f} s"}
    result.update(load_before=load_before, load_after=os.getloadavg()[0], busy_before=busy_before,
                  wall_seconds=time.perf_counter() - start)
    return result


def serve(work) -> None:
    """The worker's side: ``work(spec)`` on the JSON argument, its result printed as the ``RESULT`` line."""
    result = work(json.loads(sys.argv[1]))
    print("RESULT " + json.dumps(result), flush=True)

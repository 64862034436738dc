"""Execute every lecture notebook headless, save the executed notebooks in build/lectures/, print a status table.

Usage:  python scripts/run_lectures.py [lectures/03_*.ipynb ...]   (default: all of lectures/*.ipynb)
Exit status 1 if any lecture fails. Notebooks in lectures/ are never modified; scripts/build_site.py turns the
executed copies into the course site.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run_one(path: Path, out_dir: Path, timeout: int) -> tuple[str, float, str]:
    """Execute one notebook; return (status, seconds, message)."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as sockets:  # local sockets, not TCP, between us and the kernel
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        try:
            return _execute(nb, path, out_dir, timeout, manager)
        finally:
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)


def _execute(nb, path: Path, out_dir: Path, timeout: int, manager) -> tuple[str, float, str]:
    client = NotebookClient(nb, km=manager, timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    status, message = "ok", ""
    try:
        client.execute()
    except Exception as err:  # report every failure, keep going with the other lectures
        status = "FAILED"
        message = str(err).strip().splitlines()[-1][:200] if str(err).strip() else type(err).__name__
    seconds = time.perf_counter() - start
    nbformat.write(nb, out_dir / path.name)
    return status, seconds, message


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lectures")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb"))
    if not notebooks:
        print("no lecture notebooks found in lectures/")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    rows, total = [], time.perf_counter()
    for i, path in enumerate(notebooks, 1):
        print(f"lecture {i}/{len(notebooks)}: {path.stem} ...", end=" ", flush=True)
        try:
            rows.append((path.stem, *run_one(path, args.out, args.timeout)))
        except Exception:
            rows.append((path.stem, "FAILED", 0.0, traceback.format_exc().splitlines()[-1][:200]))
        print(f"{rows[-1][1]} in {rows[-1][2]:.0f} s", flush=True)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'lecture':<{width}}  {'time (s)':>8}  status")
    for name, status, seconds, message in rows:
        print(f"{name:<{width}}  {seconds:8.1f}  {status}{'  ' + message if message else ''}")
    failed = sum(r[1] != "ok" for r in rows)
    print(f"\n{len(rows) - failed}/{len(rows)} lectures ran in {time.perf_counter() - total:.0f} s; "
          f"executed notebooks in {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

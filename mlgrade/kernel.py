"""One kernel for one submission: start it (in the sandbox), execute code with a time limit, kill it.

The grader talks to the kernel over ZeroMQ sockets in a folder shared with the sandbox (``ipc`` transport),
through jupyter_client, whose messages are JSON. Everything the kernel sends back is size-limited here.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from . import sandbox

MAX_OUTPUT_CHARS = 2_000_000  # kept per cell (TruncateOutput cuts further for the stored notebook)


@dataclass
class Execution:
    """What running one piece of code gave: ``status`` is "ok", "error", "timeout" or "died"."""

    status: str
    outputs: list = field(default_factory=list)
    data: list = field(default_factory=list)  # display data of the requested MIME type (judge replies)
    seconds: float = 0.0


class Kernel:
    """A started kernel process. ``sandboxed=False`` runs it without bubblewrap (the instructor's explicit
    unsafe choice); the resource limits apply either way."""

    def __init__(self, submission_dir: Path, unavailable=(), assignment: str = "the assignment",
                 limits: sandbox.Limits | None = None, sandboxed: bool = True, startup_timeout: float = 60):
        self.limits = limits or sandbox.Limits()
        self.sandboxed = sandboxed
        self._tmp = Path(tempfile.mkdtemp(prefix="mlgrade-"))
        os.chmod(self._tmp, 0o755)
        self.workdir = self._tmp / "work"
        self.ipc_dir = self._tmp / "ipc"
        self.ipc_dir.mkdir()
        sandbox.prepare_workdir(Path(submission_dir), self.workdir, self.limits)
        if os.geteuid() == 0:
            os.chown(self.ipc_dir, self.limits.uid, self.limits.uid)
        connection_file, _ = write_connection_file(str(self.ipc_dir / "kernel.json"), transport="ipc",
                                                   ip=str(self.ipc_dir / "k"), key=secrets.token_hex(16).encode())
        os.chmod(connection_file, 0o644)
        kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
                       "--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False"]
        if sandboxed:
            overlays = sandbox.write_overlays(self._tmp / "overlays", unavailable, assignment)
            argv = sandbox.kernel_command(kernel_argv, self.workdir, self.ipc_dir, overlays, self.limits)
            cwd = None
        else:
            argv, cwd = kernel_argv, self.workdir
        self.process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=sandbox.limit_setter(self.limits))
        self.client = BlockingKernelClient()
        self.client.load_connection_file(connection_file)
        self.client.start_channels()
        try:
            self._wait_until_ready(startup_timeout)
        except Exception:
            self.kill()
            raise

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the grading kernel exited at start-up (status {self.process.returncode})")
            try:
                self.client.wait_for_ready(timeout=2)
                return
            except RuntimeError:
                continue
        raise RuntimeError(f"the grading kernel did not start within {timeout:.0f} s")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def execute(self, code: str, timeout: float, mime: str | None = None) -> Execution:
        """Run ``code``; on timeout interrupt the kernel (SIGINT), and kill it if it does not stop."""
        start = time.monotonic()
        if not self.alive:
            return Execution("died")
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        result = Execution("ok")
        size = 0
        deadline = start + timeout
        interrupted_at = None
        while True:
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                self._interrupt()
                interrupted_at = now
                result.status = "timeout"
            if interrupted_at is not None and now > interrupted_at + 5:
                self.kill()  # it ignored SIGINT
                break
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                if not self.alive:
                    result.status = "died" if result.status != "timeout" else "timeout"
                    self.kill()
                    break
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind in ("stream", "display_data", "execute_result", "error"):
                if mime is not None and kind == "display_data" and mime in content.get("data", {}):
                    text = content["data"][mime]
                    if isinstance(text, str):
                        result.data.append(text)
                    continue
                size += len(str(content))
                if size > MAX_OUTPUT_CHARS:
                    continue
                output = nbformat.v4.output_from_msg(msg)
                result.outputs.append(output)
                if kind == "error" and result.status == "ok":
                    result.status = "error"
            elif kind == "clear_output":
                result.outputs.clear()
        self._drain_shell()
        result.seconds = time.monotonic() - start
        return result

    def _interrupt(self) -> None:
        msg = self.client.session.msg("interrupt_request", content={})
        self.client.control_channel.send(msg)

    def _drain_shell(self) -> None:
        while self.alive:
            try:
                self.client.get_shell_msg(timeout=0)
            except queue.Empty:
                return

    def kill(self) -> None:
        """Stop the kernel and everything it started; remove its folder."""
        try:
            self.client.stop_channels()
        except Exception:  # noqa: BLE001 -- channels may already be gone
            pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self._tmp, ignore_errors=True)

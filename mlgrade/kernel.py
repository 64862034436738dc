"""One kernel for one submission: start it (in the sandbox), execute code with a time limit, kill it.

The grader talks to the kernel over ZeroMQ sockets in a folder shared with the sandbox (``ipc`` transport),
through jupyter_client, whose messages are JSON. Everything the kernel sends back is size-limited here.
"""

from __future__ import annotations

import dataclasses
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
import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from . import sandbox

MAX_OUTPUT_CHARS = 2_000_000  # kept per cell (TruncateOutput cuts further for the stored notebook)
MAX_MESSAGE_BYTES = 128 * 2 ** 20  # a kernel sending a larger message is disconnected by ZeroMQ, unread


REAP_CHILDREN = """
import os as _os
while True:
    try:
        if _os.waitpid(-1, _os.WNOHANG)[0] == 0:
            break
    except ChildProcessError:
        break
del _os
"""


class KernelProtocolError(Exception):
    """The kernel sent something that is not a signed, well-formed Jupyter message."""


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
        self.process = self.client = self._uid_lock = self._members = None
        self._reaping = False
        self._context = zmq.Context()
        self._context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self._tmp = Path(tempfile.mkdtemp(prefix="mlgrade-"))
        try:
            self._start(Path(submission_dir), unavailable, assignment, startup_timeout)
        except BaseException:
            self.kill()
            raise

    def _start(self, submission_dir: Path, unavailable, assignment: str, startup_timeout: float) -> None:
        if os.geteuid() == 0:  # each kernel its own user id, so process limits are per kernel
            uid, self._uid_lock = sandbox.claim_uid(self.limits.uid)
            self.limits = dataclasses.replace(self.limits, uid=uid)
        os.chmod(self._tmp, 0o755)
        self.workdir = self._tmp / "work"
        self.ipc_dir = self._tmp / "ipc"
        self.ipc_dir.mkdir()
        sandbox.prepare_workdir(submission_dir, self.workdir, self.limits)
        if os.geteuid() == 0:
            os.chown(self.ipc_dir, self.limits.uid, self.limits.uid)
        connection_file, _ = write_connection_file(str(self.ipc_dir / "kernel.json"), transport="ipc",
                                                   ip=str(self.ipc_dir / "k"), key=secrets.token_hex(16).encode())
        os.chmod(connection_file, 0o644)
        kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
                       "--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False"]
        if self.sandboxed:
            overlays = sandbox.write_overlays(self._tmp / "overlays", unavailable, assignment)
            argv = sandbox.kernel_command(kernel_argv, self.workdir, self.ipc_dir, overlays, self.limits)
            cwd = None
        else:
            argv, cwd = kernel_argv, self.workdir
        self.process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=sandbox.limit_setter(self.limits))
        self.client = BlockingKernelClient(context=self._context)
        self.client.load_connection_file(connection_file)
        self.client.start_channels()
        self._wait_until_ready(startup_timeout)
        self._members = sandbox.sandbox_members(self.process.pid) if self.sandboxed else None

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
                msg = self._next_message()
            except queue.Empty:
                if not self.alive:
                    result.status = "died" if result.status != "timeout" else "timeout"
                    self.kill()
                    break
                continue
            except KernelProtocolError:  # e.g. forked copies of the kernel writing to one socket at once
                result.status = "died"
                self.kill()
                break
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
                try:
                    output = nbformat.v4.output_from_msg(msg)
                except (KeyError, TypeError, ValueError):
                    continue
                result.outputs.append(output)
                if kind == "error" and result.status == "ok":
                    result.status = "error"
            elif kind == "clear_output":
                result.outputs.clear()
        self._drain_shell()
        if self.alive:
            self._stop_leftover_processes()
        result.seconds = time.monotonic() - start
        return result

    def _stop_leftover_processes(self) -> None:
        """Kill every process the code left running in the sandbox, and reap the kernel's dead children.

        A cell may start processes that outlive it: a fork bomb leaves copies of the kernel itself, holding its
        sockets and the sandbox's process budget. Nothing but the kernel may outlast a cell.
        """
        if self._members is None:
            return
        namespace, keep = self._members
        zombies = False
        for _ in range(200):  # a fork bomb races the killing; the process limit keeps each round small
            found = sandbox.namespace_processes(namespace)
            running = [pid for pid, state in found.items() if pid not in keep and state != "Z"]
            zombies = any(pid not in keep and state == "Z" for pid, state in found.items())
            if not running:
                break
            for pid in running:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
        if zombies and not self._reaping:  # children of the kernel keep a process slot until it waits for them
            self._reaping = True
            try:
                self.execute(REAP_CHILDREN, timeout=5)
            finally:
                self._reaping = False

    def _next_message(self) -> dict:
        """The next IOPub message, checked: signed with this kernel's key, with the fields used here."""
        try:
            msg = self.client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            raise
        except Exception as err:  # noqa: BLE001 -- a bad signature or undecodable frames
            raise KernelProtocolError(str(err)[:200]) from err
        if not (isinstance(msg, dict) and isinstance(msg.get("content"), dict)
                and isinstance(msg.get("parent_header"), dict) and isinstance(msg.get("msg_type"), str)):
            raise KernelProtocolError("a message without content, parent header or type")
        return msg

    def _interrupt(self) -> None:
        msg = self.client.session.msg("interrupt_request", content={})
        self.client.control_channel.send(msg)

    def _drain_shell(self) -> None:
        for _ in range(10_000):  # replies are not read; stop at some point whatever the kernel sends
            if not self.alive:
                return
            try:
                self.client.get_shell_msg(timeout=0)
            except queue.Empty:
                return
            except Exception:  # noqa: BLE001 -- replies are not read; a malformed one is dropped too
                continue

    def kill(self) -> None:
        """Stop the kernel and everything it started; remove its folder; free its user id."""
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # noqa: BLE001 -- channels may already be gone
                pass
        if self.process is not None:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._context.destroy(linger=0)
        shutil.rmtree(self._tmp, ignore_errors=True)
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None

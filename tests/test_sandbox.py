"""The grading sandbox and the judge, with real kernels in bubblewrap (skipped where bwrap cannot run)."""

from __future__ import annotations

import os
import textwrap

import nbformat
import numpy as np
import pytest

from mlgrade import sandbox
from mlgrade.judge import Judge
from mlgrade.kernel import Kernel
from mlgrade.spec import Spec

PROBLEM = sandbox.sandbox_problem()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no bubblewrap sandbox here: {PROBLEM}")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "mine.txt").write_text("the student's own file")
    k = Kernel(folder, unavailable=["mlkit.layers"], assignment="03_backprop",
               limits=sandbox.Limits(memory_mb=2048, processes=64))
    yield k
    k.kill()


def run(kernel, code, timeout=20):
    result = kernel.execute(textwrap.dedent(code), timeout)
    text = "".join(o.get("text", "") + o.get("evalue", "") for o in result.outputs)
    return result.status, text


def test_the_submission_folder_is_a_private_writable_copy(kernel):
    status, text = run(kernel, "print(open('mine.txt').read()); open('new.txt', 'w').write('x'); print('wrote')")
    assert status == "ok" and "the student's own file" in text and "wrote" in text


@pytest.fixture(scope="module")
def canary():
    """A file in the grader's home folder (the sandbox must not see it)."""
    path = os.path.join(os.path.expanduser("~"), f".mlgrade-canary-{os.getpid()}")
    with open(path, "w") as f:
        f.write("secret")
    yield path
    os.remove(path)


@pytest.mark.parametrize("path", [ROOT + "/solutions", ROOT + "/specs", ROOT + "/nbgrader_config.py",
                                  "CANARY", "/etc/shadow", ROOT + "/mlgrade/spec.py", ROOT + "/.git"])
def test_nothing_of_the_course_or_home_is_readable(kernel, canary, path):
    path = canary if path == "CANARY" else path
    status, text = run(kernel, f"import os\nprint(os.path.exists({path!r}) and os.access({path!r}, os.R_OK))")
    assert text.strip() == "False", f"{path} is readable in the sandbox"


def test_system_and_python_are_read_only(kernel):
    status, text = run(kernel, """
        import sys
        for path in ['/usr/x', sys.prefix + '/x', '/etc/x']:
            try:
                open(path, 'w')
                print('WROTE', path)
            except OSError as err:
                print('refused', type(err).__name__)
    """)
    assert "WROTE" not in text and text.count("refused") == 3


def test_reference_modules_and_torch_cannot_be_imported_or_read(kernel):
    status, text = run(kernel, "import mlkit.layers")
    assert status == "error" and "mlkit.layers is not available while 03_backprop is graded" in text
    status, text = run(kernel, "import torch")
    assert status == "error" and "torch is not available" in text
    status, text = run(kernel, """
        import glob, importlib.util, mlkit
        folder = importlib.util.find_spec('mlkit').submodule_search_locations[0]
        print(open(folder + '/layers.py').read())
        print(glob.glob(folder + '/__pycache__/*'))
    """)
    assert "class Linear" not in text and "[]" in text
    status, text = run(kernel, "import mlkit.data, mlkit.perceptron; print('ok')")
    assert text.strip() == "ok", "modules the assignment does not ask for stay importable"


def test_no_network_and_not_root(kernel):
    status, text = run(kernel, """
        import os, socket
        print('uid', os.getuid())
        try:
            socket.create_connection(('1.1.1.1', 80), timeout=2)
            print('CONNECTED')
        except OSError as err:
            print('refused')
    """)
    assert "CONNECTED" not in text and "refused" in text
    if os.geteuid() == 0:
        assert "uid 0" not in text


def test_memory_and_process_limits(kernel):
    status, text = run(kernel, "x = bytearray(8 * 2 ** 30)")
    assert status == "error" and "MemoryError" in str(kernel.execute("x = bytearray(8 * 2 ** 30)", 10).outputs)
    status, text = run(kernel, """
        import subprocess
        procs = []
        try:
            for _ in range(200):
                procs.append(subprocess.Popen(['sleep', '30']))
            print('STARTED 200')
        except OSError as err:
            print('limited after', len(procs))
        for p in procs:
            p.kill()
    """)
    assert "STARTED 200" not in text and "limited after" in text


def _starts_processes_and_a_thread(kernel):
    status, text = run(kernel, """
        import subprocess, threading
        procs = [subprocess.Popen(['sleep', '60']) for _ in range(20)]
        thread = threading.Thread(target=int)
        thread.start()
        thread.join()
        for p in procs:
            p.kill()
            p.wait()
        print('20 processes and a thread started')
    """)
    assert status == "ok" and "20 processes and a thread started" in text, text


FILL_PROCESS_LIMIT = """
import subprocess
procs = []
try:
    while len(procs) < 500:
        procs.append(subprocess.Popen(['sleep', '60']))
except OSError:
    pass
print('holding', len(procs))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="kernels get their own user ids only when grading as root")
def test_a_fork_bomb_in_one_kernel_does_not_starve_another(tmp_path):
    """Kernels grading at once have separate process budgets (separate user ids): one submission holding
    its whole process limit leaves the next one free to start processes and threads."""
    limits = sandbox.Limits(memory_mb=2048, processes=48)
    first = Kernel(tmp_path, limits=limits)
    try:
        status, text = run(first, FILL_PROCESS_LIMIT)
        assert status == "ok" and 0 < int(text.split()[-1]) < 48
        second = Kernel(tmp_path, limits=limits)
        try:
            assert second.limits.uid != first.limits.uid
            _starts_processes_and_a_thread(second)
        finally:
            second.kill()
    finally:
        first.kill()


def test_a_sigint_proof_loop_is_killed_and_os_exit_is_reported(tmp_path):
    k = Kernel(tmp_path, limits=sandbox.Limits(memory_mb=2048))
    try:
        result = k.execute("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", 2)
        assert result.status == "timeout" and not k.alive
    finally:
        k.kill()
    k = Kernel(tmp_path, limits=sandbox.Limits(memory_mb=2048))
    try:
        assert k.execute("import os\nos._exit(3)", 10).status == "died"
    finally:
        k.kill()


def test_processes_a_cell_leaves_behind_are_stopped(tmp_path):
    """After a fork bomb (copies of the kernel itself) the kernel is alone again, with its whole process
    budget: the next cell can start processes and threads."""
    k = Kernel(tmp_path, limits=sandbox.Limits(memory_mb=2048, processes=48))
    try:
        result = k.execute("import os, subprocess\nsubprocess.Popen(['sleep', '600'])\nwhile True:\n    os.fork()", 20)
        assert result.status == "error" and "Resource temporarily unavailable" in str(result.outputs)
        namespace, keep = k._members
        assert set(sandbox.namespace_processes(namespace)) == keep
        _starts_processes_and_a_thread(k)
    finally:
        k.kill()


def test_a_forged_message_counts_as_a_dead_kernel(tmp_path):
    """The grader reads only messages signed with the kernel's key (forked copies of a kernel writing to one
    socket produce such garbage): anything else ends that kernel, like a crash, instead of the grader."""
    k = Kernel(tmp_path, limits=sandbox.Limits(memory_mb=2048))
    try:
        assert k.execute("x = 1", 10).status == "ok"
        forge = ("from jupyter_client.session import Session\n"
                 "kernel = get_ipython().kernel\n"
                 "Session(key=b'not the key').send(kernel.iopub_socket, 'stream', {'name': 'stdout', 'text': 'x'},"
                 " parent=kernel.get_parent())\n"
                 "import time; time.sleep(5)")
        result = k.execute(forge, 20)
        assert result.status == "died" and not k.alive and result.seconds < 5
    finally:
        k.kill()


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for source, grade_id in cells:
        cell = nbformat.v4.new_code_cell(source)
        if grade_id:
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 1, "solution": False,
                                         "locked": True}
        nb.cells.append(cell)
    return nb


def test_the_judge_draws_other_inputs_for_other_students_and_the_same_on_regrading(tmp_path):
    seen = []
    spec = Spec("demo")

    @spec.test("test_echo")
    def echo(t):
        x = t.rng.normal(size=3)
        got = t.call("echo", x)
        seen.append(got)
        t.check_close(got, x, "echo(x)")

    judge = Judge(spec, timeout=20)
    for seed in (1, 2, 1):
        nb = _notebook(("def echo(x):\n    return x", None), ("# visible tests", "test_echo"))
        report = judge.grade(nb, tmp_path, lambda gid: seed)
        assert report.verdicts["test_echo"].passed
    assert not np.allclose(seen[0], seen[1]) and np.array_equal(seen[0], seen[2])


def test_the_judge_restarts_a_dead_kernel_and_keeps_earned_points(tmp_path):
    spec = Spec("demo")

    @spec.test("test_one")
    def one(t):
        assert t.call("one") == 1, "one() should return 1"

    @spec.test("test_two")
    def two(t):
        assert t.call("two") == 2, "two() should return 2"

    nb = _notebook(("def one():\n    return 1", None), ("", "test_one"), ("import os\nos._exit(1)", None),
                   ("def two():\n    return one() + 1", None), ("", "test_two"),
                   ("### BEGIN HIDDEN TESTS\nassert False\n### END HIDDEN TESTS", None))
    report = Judge(spec, timeout=20).grade(nb, tmp_path, lambda gid: 0)
    assert {g: v.passed for g, v in report.verdicts.items()} == {"test_one": True, "test_two": True}
    assert report.restarts == 1
    assert "HIDDEN" not in nb.cells[-1].source


def test_grading_refuses_without_a_sandbox_unless_told(monkeypatch):
    from mlgrade import nbgrader_plugins

    monkeypatch.setattr(nbgrader_plugins, "sandbox_problem", lambda: "bubblewrap is not installed")
    monkeypatch.setattr(nbgrader_plugins.JudgeExecute, "_problem_checked", False)
    with pytest.raises(RuntimeError, match="refusing to grade.*unsafe_no_sandbox"):
        nbgrader_plugins.JudgeExecute()._check_sandbox()
    nbgrader_plugins.JudgeExecute(unsafe_no_sandbox=True)._check_sandbox()  # the explicit flag lets it run

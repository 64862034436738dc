"""The instructor pipeline, end to end and headless, on a temporary course directory.

    python scripts/grade_demo.py [--assignments 01_perceptron ...] [--keep DIR] [--timeout 30]

It copies nbgrader_config.py and solutions/ into a fresh course directory (never touching the repository),
generates the student versions, creates sample submissions from the source and release notebooks (the
reference solution, the untouched release, one function broken, and adversarial ones), autogrades them all
with nbgrader (the judge of mlgrade, in its bubblewrap sandbox), writes feedback, exports the grades to CSV
and prints the grade table. A submission that nbgrader failed to grade at all has no autograded notebook:
it is listed as FLAGGED (none should be).
The tests in tests/test_grading_pipeline.py drive the same functions and check every number.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mlgrade.parallel import nbgrader_env
from mlgrade.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
BEGIN_END = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.MULTILINE | re.DOTALL)


def _code_only(source: str) -> str:
    """Python source without its strings and comments (a name in a message is not a call)."""
    kept = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.STRING, tokenize.COMMENT) and not (
                hasattr(tokenize, "FSTRING_MIDDLE") and tok.type == tokenize.FSTRING_MIDDLE):
            kept.append(tok.string)
    return re.sub(r"\s*([.(])\s*", r"\1", " ".join(kept))  # "F . f (" -> "F.f("


def nbmeta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


# --------------------------------------------------------------------------------------------------------
# reading an assignment


@dataclass
class Assignment:
    """An assignment's source and release notebooks, and what the pipeline needs to know about them."""

    name: str
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    points: dict = field(default_factory=dict)        # test grade_id -> points
    test_code: dict = field(default_factory=dict)     # test grade_id -> full source (with hidden tests)
    functions: dict = field(default_factory=dict)     # function name -> grade_id of the cell defining it
    solutions: dict = field(default_factory=dict)     # solution grade_id -> solution code (markers removed)

    @classmethod
    def load(cls, course: Path, name: str) -> "Assignment":
        source = nbformat.read(course / "solutions" / name / f"{name}.ipynb", as_version=4)
        release = nbformat.read(course / "exercises" / name / f"{name}.ipynb", as_version=4)
        a = cls(name, source, release)
        for cell in source.cells:
            meta = nbmeta(cell)
            if meta.get("grade") and cell.cell_type == "code":
                a.points[meta["grade_id"]] = float(meta["points"])
                a.test_code[meta["grade_id"]] = cell.source
            if meta.get("solution") and cell.cell_type == "code":
                code = BEGIN_END.sub("", cell.source)
                a.solutions[meta["grade_id"]] = code
                for fn in re.findall(r"^def (\w+)\(", code, re.MULTILINE):
                    a.functions[fn] = meta["grade_id"]
        return a

    @property
    def total(self) -> float:
        return sum(self.points.values())

    def owner(self, test_id: str) -> str | None:
        """The solution cell a test cell grades: ``test_<grade_id>`` or ``test_<grade_id>_<suffix>`` (the
        longest matching solution grade_id wins, so ``test_sigmoid_grad`` belongs to ``sigmoid_grad``)."""
        owners = [g for g in self.solutions if test_id == f"test_{g}" or test_id.startswith(f"test_{g}_")]
        return max(owners, key=len) if owners else None

    def points_using(self, fn: str) -> float:
        """Points of the test cells of ``fn``'s solution cell that call ``fn`` (what breaking it costs)."""
        call = re.compile(rf"(?<![\w.]){re.escape(fn)}\(")  # fn(...), not F.fn(...) or other_fn(...)
        return sum(p for gid, p in self.points.items()
                   if self.owner(gid) == self.functions[fn] and call.search(_code_only(self.test_code[gid])))

    def leaf_functions(self) -> list[str]:
        """Graded functions, one per solution cell, that return or yield a value and that no other solution
        code calls: breaking one costs exactly the points of its own cell's tests."""
        leaves, cells = [], set()
        for fn, gid in self.functions.items():
            others = "\n".join(code for g, code in self.solutions.items() if g != gid)
            body = self.solutions[gid].split(f"def {fn}(", 1)[1].split("\n", 1)[-1]
            body = re.split(r"^\S", body, maxsplit=1, flags=re.MULTILINE)[0]  # up to the next top-level line
            if (gid not in cells and re.search(rf"\b{fn}\b", others) is None
                    and re.search(r"^\s+(return|yield)\s+\S", body, re.MULTILINE) and self.points_using(fn) > 0):
                leaves.append(fn)
                cells.add(gid)
        if not leaves:
            raise ValueError(f"{self.name}: no graded leaf function to break")
        return leaves


# --------------------------------------------------------------------------------------------------------
# sample submissions


def reference(a: Assignment):
    """The release notebook with every solution cell filled in with the reference code."""
    nb = nbformat.from_dict(a.release)
    for cell in nb.cells:
        gid = nbmeta(cell).get("grade_id")
        if nbmeta(cell).get("solution") and gid in a.solutions:
            cell.source = a.solutions[gid]
    return nb


ATTACK_HELPERS = """
import inspect as _inspect
import numpy as _np


class _AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def _each(out, f):
    # apply f to a result, to each item of a tuple, or to each item a generator yields
    if _inspect.isgenerator(out):
        return (_each(item, f) for item in out)
    if isinstance(out, tuple):
        return tuple(f(v) for v in out)
    return f(out)
"""

ATTACKS = {
    # kind: (code the wrapper runs first, transform of the correct result or None, what the submission does)
    "broken": ("raise RuntimeError('deliberately broken')", None, "raises an error"),
    "infinite_loop": ("while True:\n    pass", None, "never returns"),
    "always_equal": ("", "lambda v: _AlwaysEqual()", "returns objects whose == is always True"),
    "calls_torch": ("import torch\ntorch.zeros(1)", "lambda v: v", "calls torch, then returns the right answer"),
    "nan": ("", "lambda v: _np.full(_np.shape(v), _np.nan)", "returns NaN"),
    "wrong_shape": ("", "lambda v: _np.append(_np.ravel(v), 0.0)", "returns arrays of the wrong shape"),
    "wrong_type": ("", "lambda v: str(v)", "returns strings"),
}


def _attack_code(fn: str, kind: str) -> str:
    """Code that replaces ``fn`` by a wrapper around the correct version, doing what ``kind`` says."""
    pre, transform, _ = ATTACKS[kind]
    lines = [f"_{fn}_correct = {fn}", "", "", f"def {fn}(*args, **kwargs):"]
    lines += [f"    {line}" for line in pre.splitlines()]
    if transform:
        lines.append(f"    return _each(_{fn}_correct(*args, **kwargs), {transform})")
    return "\n".join(lines) + "\n"


def attacked(a: Assignment, plan: dict):
    """The reference submission with each function of ``plan`` (function -> attack kind) replaced."""
    nb = reference(a)
    for fn, kind in plan.items():
        cell = next(c for c in nb.cells if nbmeta(c).get("grade_id") == a.functions[fn])
        cell.source += "\n\n" + ATTACK_HELPERS + "\n\n" + _attack_code(fn, kind)
    return nb


def tampered_and_loud(a: Assignment):
    """The reference submission with its first test cell emptied, every other test cell deleted, and a 20 MB
    print. The tests are restored from the source and the output is truncated: it scores as the reference."""
    nb = reference(a)
    tests = [c for c in nb.cells if nbmeta(c).get("grade")]
    tests[0].source = "pass  # tests removed"
    for cell in tests[1:]:
        nb.cells.remove(cell)
    first = next(c for c in nb.cells if nbmeta(c).get("solution"))
    first.source += "\n\nprint('x' * 20_000_000)\n"
    return nb


def with_cells_after_first_solution(nb, *sources: str):
    """``nb`` with new code cells inserted right after its first solution cell."""
    first = next(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution"))
    for offset, source in enumerate(sources, start=1):
        nb.cells.insert(first + offset, nbformat.v4.new_code_cell(source))
    return nb


def kernel_exit(a: Assignment):
    """The reference solution, plus a cell after its first solution cell that kills the kernel (os._exit).
    The judge restarts the kernel, runs the earlier cells again and grades on: nothing earned is lost."""
    return with_cells_after_first_solution(reference(a), "import os\nos._exit(1)")


def hostile(a: Assignment):
    """The reference solution, plus cells that try the network, fill the memory, ignore SIGINT in an endless
    loop and fork without end. Each is stopped by the sandbox; the solution still earns every point."""
    return with_cells_after_first_solution(
        reference(a),
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n    print('NETWORK REACHED')\n"
        "except OSError as err:\n    print('no network:', err)",
        "hog = bytearray(64 * 2 ** 30)  # 64 GB",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        "import os\nwhile True:\n    os.fork()",
    )


STEAL = """
import glob, json, os, re
stolen = []
for pattern in {patterns!r}:
    for path in glob.glob(pattern, recursive=True):
        try:
            with open(path) as f:
                text = f.read()
        except OSError as err:
            print('blocked:', path, err)
            continue
        print('READ', path, len(text))
        print(text)
        if path.endswith('.ipynb'):
            for cell in json.loads(text)['cells']:
                if cell['metadata'].get('nbgrader', {{}}).get('solution'):
                    stolen.append(re.sub(r'### (BEGIN|END) SOLUTION', '', ''.join(cell['source'])))
for code in stolen:
    exec(code, globals())
# what the kernel itself remembers: its inputs and the notebook files next to it
print('IN', globals().get('In'), [p for p in os.listdir('.')])
for path in glob.glob('*.ipynb'):
    print(open(path).read())
"""


def reads_solutions(a: Assignment, course: Path):
    """The untouched release plus cells that try to take solutions and hidden tests from disk: the course
    folder, the repository this script runs from (an instructor's clone with solutions/ and specs/), the
    home folder, other submissions, and the notebook files and input history of the kernel itself. It
    prints all it finds (so a leak would reach its feedback) and runs any solution code it finds."""
    nb = nbformat.from_dict(a.release)
    patterns = [f"{root}/**/*.ipynb" for root in (course, ROOT, Path.home())] + [
        f"{root}/specs/*.py" for root in (course, ROOT)] + [
        "../../../solutions/*/*.ipynb", "../../*/*/*.ipynb", "/*/solutions/*/*.ipynb", "/*/*/solutions/*/*.ipynb"]
    steal = STEAL.format(patterns=[str(p) for p in patterns])
    first_solution = next(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution"))
    nb.cells.insert(first_solution, nbformat.v4.new_code_cell(steal))
    # a successful theft is re-applied after the last solution cell (the stubs would replace it)
    last_solution = max(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution"))
    nb.cells.insert(last_solution + 1, nbformat.v4.new_code_cell(steal))
    return nb


CHEAT = """
import numpy as np
import numpy.testing
try:
    import mlgrade.checks
    mlgrade.checks.check_close = lambda *args, **kwargs: None
    print('CHECKS PATCHED')
except ImportError as err:
    print('no grading helpers to patch:', err)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
print('numpy checks patched')
"""

GRAB_REFERENCE = """
import importlib, inspect, os, sys, _thread, glob
sys.setprofile(None)
grabbed = {{}}
for name in {modules!r}:
    try:
        module = importlib.import_module(name)
        grabbed[name] = inspect.getsource(module)
    except Exception as err:
        print('unavailable:', name, type(err).__name__, err)
import importlib.util
folders = [d for name in ('mlkit', 'torch') if (spec := importlib.util.find_spec(name)) is not None
           for d in (spec.submodule_search_locations or [])]
wanted = {module_paths!r}
for path in [p for d in folders for p in glob.glob(d + '/**/*.py*', recursive=True)]:
    module = os.path.join(os.path.dirname(path).replace('/__pycache__', ''), os.path.basename(path).split('.')[0])
    if '/torch/' not in path and not any(module.endswith('/' + w) for w in wanted):
        continue
    try:
        text = open(path, 'rb').read()
    except OSError:
        continue
    if b'is not available while' not in text:
        grabbed[path] = text
_thread.start_new_thread(lambda: None, ())
print('REFERENCE SOURCE OBTAINED:' if grabbed else 'no reference source', sorted(grabbed))
"""


def cheats(a: Assignment):
    """The untouched release, plus a cell that switches off every check and assertion helper a test could
    import (mlgrade.checks, numpy.testing, np.allclose, np.isclose) before the tests run."""
    nb = nbformat.from_dict(a.release)
    nb.cells.insert(next(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution")),
                    nbformat.v4.new_code_cell(CHEAT))
    return nb


def grabs_reference(a: Assignment, unavailable) -> nbformat.NotebookNode:
    """The untouched release, plus a cell that switches off profilers, starts a raw thread and tries to import
    or read the reference code (the assignment's mlkit modules, torch) to run it in place of its own."""
    nb = nbformat.from_dict(a.release)
    code = GRAB_REFERENCE.format(modules=[*unavailable, "torch", "mlgrade.spec", "mlgrade.checks"],
                                 module_paths=sorted(m.replace(".", "/") for m in unavailable))
    nb.cells.insert(next(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution")),
                    nbformat.v4.new_code_cell(code))
    return nb


@dataclass
class Sample:
    student: str
    notebook: nbformat.NotebookNode
    expected: float | None  # None: grading is expected to crash (flagged)
    what: str


def samples(a: Assignment, course: Path, unavailable=()) -> list[Sample]:
    """Every sample submission of an assignment with the score it deserves.

    The function-level attacks are spread over the assignment's leaf functions, several per submission
    (each on a different function), so an assignment with many functions needs few submissions.
    """
    out = [
        Sample("reference", reference(a), a.total, "the reference solution"),
        Sample("untouched", nbformat.from_dict(a.release), 0.0, "the release, unchanged"),
        Sample("tampered_loud", tampered_and_loud(a), a.total, "test cells edited and deleted; prints 20 MB"),
        Sample("kernel_exit", kernel_exit(a), a.total, "reference + a cell that kills its kernel (os._exit)"),
        Sample("hostile", hostile(a), a.total,
               "reference + network, 64 GB allocation, SIGINT-proof loop, fork bomb"),
        Sample("reads_solutions", reads_solutions(a, course), 0.0,
               "reads solutions, specs, notebooks, In[] from disk and memory; prints them"),
        Sample("cheats", cheats(a), 0.0, "monkeypatches check_close, numpy.testing, np.allclose, np.isclose"),
        Sample("grabs_reference", grabs_reference(a, unavailable), 0.0,
               "drops the profiler, raw thread, imports/reads the reference and torch"),
    ]
    leaves, kinds = a.leaf_functions(), list(ATTACKS)
    for i in range(0, len(kinds), len(leaves)):
        plan = dict(zip(leaves, kinds[i:i + len(leaves)]))
        lost = sum(a.points_using(fn) for fn in plan)
        what = "; ".join(f"{fn} {ATTACKS[kind][2]}" for fn, kind in plan.items())
        out.append(Sample(f"attacks_{i // len(leaves) + 1}", attacked(a, plan), a.total - lost, what))
    return out


# --------------------------------------------------------------------------------------------------------
# running nbgrader


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run an nbgrader command in ``course`` with this interpreter's environment first on PATH."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(), text=True,
                          capture_output=True, timeout=timeout)



def make_course(dest: Path, assignments: list[str]) -> Path:
    """A fresh course directory: the configuration and the source notebooks of ``assignments``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    (dest / "specs").mkdir(exist_ok=True)
    for name in assignments:
        shutil.copytree(ROOT / "solutions" / name, dest / "solutions" / name)
        shutil.copy(ROOT / "specs" / f"{name}.py", dest / "specs" / f"{name}.py")
    return dest


def submit(course: Path, assignment: str, student: str, nb) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")


@dataclass
class Result:
    assignment: str
    student: str
    what: str
    expected: float | None
    score: float | None  # None: no autograded notebook (flagged)
    max_score: float


def submit_samples(course: Path, assignment: str, students) -> list[Sample]:
    """Generate ``assignment`` in ``course`` and submit the sample submissions named in ``students``."""
    step = nbgrader(course, "generate_assignment", assignment, "--force")
    if step.returncode:
        raise RuntimeError(f"generate_assignment {assignment} failed:\n{step.stderr[-3000:]}")
    a = Assignment.load(course, assignment)
    cases = [s for s in samples(a, course, load_spec(course / "specs" / f"{assignment}.py").unavailable)
             if s.student in students]
    for s in cases:
        submit(course, assignment, s.student, s.notebook)
    return cases


def read_grades(csv_path: Path) -> dict:
    with open(csv_path, newline="") as f:
        return {(row["assignment"], row["student_id"]): (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(f)}


def run_pipeline(course: Path, assignments: list[str], timeout: int = 30, log=print,
                 only: list[str] | None = None) -> tuple[list[Result], dict]:
    """Generate, submit every sample, autograde, write feedback and export; return results and timings."""
    timings = {}
    results = []
    for name in assignments:
        step = nbgrader(course, "generate_assignment", name, "--force")
        if step.returncode:
            raise RuntimeError(f"generate_assignment {name} failed:\n{step.stderr[-3000:]}")
        a = Assignment.load(course, name)
        cases = samples(a, course, load_spec(course / "specs" / f"{name}.py").unavailable)
        cases = [s for s in cases if only is None or s.student in only]
        for s in cases:
            submit(course, name, s.student, s.notebook)
        log(f"{name}: autograding {len(cases)} submissions ...")
        start = time.perf_counter()
        nbgrader(course, "autograde", name, "--create", f"--JudgeExecute.timeout={timeout}")
        timings[name] = (time.perf_counter() - start) / len(cases)
        step = nbgrader(course, "generate_feedback", name, "--force")
        if step.returncode:
            raise RuntimeError(f"generate_feedback {name} failed:\n{step.stderr[-3000:]}")
        results += [Result(name, s.student, s.what, s.expected, None, a.total) for s in cases]
    step = nbgrader(course, "export", "--to", str(course / "grades.csv"))
    if step.returncode:
        raise RuntimeError(f"export failed:\n{step.stderr[-3000:]}")
    grades = read_grades(course / "grades.csv")
    for r in results:  # a submission whose grading crashed has no autograded notebook: it stays flagged
        if (course / "autograded" / r.student / r.assignment / f"{r.assignment}.ipynb").exists():
            r.score = grades[(r.assignment, r.student)][0]
    return results, timings


def print_table(results: list[Result], timings: dict) -> bool:
    """Print the grade table; return True when every score is the expected one."""
    ok_all = True
    print(f"\n{'assignment':<22}{'submission':<17}{'score':>9}{'expected':>10}  status  what")
    for r in results:
        score = "FLAGGED" if r.score is None else f"{r.score:g}/{r.max_score:g}"
        expected = "flagged" if r.expected is None else f"{r.expected:g}"
        ok = (r.score is None) if r.expected is None else (r.score is not None and abs(r.score - r.expected) < 1e-9)
        ok_all &= ok
        print(f"{r.assignment:<22}{r.student:<17}{score:>9}{expected:>10}  {'ok' if ok else 'WRONG':<6}  {r.what}")
    print("\nautograde time per submission: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return ok_all


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", nargs="*", default=None)
    parser.add_argument("--keep", type=Path, default=None, help="course directory to keep (default: temporary)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds per cell while autograding")
    args = parser.parse_args(argv)
    names = args.assignments or sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*"))
    if not names:
        print("no assignments in solutions/")
        return 1
    with tempfile.TemporaryDirectory(prefix="mlkit-course-") as tmp:
        course = make_course(args.keep or Path(tmp) / "course", names)
        print(f"course directory: {course}")
        results, timings = run_pipeline(course, names, timeout=args.timeout)
        ok = print_table(results, timings)
        if args.keep:
            print(f"grades: {course / 'grades.csv'}; feedback: {course / 'feedback'}")
        else:
            print("the course directory was temporary; pass --keep DIR to keep its grades and feedback")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

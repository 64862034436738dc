"""The instructor pipeline, end to end and headless, on a temporary course directory.

    python scripts/grade_demo.py [--assignments 01_perceptron ...] [--keep DIR] [--timeout 30]

It copies nbgrader_config.py and solutions/ into a fresh course directory (never touching the repository),
generates the student versions, creates sample submissions from the source and release notebooks (the
reference solution, the untouched release, one function broken, and adversarial ones), autogrades them all
with nbgrader, writes feedback, exports the grades to CSV and prints the grade table. Submissions whose
grading crashed (a kernel killed by os._exit) have no autograded notebook: they are listed as FLAGGED.
The tests in tests/test_grading_pipeline.py drive the same functions and check every number.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN_END = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.MULTILINE | re.DOTALL)


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
        """Points of the test cells of the solution cell defining ``fn`` (what breaking ``fn`` costs)."""
        return sum(p for gid, p in self.points.items() if self.owner(gid) == self.functions[fn])

    def leaf_function(self) -> str:
        """A graded function that returns a value and that no other solution code calls: breaking it costs
        exactly its own tests' points."""
        candidates = []
        for fn, gid in self.functions.items():
            others = "\n".join(code for g, code in self.solutions.items() if g != gid)
            body = self.solutions[gid].split(f"def {fn}(", 1)[1].split("\n", 1)[-1]
            body = re.split(r"^\S", body, maxsplit=1, flags=re.MULTILINE)[0]  # up to the next top-level line
            if (re.search(rf"\b{fn}\b", others) is None and re.search(r"^\s+return\s+\S", body, re.MULTILINE)
                    and self.points_using(fn) > 0):
                candidates.append(fn)
        if not candidates:
            raise ValueError(f"{self.name}: no graded leaf function to break")
        return candidates[-1]


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


def _append_to_cell_of(nb, a: Assignment, fn: str, code: str):
    for cell in nb.cells:
        if nbmeta(cell).get("grade_id") == a.functions[fn]:
            cell.source += "\n\n" + code
            return nb
    raise ValueError(f"no cell defines {fn}")


def _rewrap(fn: str, body: str) -> str:
    """Code that replaces ``fn`` by a wrapper around the correct version."""
    return f"_{fn}_correct = {fn}\n\ndef {fn}(*args, **kwargs):\n" + "".join(f"    {line}\n" for line in
                                                                            body.splitlines())


TRANSFORMS = {
    # name: (wrapper body, what the submission tries)
    "broken": ("raise RuntimeError('deliberately broken')", "one function raises"),
    "infinite_loop": ("while True:\n    pass", "one function never returns"),
    "always_equal": ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
                     "    __ne__ = lambda self, other: False\n"
                     "    __hash__ = object.__hash__\n"
                     f"return AlwaysEqual()", "returns an object whose == is always True"),
    "calls_torch": ("import torch\nimport numpy as np\n"
                    "return torch.as_tensor(np.asarray(0.0)).numpy() * 0 + _FN_correct(*args, **kwargs)",
                    "computes the result with torch"),
    "nan": ("import numpy as np\nout = _FN_correct(*args, **kwargs)\n"
            "nan = lambda v: np.full(np.shape(v), np.nan) if np.ndim(v) or isinstance(v, float) else v\n"
            "return tuple(nan(v) for v in out) if isinstance(out, tuple) else nan(out)", "returns NaN"),
    "wrong_shape": ("import numpy as np\nout = _FN_correct(*args, **kwargs)\n"
                    "grow = lambda v: np.append(np.ravel(v), 0.0)\n"
                    "return tuple(grow(v) for v in out) if isinstance(out, tuple) else grow(out)",
                    "returns an array of the wrong shape"),
    "wrong_type": ("out = _FN_correct(*args, **kwargs)\nreturn str(out)", "returns a string"),
}


def broken(a: Assignment, kind: str, fn: str | None = None):
    """The reference submission with ``fn`` (a leaf function by default) replaced as ``kind`` says."""
    fn = fn or a.leaf_function()
    body = TRANSFORMS[kind][0].replace("_FN_correct", f"_{fn}_correct")
    return _append_to_cell_of(reference(a), a, fn, _rewrap(fn, body))


def tampered_tests(a: Assignment):
    """The reference submission with every test cell emptied and the last one deleted (nbgrader restores
    them from the source: the score must equal the reference's)."""
    nb = reference(a)
    tests = [c for c in nb.cells if nbmeta(c).get("grade")]
    for cell in tests:
        cell.source = "pass  # tests removed"
    nb.cells.remove(tests[-1])
    return nb


def kernel_exit(a: Assignment):
    """A submission whose kernel dies (os._exit) in its first solution cell."""
    nb = reference(a)
    first = next(c for c in nb.cells if nbmeta(c).get("solution"))
    first.source = "import os\nos._exit(1)\n" + first.source
    return nb


def huge_print(a: Assignment):
    """The reference submission printing 20 MB: graded as the reference, its output truncated."""
    nb = reference(a)
    first = next(c for c in nb.cells if nbmeta(c).get("solution"))
    first.source += "\n\nprint('x' * 20_000_000)\n"
    return nb


def reads_solutions(a: Assignment):
    """The untouched release plus a cell that tries to take the solutions from the instructor's files
    (the source notebook, then via a shell) and run them. The grading sandbox must stop both."""
    nb = nbformat.from_dict(a.release)
    steal = (
        "import glob, json, re, subprocess\n"
        f"path = '../../../solutions/{a.name}/{a.name}.ipynb'\n"
        "try:\n"
        "    text = open(path).read()\n"
        "except PermissionError as err:\n"
        "    print('blocked:', err)\n"
        "    try:\n"
        "        text = subprocess.run(['cat', path], capture_output=True, text=True).stdout\n"
        "    except PermissionError as err:\n"
        "        print('blocked:', err)\n"
        "        text = None\n"
        "if text:\n"
        "    for cell in json.loads(text)['cells']:\n"
        "        if cell['metadata'].get('nbgrader', {}).get('solution'):\n"
        "            exec(re.sub(r'### (BEGIN|END) SOLUTION', '', ''.join(cell['source'])), globals())\n"
    )
    first_solution = next(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution"))
    nb.cells.insert(first_solution, nbformat.v4.new_code_cell(steal))
    # the student's own cells stay stubs; the stolen definitions come first, the stubs then replace them,
    # so a successful theft is re-applied after the last solution cell as well
    last_solution = max(i for i, c in enumerate(nb.cells) if nbmeta(c).get("solution"))
    nb.cells.insert(last_solution + 1, nbformat.v4.new_code_cell(steal))
    return nb


@dataclass
class Sample:
    student: str
    notebook: nbformat.NotebookNode
    expected: float | None  # None: grading is expected to crash (flagged)
    what: str


def samples(a: Assignment) -> list[Sample]:
    """Every sample submission of an assignment with the score it deserves."""
    fn = a.leaf_function()
    lost = a.points_using(fn)
    out = [
        Sample("reference", reference(a), a.total, "the reference solution"),
        Sample("untouched", nbformat.from_dict(a.release), 0.0, "the release, unchanged"),
        Sample("tampered_tests", tampered_tests(a), a.total, "test cells edited and one deleted"),
        Sample("huge_print", huge_print(a), a.total, "prints 20 MB"),
        Sample("kernel_exit", kernel_exit(a), None, "kills its kernel with os._exit"),
        Sample("reads_solutions", reads_solutions(a), 0.0, "tries to read solutions/ from disk"),
    ]
    for kind, (_, what) in TRANSFORMS.items():
        out.append(Sample(kind, broken(a, kind, fn), a.total - lost, f"{fn}: {what}"))
    return out


# --------------------------------------------------------------------------------------------------------
# running nbgrader


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run an nbgrader command in ``course`` with this interpreter's environment first on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, text=True,
                          capture_output=True, timeout=timeout)


def make_course(dest: Path, assignments: list[str]) -> Path:
    """A fresh course directory: the configuration and the source notebooks of ``assignments``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    for name in assignments:
        shutil.copytree(ROOT / "solutions" / name, dest / "solutions" / name)
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


def read_grades(csv_path: Path) -> dict:
    with open(csv_path, newline="") as f:
        return {(row["assignment"], row["student_id"]): (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(f)}


def run_pipeline(course: Path, assignments: list[str], timeout: int = 30, log=print) -> tuple[list[Result], dict]:
    """Generate, submit every sample, autograde, write feedback and export; return results and timings."""
    timings = {}
    results = []
    for name in assignments:
        step = nbgrader(course, "generate_assignment", name, "--force")
        if step.returncode:
            raise RuntimeError(f"generate_assignment {name} failed:\n{step.stderr[-3000:]}")
        a = Assignment.load(course, name)
        cases = samples(a)
        for s in cases:
            submit(course, name, s.student, s.notebook)
        log(f"{name}: autograding {len(cases)} submissions ...")
        start = time.perf_counter()
        nbgrader(course, "autograde", name, "--create", f"--Execute.timeout={timeout}")
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
        print(f"grades: {course / 'grades.csv'}; feedback: {course / 'feedback'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

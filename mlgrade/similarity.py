"""Similarity report: solution code that is a near-copy of the reference, of mlkit, or of another submission.

``python -m mlgrade similarity 03_backprop`` (see :mod:`mlgrade.__main__`) calls :func:`similarity_report`,
which writes ``reports/similarity_03_backprop.csv`` and ``reports/similarity_03_backprop.html`` for the
instructor. The report *flags* pairs for a human to look at; it decides nothing by itself.

What is compared
----------------
- **A student's solution code** (:func:`solution_code`): the sources of the code cells of the submitted
  notebook whose metadata has ``nbgrader.solution == true`` (submitted notebooks keep nbgrader's metadata),
  matched with the release's cells by ``grade_id`` and concatenated in the release's order. nbgrader's stub
  lines (``# YOUR CODE HERE``, ``raise NotImplementedError()``) are removed, so an untouched cell is empty.
  Code in cells a student added is not looked at.
- **The reference** (:func:`reference_code`): the solution cells of ``solutions/<a>/<a>.ipynb``. Only the
  text between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` counts (a solution cell without markers
  counts whole); the regions stay inside their cells, so the reference reads like a submission whose
  author typed the reference solution into each stub. Test cells (and their hidden tests) are never read.
- **The mlkit modules** (:func:`mlkit_modules`): each module's source on its own (default: every
  ``mlkit/*.py``), so a student who pasted ``mlkit.gradcheck`` shows up against ``mlkit/gradcheck.py``.
- **Boilerplate**: what the release already gives every student — the solution cells of
  ``exercises/<a>/<a>.ipynb`` (signatures, docstrings, the "try it" lines), prepared like a submission. Its
  fingerprints are discarded everywhere (copydetect's boilerplate), and the lines a student kept from the
  release's cell do not count as theirs, so two honest students are not similar because they share the
  template, and an untouched release scores 0.

Why copydetect
--------------
`copydetect <https://github.com/blingenf/copydetect>`_ (PyPI, maintained) implements the winnowing
algorithm of MOSS (Schleimer, Wilkerson & Aiken, SIGMOD 2003) on *tokenised* code: pygments' lexer turns
every variable/attribute name into ``V``, function names into ``F``, strings into ``S``, and drops comments
and whitespace; the fingerprints are hashes of k-grams of what remains. Renaming variables, rewording
comments, re-indenting, re-wrapping or re-quoting therefore does not hide a copy, while code written the
same way by chance has to agree on a long run of tokens before it counts. We use its building blocks —
:class:`copydetect.CodeFingerprint` (tokenise, k-grams, winnowing),
:func:`copydetect.utils.find_fingerprint_overlap` (the shared fingerprints, as in ``compare_files``) and
:func:`copydetect.utils.get_token_coverage` — and not :class:`copydetect.CopyDetector`, which reads files
from directories and writes a report that links external scripts and style sheets.

Two deviations from ``copydetect.compare_files``:

- copydetect 0.5 removes boilerplate with ``np.intersect1d(..., assume_unique=True)`` on a hash list that
  is not unique, which also deletes k-grams a file merely *repeats* (and can raise an IndexError);
  :func:`fingerprint` drops the boilerplate hashes itself.
- Only the author's *own* tokenised characters are counted: not in a line kept from the release's cell
  (or outside the reference's solution regions) and not in a k-gram of the boilerplate. ``compare_files``
  counts every character of a matching k-gram, and a k-gram that straddles the end of the template and the
  start of a student's code carries up to k - 1 characters of template — in a notebook of seven short
  functions that inflated both the size of the students' code and the agreement of honest students who
  merely start or end a function the same way (two independent solutions: 0.31 instead of 0.14).

The score
---------
For a pair, ``student_share`` is the share of the student's own characters that lie in a k-gram also found
in the other, ``other_share`` the same from the other side, and ``similarity`` the larger of the two: a
short submission copied into a longer one is found from the short side, a few functions pasted from a long
mlkit module from the student's side. A pair is ``flagged`` when ``similarity >= threshold`` *and* the
shared passages hold at least ``min_tokens`` own characters on both sides, so that a near-empty submission
whose one line is the obvious one (``return G @ W.T, X.T @ G, G.sum(axis=0)``) is not flagged.

Default threshold 0.7, from the made-up submissions of ``tests/test_similarity.py`` on exercise 03:

- 1.00  the reference with variables renamed and comments rewritten, vs the reference;
- 0.98  two students sharing code, reformatted, renamed and re-quoted, vs each other;
- 0.92  part 4 pasted from mlkit/gradcheck.py (parts 2-3 not done), vs that module;
- 0.15  two independent solutions vs each other (0.07 and 0.06 vs the reference);
- 0.00  an untouched release, vs anything;
- 0.58  two honest students who each wrote the *obvious* code, vs each other (0.50 and 0.53 vs the
  reference, whose code is the obvious one).

The answers of this exercise are short and its instructions nearly dictate them, so honest work converges:
0.6 would leave no margin above the obvious solutions' 0.58, while 0.7 does and still flags copies of the
whole notebook (0.9-1.0) or of five of its seven functions (0.75 in a trial). The price: copying two or
three functions and writing the rest scored 0.47-0.49 and is not flagged; such pairs come right after the
flagged ones in the "all pairs" table, which is sorted by similarity. On longer exercises, whose honest
solutions diverge more, a lower ``--threshold`` is reasonable.
"""

from __future__ import annotations

import csv
import difflib
import html
import importlib.util
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint
from copydetect.utils import find_fingerprint_overlap, get_token_coverage

__all__ = [
    "DEFAULT_THRESHOLD", "NOISE_T", "WINDOW", "MIN_TOKENS", "CSV_COLUMNS", "Source",
    "read_notebook", "strip_stub", "solution_cells", "solution_code", "reference_code", "mlkit_modules",
    "submissions", "boilerplate_hashes", "fingerprint", "compare", "matching_slices", "similarity_report",
    "write_csv", "write_html",
]

DEFAULT_THRESHOLD = 0.7
"""Flag a pair when the larger of its two shares reaches this (see the module docstring for why 0.7)."""

NOISE_T = 25
"""k: length, in tokenised characters, of the k-grams (copydetect's default noise threshold). After
tokenisation ``dX = G @ W.T`` is ``V=V@V.V``, so 25 characters are two or three short statements."""

WINDOW = 1
"""Winnowing window: 1 keeps every k-gram (copydetect's default guarantee threshold equals the noise
threshold). Solutions are short; there is nothing to gain from thinning their fingerprints."""

MIN_TOKENS = 2 * NOISE_T
"""A flagged pair must share at least this many own tokenised characters on both sides."""

CSV_COLUMNS = ["student", "other", "similarity", "flagged", "student_share", "other_share", "matched_tokens"]

STUB_LINES = frozenset({"# YOUR CODE HERE", "raise NotImplementedError()", "raise NotImplementedError"})
_BEGIN = re.compile(r"^\s*###\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*###\s*END SOLUTION\s*$")
_CELL_SEPARATOR = "\n\n"

Lines = list[tuple[str, bool]]  # the lines of a cell, each with "is it the author's own?"


# --------------------------------------------------------------------------------------------- notebooks
def read_notebook(path) -> dict:
    """A notebook as the JSON dict (nbformat 4); no validation, so a damaged submission still loads."""
    with open(path, encoding="utf-8") as fp:
        return json.load(fp)


def _as_notebook(nb) -> dict:
    return nb if isinstance(nb, dict) else read_notebook(nb)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _is_solution(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and meta.get("solution") is True


def strip_stub(source: str) -> str:
    """``source`` without nbgrader's code-stub lines (``# YOUR CODE HERE``, ``raise NotImplementedError()``)."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in STUB_LINES)


def solution_cells(nb) -> list[tuple[str, str]]:
    """``(grade_id, source)`` of every solution code cell of ``nb`` (a dict or a path), in notebook order."""
    out = []
    for i, cell in enumerate(_as_notebook(nb).get("cells", [])):
        if _is_solution(cell):
            grade_id = cell["metadata"]["nbgrader"].get("grade_id") or f"cell-{i}"
            out.append((str(grade_id), _source(cell)))
    return out


def _normalise(line: str) -> str:
    return " ".join(line.split())


def _student_lines(source: str, template: str | None) -> Lines:
    """The stub-free lines of a solution cell; a line is the student's own unless it is one of the lines
    of the release's cell ``template`` that the student kept (a line diff, blind to spacing)."""
    lines = strip_stub(source).splitlines()
    if template is None:
        return [(line, True) for line in lines]
    given = strip_stub(template).splitlines()
    own = [True] * len(lines)
    matcher = difflib.SequenceMatcher(None, [_normalise(x) for x in given], [_normalise(x) for x in lines],
                                      autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            own[j1:j2] = [False] * (j2 - j1)
    return list(zip(lines, own))


def _reference_lines(source: str) -> Lines:
    """A source cell without its marker lines; own = inside a solution region (or the whole cell if it has
    no markers, as nbgrader then replaces the whole cell)."""
    lines = source.splitlines()
    if not any(_BEGIN.match(line) for line in lines):
        return [(line, True) for line in lines]
    out, inside = [], False
    for line in lines:
        if _BEGIN.match(line):
            inside = True
        elif _END.match(line):
            inside = False
        else:
            out.append((line, inside))
    return out


def _release_lines(source: str) -> Lines:
    """A source cell as nbgrader releases it (regions replaced by the stub), stub-free; nothing is own."""
    out, inside = [], False
    for line in source.splitlines():
        if _BEGIN.match(line):
            inside = True
        elif _END.match(line):
            inside = False
        elif not inside and line.strip() not in STUB_LINES:
            out.append((line, False))
    return out


def _assemble(cells: list[tuple[str, Lines]], order: list[str] | None) -> tuple[str, np.ndarray]:
    """Concatenate cells (those whose grade_id is in ``order`` first, in that order): the text, and for
    each of its characters whether it is the author's own."""
    if order is not None:
        rank = {gid: i for i, gid in enumerate(order)}
        cells = sorted(cells, key=lambda c: rank.get(c[0], len(rank)))  # stable: unknown cells keep order
    texts, masks = [], []
    for _, lines in cells:
        while lines and not lines[0][0].strip():    # blank lines at either end of a cell
            lines = lines[1:]
        while lines and not lines[-1][0].strip():
            lines = lines[:-1]
        if not lines:
            continue
        if texts:
            texts.append(_CELL_SEPARATOR)
            masks.append(np.zeros(len(_CELL_SEPARATOR), dtype=bool))
        for i, (line, own) in enumerate(lines):
            line = line.rstrip("\r") + ("\n" if i < len(lines) - 1 else "")
            texts.append(line)
            masks.append(np.full(len(line), own, dtype=bool))
    if not texts:
        return "", np.zeros(0, dtype=bool)
    return "".join(texts), np.concatenate(masks)


def _solution(nb, order=None, release_cells: dict[str, str] | None = None) -> tuple[str, np.ndarray]:
    cells = [(gid, _student_lines(src, None if release_cells is None else release_cells.get(gid)))
             for gid, src in solution_cells(nb)]
    return _assemble(cells, order)


def solution_code(nb, order: list[str] | None = None) -> str:
    """A student's solution code: the stub-free sources of the solution cells of ``nb`` (a dict or a path),
    concatenated in the order of the grade_ids ``order`` (the release's), then any other solution cells."""
    return _solution(nb, order)[0]


def _reference(nb, order=None) -> tuple[str, np.ndarray]:
    return _assemble([(gid, _reference_lines(src)) for gid, src in solution_cells(nb)], order)


def reference_code(nb, order: list[str] | None = None) -> str:
    """The reference solution of a source notebook (dict or path): its solution cells without the
    ``### BEGIN/END SOLUTION`` lines, in the order ``order``. Test cells are not read."""
    return _reference(nb, order)[0]


# ------------------------------------------------------------------------------------------------ inputs
def mlkit_modules(course_dir=".", modules=None) -> dict[str, Path]:
    """``{"mlkit/<name>.py": path}`` of the mlkit modules to compare with.

    The package is ``<course_dir>/mlkit`` if there is one (the course repository), otherwise the installed
    ``mlkit``. ``modules`` is None (every ``mlkit/*.py``) or a list of names (``"gradcheck"``,
    ``"mlkit.gradcheck"``, ``"gradcheck.py"``, ``"mlkit/gradcheck.py"``) or paths of ``.py`` files.
    """
    package = Path(course_dir) / "mlkit"
    if not (package / "__init__.py").is_file():
        spec = importlib.util.find_spec("mlkit")
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        package = Path(locations[0]) if locations else None
    if modules is None:
        return {f"mlkit/{p.name}": p for p in sorted(package.glob("*.py"))} if package is not None else {}
    found = {}
    for m in modules:
        path = Path(m)
        if path.suffix == ".py" and path.is_file():
            found[f"mlkit/{path.name}"] = path
            continue
        name = str(m).replace("\\", "/").removeprefix("mlkit/").removeprefix("mlkit.").removesuffix(".py")
        path = package / f"{name}.py" if package is not None else None
        if path is None or not path.is_file():
            raise FileNotFoundError(f"no mlkit module {m!r}" + (f" in {package}" if package else ""))
        found[f"mlkit/{name}.py"] = path
    return found


def submissions(course_dir, assignment: str) -> dict[str, list[Path]]:
    """``{student_id: [notebooks]}`` from ``<course_dir>/submitted/<student>/<assignment>/*.ipynb``."""
    out = {}
    for student_dir in sorted(p for p in (Path(course_dir) / "submitted").glob("*") if p.is_dir()):
        notebooks = sorted((student_dir / assignment).glob("*.ipynb"))
        if notebooks:
            out[student_dir.name] = notebooks
    return out


def _release_notebooks(course_dir: Path, assignment: str) -> list[Path]:
    for folder in ("exercises", "release"):  # this course's release_directory, then nbgrader's default
        found = sorted((course_dir / folder / assignment).glob("*.ipynb"))
        if found:
            return found
    return []


# ----------------------------------------------------------------------------------------- fingerprints
def _raw_fingerprint(code: str, win_size: int, k: int = NOISE_T) -> CodeFingerprint:
    # fp= gives the text directly; language="python" makes pygments tokenise it whatever the file name
    return CodeFingerprint("code.py", k, win_size, language="python", fp=io.StringIO(code))


def _starts(index_lists) -> np.ndarray:
    return np.fromiter((i for lst in index_lists for i in lst), dtype=int)


def _cover(starts, k: int, n: int) -> np.ndarray:
    """Boolean mask of length n: the characters of the k-grams starting at ``starts``."""
    starts = np.asarray(starts, dtype=int).ravel()
    if starts.size == 0 or n == 0:
        return np.zeros(n, dtype=bool)
    edges = np.zeros(n + k + 1, dtype=int)
    np.add.at(edges, starts, 1)
    np.add.at(edges, starts + k, -1)
    return np.cumsum(edges)[:n] > 0


def _raw_positions(fp: CodeFingerprint, positions) -> np.ndarray:
    """Offsets in the raw code of positions in the tokenised code, translated as copydetect's
    ``compare_files`` translates its slices (a placeholder maps to the start of its name)."""
    positions = np.asarray(positions, dtype=int)
    if len(fp.offsets) == 0:
        return positions
    shift = fp.offsets[:, 1][np.clip(np.searchsorted(fp.offsets[:, 0], positions), 0, fp.offsets.shape[0] - 1)]
    return positions + shift.astype(int)


def boilerplate_hashes(texts, k: int = NOISE_T) -> frozenset:
    """Every k-gram hash of the given texts (window 1, as copydetect does for boilerplate)."""
    hashes = set()
    for text in texts:
        if text.strip():
            hashes |= set(_raw_fingerprint(text, 1, k).hashes)
    return frozenset(hashes)


def fingerprint(code: str, own=None, boilerplate=frozenset(), k: int = NOISE_T, window: int = WINDOW):
    """``(fp, own_tokens)``: copydetect's fingerprint of ``code`` without the ``boilerplate`` hashes, and the
    mask of its tokenised characters (``fp.filtered_code``) that are the author's own: in a raw character
    marked in ``own`` (default: all) and in no k-gram of the boilerplate."""
    every = _raw_fingerprint(code, 1, k)  # all k-grams, to locate the boilerplate
    fp = every if window == 1 else _raw_fingerprint(code, window, k)
    n = len(fp.filtered_code)
    own_tokens = ~_cover(_starts(i for h, i in every.hash_idx.items() if h in boilerplate), k, n)
    if own is not None and n and len(code):
        raw = np.clip(_raw_positions(fp, np.arange(n)), 0, len(code) - 1)
        own_tokens &= np.asarray(own, dtype=bool)[raw]
    if boilerplate:
        fp.hash_idx = {h: idx for h, idx in fp.hash_idx.items() if h not in boilerplate}
        fp.hashes = set(fp.hash_idx)
        fp.token_coverage = get_token_coverage(fp.hash_idx, k, n)
    return fp, own_tokens


@dataclass
class Source:
    """One body of code in the comparison: a submission, the reference or an mlkit module."""

    name: str                    # student id, "reference" or "mlkit/<module>.py"
    kind: str                    # "submission", "reference" or "module"
    code: str
    own_raw: np.ndarray = field(repr=False)                         # per character of code: own?
    path: str = ""
    fp: CodeFingerprint | None = field(default=None, repr=False)    # boilerplate hashes removed
    own: np.ndarray | None = field(default=None, repr=False)        # per tokenised character: own?
    tokens: int = 0              # own tokenised characters covered by a fingerprint: what the shares divide

    @classmethod
    def make(cls, name: str, kind: str, code: str, own_raw=None, path="", boilerplate=frozenset()) -> "Source":
        own_raw = np.ones(len(code), dtype=bool) if own_raw is None else np.asarray(own_raw, dtype=bool)
        fp, own = fingerprint(code, own_raw, boilerplate)
        tokens = int((_cover(_starts(fp.hash_idx.values()), fp.k, len(own)) & own).sum())
        return cls(name, kind, code, own_raw, str(path), fp, own, tokens)


def _raw_slices(fp: CodeFingerprint, mask: np.ndarray) -> np.ndarray:
    """The runs of ``mask`` (over the tokenised code) as a 2xN array of [start, end) raw offsets."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return _raw_positions(fp, np.array([change[0::2], change[1::2]], dtype=int)).reshape(2, -1)


def _hits(a: Source, b: Source) -> tuple[np.ndarray, np.ndarray]:
    """Own tokenised characters of a and of b that lie in a k-gram found in both."""
    idx_a, idx_b = find_fingerprint_overlap(a.fp.hashes, b.fp.hashes, a.fp.hash_idx, b.fp.hash_idx)
    return _cover(idx_a, a.fp.k, len(a.own)) & a.own, _cover(idx_b, b.fp.k, len(b.own)) & b.own


def compare(a: Source, b: Source) -> tuple[float, float, int]:
    """``(share_a, share_b, matched)`` for two sources: ``share_a`` is the share of a's own counted
    characters that lie in a k-gram also found in b; ``matched`` the smaller of the two numbers of such
    characters."""
    hit_a, hit_b = _hits(a, b)
    share_a = float(hit_a.sum() / a.tokens) if a.tokens else 0.0
    share_b = float(hit_b.sum() / b.tokens) if b.tokens else 0.0
    return min(share_a, 1.0), min(share_b, 1.0), int(min(hit_a.sum(), hit_b.sum()))


def matching_slices(a: Source, b: Source) -> tuple[np.ndarray, np.ndarray]:
    """The passages of a and b that :func:`compare` counts, as 2xN arrays of [start, end) offsets in
    ``a.code`` and ``b.code``."""
    hit_a, hit_b = _hits(a, b)
    return _raw_slices(a.fp, hit_a), _raw_slices(b.fp, hit_b)


# ------------------------------------------------------------------------------------------------ report
def similarity_report(course_dir, assignment: str, out_dir=None, threshold: float = DEFAULT_THRESHOLD,
                      reference_modules=None, min_tokens: int = MIN_TOKENS) -> list[dict]:
    """Compare every submission of ``assignment`` with the reference, the mlkit modules and each other.

    Writes ``<out_dir>/similarity_<assignment>.csv`` and ``.html`` (``out_dir`` defaults to
    ``<course_dir>/reports``) and returns the rows, most similar first: dicts with the keys
    :data:`CSV_COLUMNS`. ``other`` is a student id, ``"reference"`` or ``"mlkit/<module>.py"``; each pair of
    students appears once. ``reference_modules``: see :func:`mlkit_modules`.
    """
    course_dir = Path(course_dir)
    out_dir = Path(out_dir) if out_dir is not None else course_dir / "reports"
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")

    source_nbs = sorted((course_dir / "solutions" / assignment).glob("*.ipynb"))
    release_nbs = _release_notebooks(course_dir, assignment)
    if not source_nbs and not release_nbs:
        raise FileNotFoundError(f"no notebook in solutions/{assignment}/ nor exercises/{assignment}/ "
                                f"of {course_dir}")
    sources_json = [read_notebook(p) for p in source_nbs]
    releases_json = [read_notebook(p) for p in release_nbs]
    order = [gid for nb in (releases_json or sources_json) for gid, _ in solution_cells(nb)]

    # the template: the release's solution cells (or, without a release, the source cells as released)
    if releases_json:
        given = {gid: src for nb in releases_json for gid, src in solution_cells(nb)}
    else:
        given = {gid: "\n".join(line for line, _ in _release_lines(src))
                 for nb in sources_json for gid, src in solution_cells(nb)}
    boilerplate = boilerplate_hashes([_assemble([(gid, [(x, False) for x in strip_stub(src).splitlines()])
                                                 for gid, src in given.items()], order)[0]])

    def make(name, kind, code_and_own, path):
        code, own = code_and_own
        return Source.make(name, kind, code, own, path, boilerplate)

    references = [make("reference" if len(source_nbs) == 1 else f"reference/{p.name}", "reference",
                       _reference(nb, order), p) for p, nb in zip(source_nbs, sources_json)]
    for name, path in mlkit_modules(course_dir, reference_modules).items():
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n").lstrip("\n")
        references.append(make(name, "module", (text, None), path))
    students, unreadable = [], []
    for student, notebooks in submissions(course_dir, assignment).items():
        try:
            parts = [_solution(p, order, given) for p in notebooks]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as err:
            warnings.warn(f"similarity: skipped {student}'s {assignment}: cannot read the notebook ({err})")
            unreadable.append(student)
            continue
        parts = [(code, own) for code, own in parts if code]
        sep = np.zeros(len(_CELL_SEPARATOR), dtype=bool)
        code = _CELL_SEPARATOR.join(c for c, _ in parts)
        own = np.concatenate([m for i, (_, o) in enumerate(parts) for m in ([sep, o] if i else [o])]) \
            if parts else np.zeros(0, dtype=bool)
        students.append(make(student, "submission", (code, own), notebooks[0]))

    rows, pairs = [], {}

    def add(a: Source, b: Source):
        share_a, share_b, matched = compare(a, b)
        similarity = max(share_a, share_b)
        rows.append({"student": a.name, "other": b.name, "similarity": round(similarity, 4),
                     "flagged": bool(similarity >= threshold and matched >= min_tokens),
                     "student_share": round(share_a, 4), "other_share": round(share_b, 4),
                     "matched_tokens": matched})
        pairs[(a.name, b.name)] = (a, b)

    for i, a in enumerate(students):
        for ref in references:
            add(a, ref)
        for b in students[i + 1:]:
            add(a, b)
    rows.sort(key=lambda r: (-r["similarity"], r["student"], r["other"]))

    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(rows, out_dir / f"similarity_{assignment}.csv")
    write_html(rows, pairs, out_dir / f"similarity_{assignment}.html", assignment=assignment,
               threshold=threshold, min_tokens=min_tokens, n_students=len(students),
               references=[r.name for r in references], template_from_release=bool(releases_json),
               unreadable=unreadable)
    return rows


def write_csv(rows: list[dict], path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row[key] for key in CSV_COLUMNS})


# -------------------------------------------------------------------------------------------------- HTML
_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fde2e2; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin-bottom: 2.5em; }
.pair > div { min-width: 0; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 0.85em;
      line-height: 1.35; }
mark { background: #ffd54f; }
.given { color: #999; }
.gap { color: #999; }
.note { color: #555; max-width: 60em; }
"""


def _highlight(code: str, slices, own=None, context: int | None = None) -> str:
    """``code`` as escaped HTML: the [start, end) ``slices`` in <mark>, characters that are not ``own`` (the
    template) greyed; with ``context``, only lines within ``context`` lines of a marked one are kept."""
    kind = np.zeros(len(code) + 1, dtype=np.int8)              # 0 own, 1 given (template), 2 matched
    if own is not None:
        kind[:len(code)][~np.asarray(own, dtype=bool)] = 1
    for start, end in np.asarray(slices, dtype=int).reshape(2, -1).T:
        kind[max(int(start), 0):max(min(int(end), len(code)), 0)] = 2
    lines, pos = [], 0
    for line in code.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    marked = [bool((kind[p:p + len(line)] == 2).any()) for p, line in lines]
    keep = [True] * len(lines)
    if context is not None and any(marked):
        hits = np.flatnonzero(marked)
        keep = [bool(np.min(np.abs(hits - i)) <= context) for i in range(len(lines))]
    out, skipped = [], False
    for (p, line), kept in zip(lines, keep):
        if not kept:
            if not skipped:
                out.append('<span class="gap">...</span>')
            skipped = True
            continue
        skipped = False
        parts, i = [], 0
        while i < len(line):
            j = i
            while j < len(line) and kind[p + j] == kind[p + i]:
                j += 1
            text = html.escape(line[i:j])
            parts.append({0: text, 1: f'<span class="given">{text}</span>', 2: f"<mark>{text}</mark>"}
                         [int(kind[p + i])])
            i = j
        out.append("".join(parts))
    return "\n".join(out)


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = ("<tr><th>student</th><th>other</th><th>similarity</th><th>student's share</th>"
            "<th>other's share</th><th>matched tokens</th><th>flagged</th></tr>")
    body = []
    for r in rows:
        cls = ' class="flagged"' if r["flagged"] else ""
        body.append(
            f"<tr{cls}><td>{html.escape(r['student'])}</td><td>{html.escape(r['other'])}</td>"
            f"<td class=\"num\">{r['similarity']:.2f}</td><td class=\"num\">{r['student_share']:.2f}</td>"
            f"<td class=\"num\">{r['other_share']:.2f}</td><td class=\"num\">{r['matched_tokens']}</td>"
            f"<td>{'yes' if r['flagged'] else ''}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def write_html(rows: list[dict], pairs: dict, path, *, assignment: str, threshold: float, min_tokens: int,
               n_students: int, references: list[str], template_from_release: bool = True,
               unreadable=()) -> None:
    """A self-contained page (inline CSS, no script, no external resource); all code is escaped.

    ``pairs`` maps ``(row["student"], row["other"])`` to the two :class:`Source` objects; the passages are
    located again (:func:`compare`) for the flagged pairs only."""
    flagged = [r for r in rows if r["flagged"]]
    esc = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Similarity report: {esc(assignment)}</title>", f"<style>{_CSS}</style></head><body>",
        f"<h1>Similarity report: {esc(assignment)}</h1>",
        f"<p>{n_students} submission(s) compared with each other and with: {esc(', '.join(references))}. "
        f"<b>{len(flagged)}</b> flagged pair(s): similarity &ge; {threshold:g} and at least {min_tokens} "
        "matching tokenised characters.</p>",
        '<p class="note">Only the code in the solution cells is compared, tokenised (names become '
        "placeholders; comments, whitespace and formatting do not matter), with copydetect's winnowing "
        "fingerprints (the MOSS algorithm). The template the release gives every student (greyed below) is "
        + ("ignored" if template_from_release else "ignored (rebuilt from the source notebook: no release "
           "was found)")
        + ". <i>student's share</i>: the part of the student's own code found in the other; <i>other's "
        "share</i>: the part of the other found in the student's; <i>similarity</i>: the larger. A flag is a "
        "reason to look, not a verdict: short exercises have obvious solutions that honest students "
        "share.</p>",
        (f"<p><b>Not compared</b> (notebook unreadable): {esc(', '.join(unreadable))}.</p>" if unreadable else ""),
        "<h2>Flagged pairs</h2>", _table(flagged),
        "<h2>All pairs</h2>", _table(rows),
    ]
    if flagged:
        parts.append("<h2>Flagged pairs side by side</h2>")
    for r in flagged:
        a, b = pairs[(r["student"], r["other"])]
        slices_a, slices_b = matching_slices(a, b)
        context = 3 if b.kind == "module" else None  # a module is long: show the matching passages only
        parts += [
            f"<h3>{esc(a.name)} &harr; {esc(b.name)}: {r['similarity']:.2f}</h3>", '<div class="pair">',
            f"<div><b>{esc(a.name)}</b> (share {r['student_share']:.2f})"
            f"<pre>{_highlight(a.code, slices_a, a.own_raw)}</pre></div>",
            f"<div><b>{esc(b.name)}</b> (share {r['other_share']:.2f})"
            f"<pre>{_highlight(b.code, slices_b, b.own_raw, context)}</pre></div>",
            "</div>",
        ]
    parts.append("</body></html>")
    Path(path).write_text("\n".join(parts) + "\n", encoding="utf-8")

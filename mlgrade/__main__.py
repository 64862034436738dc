"""Command line of mlgrade: ``python -m mlgrade <command> ...``.

Commands:

- ``autograde ASSIGNMENT [--course DIR] [--workers N] [nbgrader options]``: grades every submission with N
  ``nbgrader autograde`` processes at once (default: the number of cores), with a progress bar, and prints the
  time per submission and the submissions that could not be graded (see :mod:`mlgrade.parallel`). Options it
  does not know (``--force``, ``--JudgeExecute.timeout=60``) go to every nbgrader process.

- ``similarity ASSIGNMENT [--course DIR] [--out DIR] [--threshold X] [--modules M1,M2]``: writes
  ``<out>/similarity_<assignment>.csv`` and ``.html`` (see :mod:`mlgrade.similarity`) and prints a summary.

To add a command: write ``_add_<name>(sub)`` that adds its sub-parser and sets ``func`` (a function of the
parsed arguments returning the exit status), and call it in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _similarity(args: argparse.Namespace) -> int:
    # imported here, not at the top: the other commands do not need copydetect (which imports matplotlib)
    from mlgrade.similarity import DEFAULT_THRESHOLD, similarity_report, submissions

    course = Path(args.course)
    out = Path(args.out) if args.out is not None else course / "reports"
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    modules = [m.strip() for m in args.modules.split(",") if m.strip()] if args.modules else None
    try:
        rows = similarity_report(course, args.assignment, out, threshold=threshold, reference_modules=modules)
    except FileNotFoundError as err:
        print(f"python -m mlgrade similarity: error: {err}", file=sys.stderr)
        return 1
    n_students = len(submissions(course, args.assignment))
    n_modules = len({r["other"] for r in rows if r["other"].startswith("mlkit/")})
    flagged = [r for r in rows if r["flagged"]]
    print(f"{args.assignment}: {n_students} submissions compared with each other, the reference and "
          f"{n_modules} mlkit modules; {len(flagged)} flagged pair(s) (similarity >= {threshold:g})"
          + (":" if flagged else "."))
    for r in flagged:
        print(f"  {r['similarity']:.2f}  {r['student']}  ~  {r['other']}")
    print(f"report: {out / f'similarity_{args.assignment}.html'}")
    print(f"table:  {out / f'similarity_{args.assignment}.csv'}")
    return 0


def _add_similarity(sub) -> None:
    p = sub.add_parser("similarity", help="flag solutions that are near-copies of the reference, of mlkit or "
                                          "of another submission (HTML and CSV report)",
                       description="Compare the solution code of every submission of ASSIGNMENT "
                                   "(COURSE/submitted/*/ASSIGNMENT/*.ipynb) with the reference solution, the "
                                   "mlkit modules and each other, ignoring the template of the release.")
    p.add_argument("assignment", help="assignment name, e.g. 03_backprop")
    p.add_argument("--course", default=".", help="course directory (default: the current one)")
    p.add_argument("--out", default=None, help="folder for the report (default: COURSE/reports)")
    p.add_argument("--threshold", type=_fraction, default=None,
                   help="flag pairs whose similarity reaches this (0..1; default: "
                        "mlgrade.similarity.DEFAULT_THRESHOLD, 0.7)")
    p.add_argument("--modules", default=None, metavar="M1,M2",
                   help="the mlkit modules to compare with, comma-separated, e.g. gradcheck,layers "
                        "(default: every mlkit/*.py)")
    p.set_defaults(func=_similarity)


def _autograde(args: argparse.Namespace) -> int:
    from mlgrade.parallel import autograde, progress_bar, submitted_students

    course = Path(args.course)
    total = len(submitted_students(course, args.assignment))
    if total == 0:
        print(f"python -m mlgrade autograde: no submissions in {course / 'submitted'}/*/{args.assignment}",
              file=sys.stderr)
        return 1
    workers = args.workers or os.cpu_count() or 1
    print(f"{args.assignment}: grading {total} submissions with {min(workers, total)} nbgrader processes",
          file=sys.stderr)
    outcome = autograde(course, args.assignment, workers, args.nbgrader_args, progress=progress_bar())
    judged = sorted(outcome.graded.values())
    print(f"{len(outcome.graded)}/{total} graded in {outcome.seconds:.0f} s: {outcome.seconds / total:.1f} s per "
          f"submission" + (f"; judge time per submission: median {judged[len(judged) // 2]:.1f} s, "
                           f"longest {judged[-1]:.1f} s" if judged else ""))
    missing = sorted(set(submitted_students(course, args.assignment)) - set(outcome.graded))
    if missing:
        print(f"NOT GRADED ({len(missing)}): {', '.join(missing)} -- see nbgrader's log: "
              f"nbgrader autograde {args.assignment} --student <id> --force", file=sys.stderr)
    return 0 if not missing and not any(outcome.returncodes) else 1


def _add_autograde(sub) -> None:
    p = sub.add_parser("autograde", help="nbgrader autograde with several processes at once and a progress bar",
                       description="Grade every submission of ASSIGNMENT (COURSE/submitted/*/ASSIGNMENT) with "
                                   "N nbgrader processes, each grading its share of the students. Unknown "
                                   "options are passed to nbgrader autograde.")
    p.add_argument("assignment", help="assignment name, e.g. 03_backprop")
    p.add_argument("--course", default=".", help="course directory (default: the current one)")
    p.add_argument("--workers", type=int, default=None, help="processes at once (default: the number of cores)")
    p.set_defaults(func=_autograde, passes_unknown=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlgrade", description="mlgrade: the course's grading tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_similarity(sub)
    _add_autograde(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "passes_unknown", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.nbgrader_args = unknown
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

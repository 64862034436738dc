"""mlgrade — the course's autograder, kept apart from the teaching package ``mlkit``.

The principle: the process that decides a grade never runs student code, and student code never sees a
hidden test.

- :mod:`mlgrade.checks`      ``check_close``: the friendly comparison the visible tests (and the judge) use.
- :mod:`mlgrade.wire`        plain data across the sandbox wall: numbers, arrays, lists, dicts (JSON, no pickle).
- :mod:`mlgrade.spec`        the spec harness: hidden checks as Python functions run by the judge.
- :mod:`mlgrade.sandbox`     a Jupyter kernel inside bubblewrap, with resource limits.
- :mod:`mlgrade.judge`       executes a submission cell by cell in the sandbox and decides every test cell.
- :mod:`mlgrade.nbgrader_plugins`  the judge and two fixes plugged into ``nbgrader autograde``.
- :mod:`mlgrade.similarity`  a report of solutions that are near-copies of the reference or of each other.
"""

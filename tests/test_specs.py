"""Every assignment's hidden checks, run in this process: the reference solution passes each of them for any
student, the untouched release fails each of them, and every check has a matching test cell."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from mlgrade.spec import student_seed
from spec_helpers import ASSIGNMENTS, ROOT, failing, release_namespace, spec_of, verdicts


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("seed", [1, 2026, 2 ** 100 + 7])
def test_reference_solution_passes_every_check(name, seed):
    results = verdicts(name, seed=seed)
    assert not failing(results), {gid: v.message for gid, v in results.items() if not v.passed}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_untouched_release_fails_every_check(name):
    results = verdicts(name, namespace=release_namespace(name))
    assert failing(results) == set(results)
    assert not any(v.internal for v in results.values()), "a stub must fail as a student fault, not a spec error"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_test_cell_has_a_check_and_no_hidden_test_remains(name):
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert graded == set(spec_of(name).tests)
    assert not any("BEGIN HIDDEN TESTS" in c.source for c in nb.cells), "hidden checks belong in specs/"
    assert not any("mlkit.grading" in c.source or "forbid_calls" in c.source for c in nb.cells)


def test_seeds_differ_between_students_and_tests_and_are_stable():
    secret = b"course secret"
    seeds = {student_seed(secret, "03_backprop", s, g) for s in ("ann", "bob") for g in ("test_a", "test_b")}
    assert len(seeds) == 4
    assert student_seed(secret, "03_backprop", "ann", "test_a") == student_seed(secret, "03_backprop", "ann", "test_a")
    assert student_seed(b"other secret", "03_backprop", "ann", "test_a") not in seeds
    # and the inputs they draw differ
    a, b = (np.random.default_rng(student_seed(secret, "03_backprop", s, "test_a")).normal(size=3) for s in ("ann", "bob"))
    assert not np.allclose(a, b)

"""The visible test cells catch the common mistakes that hidden grading punishes, with a message that points at
the bug: each mistaken variant below replaces a function of the reference solution (solutions/NN_topic), and
the test cell that students run themselves must then fail with the message written for that mistake — while
the reference solution passes it. Everything runs in this process (no kernel, no nbgrader)."""

from __future__ import annotations

import contextlib
import io

import nbformat
import pytest

from mlgrade.spec import namespace_from_notebook
from spec_helpers import ROOT

import test_spec_01_perceptron as hidden_01  # noqa: E402 -- the hidden checks' tables of the same mistakes
import test_spec_02_activations_losses as hidden_02  # noqa: E402
import test_spec_03_backprop as hidden_03  # noqa: E402


def _hidden(table, mistake: str) -> tuple[str, str]:
    """(function, source) of a mistake written once, in the hidden checks' table: both checks must reject it."""
    function, source, _ = table.MISTAKES[mistake]
    return function, source


# the visible test's message for a (w, b) that does not separate the data, before what the function did
NOT_SEPARATING = ("novikoff_bound should raise a ValueError for w = [-1, 0], b = 0 (margin -1): (w, b) does not "
                  "separate the data (margin gamma <= 0), so there is no bound; ")

MISTAKES = {
    # what the student got wrong: (assignment, test cell, (function, replacement source), part of the message)
    "predict returns booleans": ("01_perceptron", "test_predict", _hidden(hidden_01, "booleans instead of integers"),
                                 "predict returned booleans (True/False): return an integer array of 0s and 1s"),
    "novikoff_bound returns a negative bound instead of raising": (
        "01_perceptron", "test_novikoff_bound", _hidden(hidden_01, "no ValueError for a non-separating (w, b)"),
        NOT_SEPARATING + "it returned 2.0"),
    "novikoff_bound accepts a margin of exactly 0": (
        "01_perceptron", "test_novikoff_bound", _hidden(hidden_01, "a margin of exactly 0 accepted"),
        "novikoff_bound should raise a ValueError for w = [0, 1], b = 0 (margin 0)"),
    "novikoff_bound raises another exception than ValueError": (
        "01_perceptron", "test_novikoff_bound", _hidden(hidden_01, "another exception than ValueError"),
        NOT_SEPARATING + "it raised AssertionError"),
    "relu_grad = 1 at z = 0": (
        "02_activations_losses", "test_relu", _hidden(hidden_02, "relu_grad = 1 at z = 0"),
        "relu_grad([0]) (at the kink z = 0 the derivative is 0, as in PyTorch: 1 where z > 0, not z >= 0)"),
    "relu_grad with np.heaviside(z, 1)": ("02_activations_losses", "test_relu", ("relu_grad", """
def relu_grad(z):
    return np.heaviside(z, 1.0)
"""), "relu_grad([0]) (at the kink z = 0 the derivative is 0"),
    "mlp_backward: mean over n instead of n*k": (
        "03_backprop", "test_mlp_backward", _hidden(hidden_03, "mean over n instead of n*k"),
        "it looks divided by n only; the mean squared error averages over all n·k entries"),
    "mlp_backward: mean over the samples with np.mean(axis=0)": ("03_backprop", "test_mlp_backward",
                                                                 ("mlp_backward", """
def mlp_backward(X, Y, params, N1, A1, A2):
    S2 = 2.0 * (A2 - Y)
    dW2 = A1.T @ S2 / len(X)
    db2 = np.mean(S2, axis=0)
    S1 = (S2 @ params["W2"].T) * (N1 > 0)
    return {"W1": X.T @ S1 / len(X), "b1": np.mean(S1, axis=0), "W2": dW2, "b2": db2}
"""), "it looks divided by n only; the mean squared error averages over all n·k entries"),
    "numerical_gradient: one-sided difference": (
        "03_backprop", "test_numerical_gradient", _hidden(hidden_03, "one-sided difference"),
        "use the central difference (f(x + eps) - f(x - eps)) / (2 eps), not the one-sided (f(x + eps) - f(x)) / eps"),
}


def _test_cell(name: str, grade_id: str) -> str:
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    sources = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(sources) == 1, f"{name} should have exactly one test cell {grade_id}"
    return sources[0]


def _run_test_cell(name: str, grade_id: str, replace: dict | None = None) -> None:
    """Execute the source notebook's solution cells (with ``replace`` applied), then the test cell ``grade_id``."""
    with contextlib.redirect_stdout(io.StringIO()):
        ns = namespace_from_notebook(ROOT / "solutions" / name / f"{name}.ipynb", replace)
        exec(compile(_test_cell(name, grade_id), f"<{name}: {grade_id}>", "exec"), ns)


@pytest.mark.parametrize("grade_id", sorted({(name, gid) for name, gid, *_ in MISTAKES.values()}),
                         ids=lambda pair: f"{pair[0]}:{pair[1]}")
def test_the_reference_solution_passes_the_visible_test_cell(grade_id):
    name, gid = grade_id
    _run_test_cell(name, gid)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_its_visible_test_cell_with_a_pointed_message(mistake):
    name, gid, (function, source), message = MISTAKES[mistake]
    with pytest.raises(AssertionError) as failure:
        _run_test_cell(name, gid, {function: source})
    assert message in str(failure.value), f"the visible test cell {gid} failed with: {failure.value}"

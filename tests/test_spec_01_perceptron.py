"""Exercise 01's hidden checks catch the common mistakes, each in the test cell that grades it."""

import pytest

from mlgrade.spec import namespace_from_notebook
from spec_helpers import ROOT, failing, verdicts

NAME = "01_perceptron"

MISTAKES = {
    # what the student got wrong: (function or variable, replacement source, the test cells that must fail)
    "hardlim(0) = 0": ("predict", """
def predict(X, w, b):
    return (np.asarray(X) @ w + b > 0).astype(int)
""", {"test_predict"}),
    "labels -1/+1 instead of 0/1": ("predict", """
def predict(X, w, b):
    return np.where(np.asarray(X) @ w + b >= 0, 1, -1)
""", {"test_predict"}),
    "booleans instead of integers": ("predict", """
def predict(X, w, b):
    return np.asarray(X) @ w + b >= 0
""", {"test_predict"}),
    "bias forgotten": ("predict", """
def predict(X, w, b):
    return (np.asarray(X) @ w >= 0).astype(int)
""", {"test_predict"}),
    "written for two features only": ("predict", """
def predict(X, w, b):
    return (X[:, 0] * w[0] + X[:, 1] * w[1] + b >= 0).astype(int)
""", {"test_predict"}),
    "AND with the bias of OR": ("AND_WEIGHTS", """
AND_WEIGHTS = (np.array([1.0, 1.0]), -0.5)
""", {"test_gate_weights"}),
    "w as a (1, 2) row": ("OR_WEIGHTS", """
OR_WEIGHTS = (np.array([[1.0, 1.0]]), -0.5)
""", {"test_gate_weights"}),
    "weights as a list, not a tuple": ("AND_WEIGHTS", """
AND_WEIGHTS = [np.array([1.0, 1.0]), -1.5]
""", {"test_gate_weights"}),
    "w modified in place": ("perceptron_update", """
def perceptron_update(w, b, x, y, lr=1.0):
    a = 1 if x @ w + b >= 0 else 0
    error = int(y) - a
    w += lr * error * x
    return w, float(b + lr * error), error != 0
""", {"test_perceptron_update"}),
    "mistake as an int": ("perceptron_update", """
def perceptron_update(w, b, x, y, lr=1.0):
    a = 1 if x @ w + b >= 0 else 0
    error = int(y) - a
    return w + lr * error * x, float(b + lr * error), abs(error)
""", {"test_perceptron_update"}),
    "tie counted as class 0 in the rule": ("perceptron_update", """
def perceptron_update(w, b, x, y, lr=1.0):
    a = 1 if x @ w + b > 0 else 0
    error = int(y) - a
    return w + lr * error * x, float(b + lr * error), error != 0
""", {"test_perceptron_update", "test_train_perceptron", "test_train_perceptron_xor"}),
    "update with the wrong sign (a - y)": ("perceptron_update", """
def perceptron_update(w, b, x, y, lr=1.0):
    a = 1 if x @ w + b >= 0 else 0
    error = a - int(y)
    return w + lr * error * x, float(b + lr * error), error != 0
""", {"test_perceptron_update", "test_train_perceptron", "test_train_perceptron_xor"}),
    "learning rate ignored for the bias": ("perceptron_update", """
def perceptron_update(w, b, x, y, lr=1.0):
    a = 1 if x @ w + b >= 0 else 0
    error = int(y) - a
    return w + lr * error * x, float(b + error), error != 0
""", {"test_perceptron_update", "test_train_perceptron"}),
    "the epoch without mistakes is not recorded": ("train_perceptron", """
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    n_updates, errors_per_epoch = 0, []
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            w, b, mistake = perceptron_update(w, b, x_i, y_i, lr)
            mistakes += int(mistake)
        if mistakes == 0:
            break
        errors_per_epoch.append(mistakes)
        n_updates += mistakes
    return w, b, n_updates, errors_per_epoch
""", {"test_train_perceptron"}),
    "samples shuffled": ("train_perceptron", """
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    rng = np.random.default_rng(0)
    w, b = np.zeros(X.shape[1]), 0.0
    n_updates, errors_per_epoch = 0, []
    for _ in range(max_epochs):
        mistakes = 0
        for i in rng.permutation(len(X)):
            w, b, mistake = perceptron_update(w, b, X[i], y[i], lr)
            mistakes += int(mistake)
        errors_per_epoch.append(mistakes)
        n_updates += mistakes
        if mistakes == 0:
            break
    return w, b, n_updates, errors_per_epoch
""", {"test_train_perceptron", "test_train_perceptron_xor"}),
    "max_epochs ignored (always 100)": ("train_perceptron", """
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    n_updates, errors_per_epoch = 0, []
    for _ in range(100):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            w, b, mistake = perceptron_update(w, b, x_i, y_i, lr)
            mistakes += int(mistake)
        errors_per_epoch.append(mistakes)
        n_updates += mistakes
        if mistakes == 0:
            break
    return w, b, n_updates, errors_per_epoch
""", {"test_train_perceptron", "test_train_perceptron_xor"}),
    "errors_per_epoch as a tuple": ("train_perceptron", """
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    n_updates, errors_per_epoch = 0, ()
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            w, b, mistake = perceptron_update(w, b, x_i, y_i, lr)
            mistakes += int(mistake)
        errors_per_epoch += (mistakes,)
        n_updates += mistakes
        if mistakes == 0:
            break
    return w, b, n_updates, errors_per_epoch
""", {"test_train_perceptron"}),
    "no augmentation (margin and R in x alone)": ("novikoff_bound", """
def novikoff_bound(X, y, w, b):
    signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
    gamma = np.min(signs * (X @ w + b)) / np.linalg.norm(w)
    if not gamma > 0:
        raise ValueError("(w, b) does not separate the data")
    return float((np.max(np.linalg.norm(X, axis=1)) / gamma) ** 2)
""", {"test_novikoff_bound"}),
    "labels 0/1 used as signs": ("novikoff_bound", """
def novikoff_bound(X, y, w, b):
    X_tilde = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.append(w, b)
    gamma = np.min(np.asarray(y) * (X_tilde @ theta)) / np.linalg.norm(theta)
    if not gamma > 0:
        raise ValueError("(w, b) does not separate the data")
    return float((np.max(np.linalg.norm(X_tilde, axis=1)) / gamma) ** 2)
""", {"test_novikoff_bound"}),
    "R / gamma, not squared": ("novikoff_bound", """
def novikoff_bound(X, y, w, b):
    signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
    X_tilde = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.append(w, b)
    gamma = np.min(signs * (X_tilde @ theta)) / np.linalg.norm(theta)
    if not gamma > 0:
        raise ValueError("(w, b) does not separate the data")
    return float(np.max(np.linalg.norm(X_tilde, axis=1)) / gamma)
""", {"test_novikoff_bound"}),
    "a margin of exactly 0 accepted": ("novikoff_bound", """
def novikoff_bound(X, y, w, b):
    signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
    X_tilde = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.append(w, b)
    gamma = np.min(signs * (X_tilde @ theta)) / np.linalg.norm(theta)
    if gamma < 0:
        raise ValueError("(w, b) does not separate the data")
    with np.errstate(divide="ignore"):
        return float((np.max(np.linalg.norm(X_tilde, axis=1)) / gamma) ** 2)
""", {"test_novikoff_bound"}),
    "no ValueError for a non-separating (w, b)": ("novikoff_bound", """
def novikoff_bound(X, y, w, b):
    signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
    X_tilde = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.append(w, b)
    gamma = np.min(signs * (X_tilde @ theta)) / np.linalg.norm(theta)
    return float((np.max(np.linalg.norm(X_tilde, axis=1)) / gamma) ** 2)
""", {"test_novikoff_bound"}),
    "another exception than ValueError": ("novikoff_bound", """
def novikoff_bound(X, y, w, b):
    signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
    X_tilde = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.append(w, b)
    gamma = np.min(signs * (X_tilde @ theta)) / np.linalg.norm(theta)
    assert gamma > 0, "(w, b) does not separate the data"
    return float((np.max(np.linalg.norm(X_tilde, axis=1)) / gamma) ** 2)
""", {"test_novikoff_bound"}),
}


def _namespace(name: str, source: str) -> dict:
    """The reference solution with ``name`` redefined: a function after the cell that defines it, a variable
    (the gate weights) after every cell."""
    path = ROOT / "solutions" / NAME / f"{NAME}.ipynb"
    if name.isupper():
        ns = namespace_from_notebook(path)
        exec(compile(source, f"<replacement of {name}>", "exec"), ns)
        return ns
    return namespace_from_notebook(path, {name: source})


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_exactly_its_checks(mistake):
    name, source, expected = MISTAKES[mistake]
    results = verdicts(NAME, namespace=_namespace(name, source))
    assert failing(results) == expected, {gid: v.message for gid, v in results.items() if not v.passed}
    assert not any(v.internal for v in results.values()), "a student's mistake must not look like a spec error"

"""Hidden checks of exercise 01 (the perceptron), run by the judge in the grader's process.

Each check repeats its test cell's visible cases, then draws fresh inputs from ``t.rng`` (seeded per
student) and compares the student's results with ``mlkit.perceptron`` (and, for the hard-limit neuron and
Novikoff's bound, with PyTorch), computed here.
"""

import numpy as np
import torch

from mlgrade.checks import as_numbers
from mlgrade.spec import Spec
from mlkit.data import logic_gate, make_separable
from mlkit.perceptron import Perceptron, hardlim, hardlim_neuron
from mlkit.perceptron import novikoff_bound as reference_bound

spec = Spec("01_perceptron", unavailable=["mlkit.perceptron"])

DYADIC_RATES = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0]  # exact in binary: ties on integer inputs stay exact ties


# --------------------------------------------------------------------------------------------------------
# part 1: predict


def _check_predict(t, X, w, b, expected, what):
    got = t.call("predict", X, w, b)
    assert np.asarray(got).dtype.kind != "b", (
        f"predict returned booleans: return an integer array of 0s and 1s ({what})")
    t.check_close(got, expected, what)
    values = set(np.unique(np.asarray(got)).tolist())
    assert values <= {0, 1}, f"predict should return 0s and 1s, got the values {sorted(values)[:6]} ({what})"
    return got


@spec.test("test_predict")
def predict(t):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    # net inputs -1, 0, 0, 1: hardlim(0) = 1
    _check_predict(t, X, np.array([1.0, 1.0]), -1.0, [0, 1, 1, 1], "predict(X, w=[1, 1], b=-1)")
    _check_predict(t, X, np.array([-2.0, 1.0]), 0.5, [1, 1, 0, 0], "predict(X, w=[-2, 1], b=0.5)")
    cases = []
    for n, d in [(37, 4), (1, 3), (200, 1)]:
        cases.append((3.0 * t.rng.normal(size=(n, d)), t.rng.normal(size=d), float(t.rng.normal())))
    cases.append((t.rng.integers(-2, 3, size=(25, 3)).astype(float), np.array([1.0, -1.0, 2.0]), 0.0))  # ties
    cases.append((t.rng.normal(size=(6, 2)), np.zeros(2), 0.0))  # zero weights: every net input is 0
    for X, w, b in cases:
        expected_torch = torch.heaviside(torch.tensor(X) @ torch.tensor(w) + b, torch.tensor(1.0, dtype=torch.float64))
        got = _check_predict(t, X, w, b, hardlim_neuron(X, w, b), f"predict on X of shape {X.shape} (vs mlkit)")
        t.check_close(got, expected_torch.numpy(), f"predict on X of shape {X.shape} (vs torch.heaviside)")


# --------------------------------------------------------------------------------------------------------
# part 2: the gate weights


@spec.test("test_gate_weights")
def gate_weights(t):
    for name in ["AND", "OR"]:
        weights = t.run(f"result = {name}_WEIGHTS")
        assert isinstance(weights, tuple) and len(weights) == 2, f"{name}_WEIGHTS should be a tuple (w, b)"
        w = as_numbers(weights[0], f"the w of {name}_WEIGHTS")
        b = as_numbers(weights[1], f"the b of {name}_WEIGHTS")
        assert w.shape == (2,), f"the w of {name}_WEIGHTS should have shape (2,), got {w.shape}"
        assert b.shape == (), f"the b of {name}_WEIGHTS should be a single number, got shape {b.shape}"
        assert np.all(np.isfinite(w)) and np.isfinite(b), f"{name}_WEIGHTS should be finite numbers"
        X, y = logic_gate(name)
        # the reference neuron, so that only the weights are tested
        t.check_close(hardlim_neuron(X, w, float(b)), y, f"hardlim(X w + b) with {name}_WEIGHTS")
        for i in range(4):  # one row at a time, in reverse order and shuffled: a function of x
            t.check_close(hardlim_neuron(X[i:i + 1], w, float(b)), y[i:i + 1], f"{name} on the single input {X[i]}")
        t.check_close(hardlim_neuron(X[::-1], w, float(b)), y[::-1], f"{name} on the rows in reverse order")
        order = t.rng.permutation(4)
        t.check_close(hardlim_neuron(X[order], w, float(b)), y[order], f"{name} on the rows in the order {order}")


# --------------------------------------------------------------------------------------------------------
# part 3: one step of the rule


def _check_step(t, w, b, x, y, lr, w_exp, b_exp, mistake_exp, case):
    result, w_after = t.run("result = perceptron_update(w, b, x, y, lr)", returns=("result", "w"),
                            w=w, b=b, x=x, y=y, lr=lr)
    t.check_close(w_after, w, f"the w you were given {case} (it must not be modified)")
    assert isinstance(result, tuple) and len(result) == 3, (
        f"perceptron_update should return a tuple (w_new, b_new, mistake), got {type(result).__name__}")
    w_new, b_new, mistake = result
    t.check_close(w_new, w_exp, f"w_new {case}")
    t.check_close(b_new, b_exp, f"b_new {case}")
    assert isinstance(mistake, (bool, np.bool_)), f"mistake should be a bool, got {type(mistake).__name__}"
    assert mistake == mistake_exp, f"mistake should be {mistake_exp} {case}, got {mistake}"


@spec.test("test_perceptron_update")
def perceptron_update(t):
    # the visible cases: from zero weights every net input is 0, so a = hardlim(0) = 1
    _check_step(t, np.zeros(2), 0.0, np.array([1.0, 2.0]), 0, 0.5, [-0.5, -1.0], -0.5, True,
                "for w = 0, b = 0, x = [1, 2], y = 0, lr = 0.5 (a = 1, y - a = -1)")
    _check_step(t, np.zeros(2), 0.0, np.array([1.0, 2.0]), 1, 0.5, [0.0, 0.0], 0.0, False,
                "for w = 0, b = 0, x = [1, 2], y = 1, lr = 0.5 (a = 1 = y: no change)")
    _check_step(t, np.array([1.0, -1.0]), 0.5, np.array([0.0, 2.0]), 1, 1.0, [1.0, 1.0], 1.5, True,
                "for w = [1, -1], b = 0.5, x = [0, 2], y = 1, lr = 1")
    for trial in range(40):
        d = int(t.rng.integers(1, 6))
        w, x = t.rng.normal(size=d), 2.0 * t.rng.normal(size=d)
        b, y, lr = float(t.rng.normal()), int(t.rng.integers(0, 2)), float(t.rng.choice([1.0, 0.5, 0.01, 3.0]))
        a = int(hardlim(x @ w + b))
        _check_step(t, w, b, x, y, lr, w + lr * (y - a) * x, b + lr * (y - a), a != y,
                    f"on random input #{trial} (d = {d}, y = {y}, lr = {lr})")
    # an exact tie with integer inputs: hardlim(0) = 1
    _check_step(t, np.array([1.0, 1.0]), -1.0, np.array([1.0, 0.0]), 1, 2.0, [1.0, 1.0], -1.0, False,
                "on a sample with net input exactly 0 and y = 1")
    _check_step(t, np.array([1.0, 1.0]), -1.0, np.array([0.0, 1.0]), 0, 2.0, [1.0, -1.0], -3.0, True,
                "on a sample with net input exactly 0 and y = 0")


# --------------------------------------------------------------------------------------------------------
# part 4: training


def _counts(errors, kinds=(list, np.ndarray)) -> list:
    """errors_per_epoch as a list of ints, or an AssertionError a student can act on."""
    assert isinstance(errors, kinds), f"errors_per_epoch should be a list of ints, got {type(errors).__name__}"
    if isinstance(errors, np.ndarray):
        assert errors.ndim == 1, f"errors_per_epoch should be a flat list of ints, got shape {errors.shape}"
        errors = errors.tolist()
    assert all(isinstance(e, (int, float, np.integer, np.floating)) and np.isfinite(e) for e in errors), (
        "errors_per_epoch should be a list of ints (one number of mistakes per epoch)")
    return [int(e) for e in errors]


def _unpack(result):
    assert isinstance(result, tuple) and len(result) == 4, (
        "train_perceptron should return a tuple (w, b, n_updates, errors_per_epoch)")
    w, b, n_updates, errors = result
    assert isinstance(n_updates, (int, np.integer)), f"n_updates should be an int, got {type(n_updates).__name__}"
    errors = _counts(errors)
    assert sum(errors) == n_updates, "n_updates should equal the sum of errors_per_epoch"
    return w, b, int(n_updates), errors


def _reference(X, y, lr, max_epochs):
    """The rule with hardlim(0) = 1 (ties matter on the integer inputs of logic gates)."""
    w, b, errors = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        m = 0
        for x_i, y_i in zip(X, y):
            e = int(y_i) - int(hardlim(x_i @ w + b))
            w, b, m = w + lr * e * x_i, b + lr * e, m + (e != 0)
        errors.append(m)
        if m == 0:
            break
    return w, b, sum(errors), errors


def _train(t, X, y, **kwargs):
    return _unpack(t.call("train_perceptron", X, y, **kwargs))


@spec.test("test_train_perceptron")
def train_perceptron(t):
    # OR by hand (lr = 1): epoch 1 updates on (0,0) and (0,1), epoch 2 on (0,0) and (0,1), epoch 3 on (0,0)
    X, y = logic_gate("or")
    w, b, n_updates, errors = _train(t, X, y)
    t.check_close(w, [1.0, 1.0], "w after training on OR")
    t.check_close(b, -1.0, "b after training on OR")
    assert errors == [2, 2, 1, 0], f"errors_per_epoch on OR should be [2, 2, 1, 0], got {errors}"
    assert n_updates == 5, f"n_updates on OR should be 5, got {n_updates}"

    # the four separable gates: in the given order, and with the rows in an order drawn for this student
    for gate in ["and", "or", "nand", "nor"]:
        X, y = logic_gate(gate)
        order = t.rng.permutation(4)
        for X_g, y_g, lr, how in [(X, y, 1.0, ""), (X, y, 0.25, ""),
                                  (X[order], y[order], float(t.rng.choice(DYADIC_RATES)), f", rows {order}")]:
            w_e, b_e, n_e, err_e = _reference(X_g, y_g, lr, 100)
            w, b, n_updates, errors = _train(t, X_g, y_g, lr=lr, max_epochs=100)
            case = f"on {gate.upper()} with lr = {lr}{how}"
            t.check_close(w, w_e, f"w {case}")
            t.check_close(b, b_e, f"b {case}")
            assert errors == err_e, f"errors_per_epoch {case} should be {err_e}, got {errors}"

    # random separable data, compared with mlkit's Perceptron (labels ±1, no shuffling). mlkit counts a net
    # input of exactly 0 as a mistake for both classes, hardlim calls it class 1; from zero weights the
    # first sample has net input 0, so it comes first with label 0 (a mistake in both conventions), after
    # which exact ties have probability zero and the two runs match update for update.
    for n, d, gap, lr, max_epochs in [(60, 2, 0.1, 1.0, 100), (150, 5, 0.05, 1.0, 100), (80, 3, 0.2, 0.3, 100),
                                      (2, 2, 0.1, 1.0, 100), (120, 8, 0.02, 1.0, 4)]:
        X, y_pm, w_true, b_true = make_separable(n, d, margin=gap, rng=t.rng)
        first = int(np.flatnonzero(y_pm < 0)[0])
        order = np.r_[first, np.delete(np.arange(n), first)]
        X, y_pm = X[order], y_pm[order]
        if n == 2:  # a batch of one (a negative sample)
            X, y_pm, n = X[:1], y_pm[:1], 1
        y01 = (y_pm > 0).astype(np.int64)
        ref = Perceptron(lr=lr, max_epochs=max_epochs, shuffle=False, keep_history=False).fit(X, y_pm)
        w, b, n_updates, errors = _train(t, X, y01, lr=lr, max_epochs=max_epochs)
        case = f"(separable data, n = {n}, d = {d}, lr = {lr}, max_epochs = {max_epochs})"
        t.check_close(w, ref.w_, f"w {case} (vs mlkit.perceptron.Perceptron)", rtol=1e-9)
        t.check_close(b, ref.b_, f"b {case} (vs mlkit.perceptron.Perceptron)", rtol=1e-9, atol=1e-9)
        assert n_updates == ref.n_updates_, f"n_updates {case} should be {ref.n_updates_}, got {n_updates}"
        assert errors == list(ref.errors_per_epoch_), (
            f"errors_per_epoch {case} should be {ref.errors_per_epoch_}, got {errors}")
        if ref.converged_:
            bound = reference_bound(X, y_pm, w_true, b_true)
            assert n_updates <= bound, f"{n_updates} updates {case}: more than Novikoff's bound {bound:.0f}"


@spec.test("test_train_perceptron_xor")
def train_perceptron_xor(t):
    X, y = logic_gate("xor")
    result = t.call("train_perceptron", X, y, max_epochs=20)
    assert isinstance(result, tuple) and len(result) == 4, (
        "train_perceptron should return a tuple (w, b, n_updates, errors_per_epoch)")
    errors = _counts(result[3], (list, tuple, np.ndarray))
    assert len(errors) == 20, f"on XOR, training should run all max_epochs = 20 epochs, ran {len(errors)}"
    assert all(e > 0 for e in errors), f"every epoch on XOR has a mistake, got errors_per_epoch {errors}"
    assert isinstance(result[2], (int, float, np.integer, np.floating)) and int(result[2]) == sum(errors), (
        "n_updates should equal the sum of errors_per_epoch")

    drawn = (float(t.rng.choice(DYADIC_RATES)), int(t.rng.integers(2, 40)))
    for lr, max_epochs in [(1.0, 1), (0.5, 7), (2.0, 60), drawn]:
        result = t.call("train_perceptron", X, y, lr=lr, max_epochs=max_epochs)
        assert isinstance(result, tuple) and len(result) == 4, (
            "train_perceptron should return a tuple (w, b, n_updates, errors_per_epoch)")
        w, b, n_updates, errors = result
        errors = _counts(errors, (list, tuple, np.ndarray))
        assert len(errors) == max_epochs, f"with max_epochs = {max_epochs} on XOR, {len(errors)} epochs ran"
        # from zero weights: (0,0) is a mistake, then (0,1) and (1,0) and (1,1): [3, 3, 4, 4, ...]
        expected = _reference(X, y, lr, max_epochs)[3]
        assert errors == expected, f"errors_per_epoch on XOR (lr = {lr}) should be {expected}, got {errors}"
        assert isinstance(n_updates, (int, float, np.integer, np.floating)) and int(n_updates) == sum(expected), (
            f"n_updates on XOR (lr = {lr}, max_epochs = {max_epochs}) should be {sum(expected)}, got {n_updates}")
        w = as_numbers(w, "the w returned on XOR")
        b = as_numbers(b, "the b returned on XOR")
        assert w.shape == (2,) and b.shape == (), "on XOR, w should have shape (2,) and b be a number"
        assert np.all(np.isfinite(w)) and np.isfinite(b), "on XOR, w and b should be finite numbers"
        assert np.any(hardlim_neuron(X, w, float(b)) != y), "no (w, b) can compute XOR"


# --------------------------------------------------------------------------------------------------------
# part 5: Novikoff's bound


def _torch_bound(X, y, w, b):
    s = torch.where(torch.tensor(np.asarray(y)) == 1, 1.0, -1.0).double()
    X_tilde = torch.cat([torch.tensor(X), torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    theta = torch.cat([torch.tensor(np.asarray(w, dtype=float)), torch.tensor([float(b)], dtype=torch.float64)])
    gamma = torch.min(s * (X_tilde @ theta)) / torch.linalg.vector_norm(theta)
    R = torch.max(torch.linalg.vector_norm(X_tilde, dim=1))
    return float((R / gamma) ** 2)


def _raises_value_error(t, X, y, w, b):
    """The message of the ValueError novikoff_bound raises, or None if it returns."""
    code = "try:\n    novikoff_bound(X, y, w, b)\n    result = None\nexcept ValueError as e:\n    result = str(e)"
    return t.run(code, X=X, y=y, w=w, b=b)


@spec.test("test_novikoff_bound")
def novikoff_bound(t):
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    t.check_close(t.call("novikoff_bound", X, np.array([1, 0]), np.array([1.0, 0.0]), 0.0), 2.0,
                  "novikoff_bound for X = [[1, 0], [-1, 0]], y = [1, 0], w = [1, 0], b = 0")
    t.check_close(t.call("novikoff_bound", X, np.array([1, -1]), np.array([1.0, 0.0]), 0.0), 2.0,
                  "the same bound with labels y = [1, -1]")
    t.check_close(t.call("novikoff_bound", X, np.array([1, 0]), np.array([1.0, 0.0]), 0.5), 2.0 * 1.25 / 0.25,
                  "novikoff_bound for w = [1, 0], b = 0.5")

    for n, d, gap in [(50, 2, 0.1), (200, 4, 0.05), (30, 1, 0.3), (120, 10, 0.02), (2, 3, 0.2)]:
        X, y_pm, w, b = make_separable(n, d, margin=gap, rng=t.rng)
        y01 = (y_pm > 0).astype(np.int64)
        for labels, scale, which in [(y_pm, 1.0, "labels ±1"), (y01, 1.0, "labels 0/1"),
                                     (y01, 7.5, "labels 0/1, (w, b) scaled by 7.5")]:
            got = t.call("novikoff_bound", X, labels, scale * w, scale * b)
            case = f"novikoff_bound on separable data (n = {n}, d = {d}, {which})"
            t.check_close(got, reference_bound(X, labels, scale * w, scale * b), f"{case} (vs mlkit)", rtol=1e-9)
            t.check_close(got, _torch_bound(X, labels, scale * w, scale * b), f"{case} (vs torch)", rtol=1e-9)
        # the theorem: any order of the samples, any learning rate
        for shuffle, lr in [(False, 1.0), (True, 0.1), (True, 3.0)]:
            p = Perceptron(lr=lr, max_epochs=1000, shuffle=shuffle, rng=t.rng, keep_history=False).fit(X, y_pm)
            assert p.converged_ and p.n_updates_ <= float(got), (
                f"the perceptron made {p.n_updates_} updates, more than your bound {float(got)}")

    X, y_pm, w, b = make_separable(40, 3, margin=0.1, rng=t.rng)
    # (0, 0) lies on the line x1 = 0: hardlim calls it class 1, but its margin is exactly 0
    point_on_the_line = (np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, 1.0]]), np.array([1, 1, 0]), np.array([1.0, 0.0]),
                         0.0)
    for (X_bad, y_bad, w_bad, b_bad), what in [
            ((X, y_pm, -w, -b), "a separator with every label flipped"),
            ((X, y_pm, np.zeros(3), 5.0), "a bias alone, which puts every point on the positive side"),
            (point_on_the_line, "a separator with a point exactly on it (margin 0)")]:
        message = _raises_value_error(t, X_bad, y_bad, w_bad, b_bad)
        assert message is not None, f"novikoff_bound should raise ValueError for {what} (margin <= 0)"

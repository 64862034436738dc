"""Tests for mlkit.perceptron: the rule, logic gates, Novikoff's bound, labels and input checks."""

import numpy as np
import pytest

from mlkit.perceptron import (GATE_WEIGHTS, Perceptron, augment, hardlim, hardlim_neuron, margin,
                              novikoff_bound, xor_network)

pytestmark = pytest.mark.lecture01  # the XOR tests also lecture03: ALSO in conftest.py

X_GATE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
TRUTH = {
    "and": np.array([0, 0, 0, 1]),
    "or": np.array([0, 1, 1, 1]),
    "nand": np.array([1, 1, 1, 0]),
    "nor": np.array([1, 0, 0, 0]),
    "xor": np.array([0, 1, 1, 0]),
}


def separable_data(n, d, gamma, rng):
    """n points in [−1, 1]^d labelled ±1 by a random unit θ* = [w*, b*] with margin ≥ gamma in x̃ = [x, 1].

    Points closer than gamma to the hyperplane θ*·x̃ = 0 are rejected. Both classes are present.
    Returns X, y, w*, b*.
    """
    while True:
        w = rng.normal(size=d)
        theta = np.append(w, rng.uniform(-0.3, 0.3) * np.linalg.norm(w))
        theta /= np.linalg.norm(theta)
        X = rng.uniform(-1.0, 1.0, size=(20 * n, d))
        s = augment(X) @ theta
        keep = np.abs(s) >= gamma
        X, s = X[keep][:n], s[keep][:n]
        y = np.where(s > 0, 1, -1)
        if len(y) == n and 0 < np.sum(y == 1) < n:
            return X, y, theta[:d], theta[d]


def reference_perceptron(X, y_pm, lr, max_epochs, orders):
    """A deliberately plain re-statement of the rule: lists and scalars, no shared code."""
    n, d = len(X), len(X[0])
    w, b = [0.0] * d, 0.0
    history, errors = [(list(w), b)], []
    for epoch in range(max_epochs):
        mistakes = 0
        for i in orders(epoch):
            s = sum(w[j] * X[i][j] for j in range(d)) + b
            if y_pm[i] * s <= 0:
                w = [w[j] + lr * y_pm[i] * X[i][j] for j in range(d)]
                b = b + lr * y_pm[i]
                mistakes += 1
                history.append((list(w), b))
        errors.append(mistakes)
        if mistakes == 0:
            break
    return np.array(w), b, errors, history


# ------------------------------------------------------------------------------------------------ the rule
def test_and_by_hand_in_order():
    # Worked by hand from θ = 0 with order (0,0), (0,1), (1,0), (1,1) and lr = 1:
    # epoch 1 updates on (0,0) and (1,1) → θ = [1, 1, 0]; … ; epoch 9 has no mistake.
    p = Perceptron(shuffle=False).fit(X_GATE, TRUTH["and"])
    assert p.errors_per_epoch_ == [2, 3, 3, 2, 2, 3, 2, 1, 0]
    assert p.n_updates_ == 18
    np.testing.assert_array_equal(p.w_, [3.0, 2.0])
    assert p.b_ == -4.0
    assert p.converged_ and p.n_epochs_ == 9
    np.testing.assert_array_equal(p.history_[1][0], [0.0, 0.0])
    assert p.history_[1][1] == -1.0                      # first sample, score 0 → always an update
    np.testing.assert_array_equal(p.history_[2][0], [1.0, 1.0])
    assert p.history_[2][1] == 0.0


@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_learns_linearly_separable_gates(gate, shuffle):
    p = Perceptron(shuffle=shuffle, rng=0).fit(X_GATE, TRUTH[gate])
    assert p.converged_
    assert p.errors_per_epoch_[-1] == 0 and all(e > 0 for e in p.errors_per_epoch_[:-1])
    np.testing.assert_array_equal(p.predict(X_GATE), TRUTH[gate])
    assert p.score(X_GATE, TRUTH[gate]) == 1.0
    assert np.all((2 * TRUTH[gate] - 1) * p.decision_function(X_GATE) > 0)   # strictly on the right side


@pytest.mark.parametrize("shuffle", [False, True])
def test_never_converges_on_xor(shuffle):
    p = Perceptron(max_epochs=60, shuffle=shuffle, rng=1).fit(X_GATE, TRUTH["xor"])
    assert not p.converged_
    assert p.n_epochs_ == 60 and len(p.errors_per_epoch_) == 60
    assert all(e > 0 for e in p.errors_per_epoch_)
    assert p.n_updates_ == sum(p.errors_per_epoch_)
    assert p.score(X_GATE, TRUTH["xor"]) <= 0.75      # no line gets all four points


def test_matches_reference_loop_in_order_and_shuffled():
    rng = np.random.default_rng(11)
    for trial in range(10):
        X, y, _, _ = separable_data(30, 3, 0.05, rng)
        lr = [1.0, 0.3, 2.5][trial % 3]
        for shuffle in (False, True):
            seed = 100 + trial
            p = Perceptron(lr=lr, max_epochs=500, shuffle=shuffle, rng=seed).fit(X, y)
            if shuffle:
                gen = np.random.default_rng(seed)            # one fresh permutation per epoch
                orders = lambda epoch: gen.permutation(len(X))  # noqa: E731
            else:
                orders = lambda epoch: range(len(X))  # noqa: E731
            w, b, errors, history = reference_perceptron(X.tolist(), y.tolist(), lr, 500, orders)
            np.testing.assert_allclose(p.w_, w, rtol=1e-12, atol=1e-12)
            assert p.b_ == pytest.approx(b, abs=1e-12)
            assert p.errors_per_epoch_ == errors
            assert len(p.history_) == len(history) == p.n_updates_ + 1
            for (pw, pb), (rw, rb) in zip(p.history_, history):
                np.testing.assert_allclose(pw, rw, atol=1e-12)
                assert pb == pytest.approx(rb, abs=1e-12)


def test_matches_sklearn_perceptron_in_order():
    sk = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(5)
    for _ in range(5):
        X, y, _, _ = separable_data(40, 4, 0.1, rng)
        p = Perceptron(shuffle=False, max_epochs=1000).fit(X, y)
        assert p.converged_
        ref = sk.Perceptron(shuffle=False, max_iter=p.n_epochs_, tol=None, eta0=1.0).fit(X, y)
        np.testing.assert_allclose(p.w_, ref.coef_[0], rtol=1e-10, atol=1e-12)
        assert p.b_ == pytest.approx(ref.intercept_[0], abs=1e-10)


# ------------------------------------------------------------------------------------------------ Novikoff
@pytest.mark.parametrize("gamma", [0.03, 0.1, 0.25])
def test_updates_never_exceed_novikoff_bound(gamma):
    rng = np.random.default_rng(int(gamma * 1000))
    ratios = []
    for seed in range(60):
        d = 2 + seed % 4
        X, y, w_star, b_star = separable_data(40, d, gamma, rng)
        bound = novikoff_bound(X, y, w_star, b_star)
        assert margin(X, y, w_star, b_star) >= gamma - 1e-12
        for shuffle, lr in ((False, 1.0), (True, 1.0), (True, 0.01), (False, 7.5)):
            # each epoch before convergence makes ≥ 1 update, so bound + 1 epochs always suffice
            p = Perceptron(lr=lr, max_epochs=int(bound) + 2, shuffle=shuffle, rng=seed).fit(X, y)
            assert p.n_updates_ <= bound, (seed, shuffle, lr, p.n_updates_, bound)
            assert p.converged_
            np.testing.assert_array_equal(p.predict(X), y)
            assert margin(X, y, p.w_, p.b_) > 0
            ratios.append(p.n_updates_ / bound)
    assert max(ratios) < 1.0 and min(ratios) > 0.0


def test_learning_rate_only_rescales_the_weights():
    rng = np.random.default_rng(2)
    X, y, _, _ = separable_data(50, 3, 0.05, rng)
    a = Perceptron(lr=1.0, max_epochs=1000, rng=7).fit(X, y)
    b = Perceptron(lr=0.25, max_epochs=1000, rng=7).fit(X, y)    # a power of two: exact rescaling
    assert a.n_updates_ == b.n_updates_ and a.errors_per_epoch_ == b.errors_per_epoch_
    np.testing.assert_array_equal(b.w_, 0.25 * a.w_)
    assert b.b_ == 0.25 * a.b_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_margin_and_bound_known_values():
    w, b = GATE_WEIGHTS["and"]
    # y·s = 1.5, 0.5, 0.5, 0.5 → γ = 0.5 / ‖[1, 1, −1.5]‖ = 0.5 / √4.25;  R = ‖[1, 1, 1]‖ = √3
    assert margin(X_GATE, TRUTH["and"], w, b) == pytest.approx(0.5 / np.sqrt(4.25), rel=1e-14)
    assert novikoff_bound(X_GATE, TRUTH["and"], w, b) == pytest.approx(3 * 17, rel=1e-12)
    assert margin(X_GATE, TRUTH["and"], 4 * w, 4 * b) == pytest.approx(0.5 / np.sqrt(4.25), rel=1e-14)
    # same numbers with ±1 labels; the flipped separator has negative margin
    assert margin(X_GATE, 2 * TRUTH["and"] - 1, w, b) == pytest.approx(0.5 / np.sqrt(4.25), rel=1e-14)
    assert margin(X_GATE, TRUTH["and"], -w, -b) == pytest.approx(-1.5 / np.sqrt(4.25), rel=1e-14)
    p = Perceptron(shuffle=False).fit(X_GATE, TRUTH["and"])
    assert p.n_updates_ == 18 <= novikoff_bound(X_GATE, TRUTH["and"], w, b)


def test_bound_refuses_a_non_separating_line():
    with pytest.raises(ValueError, match="does not separate"):
        novikoff_bound(X_GATE, TRUTH["xor"], np.array([1.0, 1.0]), -0.5)
    with pytest.raises(ValueError, match="does not separate"):
        novikoff_bound(X_GATE, TRUTH["and"], np.array([1.0, 1.0]), -1.0)   # (1,0) lies on the line: γ = 0
    with pytest.raises(ValueError, match="zero vector"):
        margin(X_GATE, TRUTH["and"], np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        margin(X_GATE, TRUTH["and"], np.ones(3), 0.0)


# -------------------------------------------------------------------------------------------------- labels
def test_zero_one_and_signed_labels_give_the_same_separator():
    rng = np.random.default_rng(4)
    X, y_pm, _, _ = separable_data(40, 2, 0.05, rng)
    y01 = (y_pm + 1) // 2
    a = Perceptron(rng=3).fit(X, y01)
    b = Perceptron(rng=3).fit(X, y_pm)
    np.testing.assert_array_equal(a.w_, b.w_)
    assert a.b_ == b.b_ and a.n_updates_ == b.n_updates_
    assert a.classes_ == (0, 1) and b.classes_ == (-1, 1)
    X_new = rng.uniform(-1, 1, size=(200, 2))
    pa, pb = a.predict(X_new), b.predict(X_new)
    assert set(np.unique(pa)) <= {0, 1} and set(np.unique(pb)) <= {-1, 1}
    np.testing.assert_array_equal(2 * pa - 1, pb)
    assert a.score(X, y01) == 1.0 and b.score(X, y_pm) == 1.0
    c = Perceptron(rng=3).fit(X, y01.astype(bool))          # booleans are {0, 1}
    np.testing.assert_array_equal(c.w_, a.w_)


def test_single_class_still_works():
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]])
    ones = Perceptron(rng=0).fit(X, [1, 1, 1])
    assert ones.converged_ and ones.classes_ == (0, 1)
    np.testing.assert_array_equal(ones.predict(X), [1, 1, 1])
    negatives = Perceptron(rng=0).fit(X, [-1, -1, -1])
    assert negatives.converged_ and negatives.classes_ == (-1, 1)
    np.testing.assert_array_equal(negatives.predict(X), [-1, -1, -1])
    zeros = Perceptron(rng=0).fit(X, np.zeros(3))
    np.testing.assert_array_equal(zeros.predict(X), [0, 0, 0])


def test_history_is_copied_and_starts_at_zero():
    p = Perceptron(rng=0).fit(X_GATE, TRUTH["or"])
    assert len(p.history_) == p.n_updates_ + 1
    np.testing.assert_array_equal(p.history_[0][0], [0.0, 0.0])
    assert p.history_[0][1] == 0.0
    np.testing.assert_array_equal(p.history_[-1][0], p.w_)
    assert p.history_[-1][1] == p.b_
    assert len({id(w) for w, _ in p.history_}) == len(p.history_)
    # consecutive states differ by lr·y·[x, 1]: |Δb| = lr and Δw / Δb is a training point
    for (w0, b0), (w1, b1) in zip(p.history_, p.history_[1:]):
        assert abs(b1 - b0) == 1.0
        assert any(np.array_equal((w1 - w0) / (b1 - b0), x) for x in X_GATE)
    q = Perceptron(rng=0, keep_history=False).fit(X_GATE, TRUTH["or"])
    assert q.history_ == [] and q.n_updates_ == p.n_updates_


def test_same_seed_same_run_and_float32_kept():
    rng = np.random.default_rng(8)
    X, y, _, _ = separable_data(30, 2, 0.05, rng)
    a = Perceptron(rng=5).fit(X, y)
    b = Perceptron(rng=5).fit(X, y)
    assert a.errors_per_epoch_ == b.errors_per_epoch_
    np.testing.assert_array_equal(a.w_, b.w_)
    p32 = Perceptron(rng=5).fit(X.astype(np.float32), y)
    assert p32.w_.dtype == np.float32
    assert p32.decision_function(X.astype(np.float32)).dtype == np.float32


# ------------------------------------------------------------------------------------ hand-set neurons
@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
def test_hand_set_gate_neurons(gate):
    w, b = GATE_WEIGHTS[gate]
    np.testing.assert_array_equal(hardlim_neuron(X_GATE, w, b), TRUTH[gate])


def test_hardlim_and_xor_network():
    np.testing.assert_array_equal(hardlim(np.array([-2.0, -1e-12, 0.0, 3.0])), [0, 0, 1, 1])
    np.testing.assert_array_equal(xor_network(X_GATE), TRUTH["xor"])
    layer = hardlim_neuron(X_GATE, np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([-0.5, -0.5]))
    np.testing.assert_array_equal(layer, [[0, 0], [0, 1], [1, 0], [0, 0]])
    with pytest.raises(ValueError, match="b must have shape"):
        hardlim_neuron(X_GATE, np.ones((2, 2)), np.ones(3))


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("X, y, match", [
    (np.array([0.0, 1.0, 2.0]), np.array([0, 1, 1]), r"\(n_samples, n_features\)"),
    (np.array([[0.0, np.nan], [1.0, 1.0]]), np.array([0, 1]), "NaN"),
    (np.array([[0.0, np.inf], [1.0, 1.0]]), np.array([0, 1]), "NaN or infinite"),
    (X_GATE, np.array([0, 1, 1]), r"shape \(4,\)"),
    (X_GATE, np.array([[0], [1], [1], [0]]), r"shape \(4,\)"),
    (X_GATE, np.array([0, 1, 2, 1]), r"\{0, 1\} or in \{-1, \+1\}"),
    (X_GATE, np.array([-1, 0, 1, 1]), r"\{0, 1\} or in \{-1, \+1\}"),
    (X_GATE, np.array([0.0, 0.5, 1.0, 1.0]), r"\{0, 1\} or in \{-1, \+1\}"),
    (X_GATE, np.array([0.0, np.nan, 1.0, 1.0]), "NaN"),
    (X_GATE, np.array(["a", "b", "a", "b"]), "numeric labels"),
    (np.zeros((0, 2)), np.zeros(0), "≥ 1"),
])
def test_bad_input_raises(X, y, match):
    with pytest.raises(ValueError, match=match):
        Perceptron().fit(X, y)


def test_bad_settings_and_predict_input():
    for kwargs in ({"lr": 0.0}, {"lr": -1.0}, {"lr": float("nan")}, {"lr": "1"}, {"max_epochs": 0},
                   {"max_epochs": 2.5}, {"shuffle": "no"}, {"keep_history": None}):
        name = next(iter(kwargs))
        with pytest.raises(ValueError, match=f"^{name} must be .*, got"):
            Perceptron(**kwargs)
    with pytest.raises(RuntimeError, match="fit"):
        Perceptron().predict(X_GATE)
    p = Perceptron(rng=0).fit(X_GATE, TRUTH["and"])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        p.predict(np.ones((3, 3)))
    with pytest.raises(ValueError, match="as in training"):
        p.score(X_GATE, 2 * TRUTH["and"] - 1)       # ±1 labels for a {0, 1} model
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        p.score(X_GATE, TRUTH["and"][:3])

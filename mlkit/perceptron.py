"""Rosenblatt's perceptron, its geometric margin and Novikoff's bound (lecture 01).

The bias trick. Append a constant 1 to every input and the bias to the weights,

    x̃ = [x, 1],      θ = [w, b],      so that      θ · x̃ = w · x + b,

and an affine separator in x becomes a linear one (through the origin) in x̃.

The rule (online: one sample at a time, weights start at 0). With labels yᵢ ∈ {−1, +1}, sample i is a
*mistake* when it is not strictly on its own side of the hyperplane,

    yᵢ (w · xᵢ + b) ≤ 0          (a point on the hyperplane counts as a mistake for either class),

and only a mistake changes the weights:

    if y_i * (theta @ x_tilde_i) <= 0:
        theta = theta + lr * y_i * x_tilde_i

From θ = 0 every score is 0, so the first sample seen is always an update.

Novikoff (1962). Suppose a unit vector u = [w*, b*] (‖u‖ = 1) separates the data with margin γ > 0,
yᵢ (u · x̃ᵢ) ≥ γ for all i, and R = maxᵢ ‖x̃ᵢ‖. Then, starting from θ = 0, the perceptron makes at most

    (R / γ)²

updates, for any learning rate lr > 0 and in any order of presentation (with or without shuffling).
Proof sketch: each update raises u · θ by at least lr·γ, and raises ‖θ‖² by at most lr²·R² (a mistake
means yᵢ θ · x̃ᵢ ≤ 0). After k updates, k·lr·γ ≤ u · θ ≤ ‖θ‖ ≤ √k·lr·R, hence k ≤ (R/γ)². The learning
rate cancels: from zero weights it only rescales θ and never changes a prediction.

Hand-set hard-limit neurons (lecture 01) are here too: ``hardlim_neuron(X, w, b) = hardlim(X w + b)``
with ``hardlim(n) = 1 if n ≥ 0 else 0``, the gate weights of ``GATE_WEIGHTS`` and the two-layer
``xor_network``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_bool, as_float_array, as_int_at_least, as_positive, as_rng, check_finite, check_ndim

#: Hand-set (w, b) that make ``hardlim_neuron`` compute the logic gates on inputs in {0, 1}².
GATE_WEIGHTS = {
    "and": (np.array([1.0, 1.0]), -1.5),
    "or": (np.array([1.0, 1.0]), -0.5),
    "nand": (np.array([-1.0, -1.0]), 1.5),
    "nor": (np.array([-1.0, -1.0]), 0.5),
}


def _check_X(X, name: str = "X") -> np.ndarray:
    """A finite float matrix (n_samples, n_features) with n ≥ 1; float32 stays float32."""
    X = as_float_array(X, name)
    check_ndim(X, 2, name, "(n_samples, n_features)")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n_samples, n_features) with both ≥ 1, got {X.shape}")
    check_finite(X, name)
    return X


def _signed_labels(y, n: int, name: str = "y"):
    """Labels as ±1 floats plus the label set they came from, ``(negative, positive)``.

    ``{0, 1}`` maps 0 → −1 and 1 → +1; ``{−1, +1}`` is kept. A ``y`` holding only 1s fits both sets and is
    read as ``{0, 1}``. Anything else (2, 0.5, −1 mixed with 0, NaN) raises ``ValueError``.
    """
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match X, got shape {arr.shape}")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ValueError(f"{name} must hold numeric labels in {{0, 1}} or {{-1, +1}}, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    values = set(np.unique(arr).tolist())
    if values <= {0.0, 1.0}:
        classes = (0, 1)
    elif values <= {-1.0, 1.0}:
        classes = (-1, 1)
    else:
        found = sorted(v for v in values if v == v)[:6]
        raise ValueError(f"{name} must hold labels in {{0, 1}} or in {{-1, +1}}, got values {found}"
                         + (" and NaN" if any(v != v for v in values) else ""))
    return np.where(arr == 1.0, 1.0, -1.0), classes


def augment(X) -> np.ndarray:
    """x̃ = [x, 1]: the inputs with a column of ones appended, shape (n, d + 1) (the bias trick)."""
    X = _check_X(X)
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def _w_and_b(theta: np.ndarray):
    """θ = [w, b] → (w, b): a copy of the weights and the bias as a float."""
    return theta[:-1].copy(), float(theta[-1])


class Perceptron:
    """Rosenblatt's perceptron trained online by the perceptron rule.

    Parameters
    ----------
    lr : float > 0
        Learning rate η. From zero weights it only rescales θ, so (up to rounding) it changes neither the
        predictions nor the number of updates (see Novikoff's theorem in the module docstring).
    max_epochs : int ≥ 1
        Passes over the data. Training stops earlier after the first epoch without a mistake.
    shuffle : bool
        Visit the samples in a fresh random order every epoch (``rng.permutation(n)``), else in the given
        order.
    rng : None, int or np.random.Generator
        Source of the shuffling. An int seed makes every ``fit`` repeat the same orders.
    keep_history : bool
        Record ``history_`` (one copy of (w, b) per update). Turn off for many updates in high dimension.

    The rule, with labels y ∈ {−1, +1} and x̃ = [x, 1]::

        for epoch in range(max_epochs):
            for i in order:                                # shuffled or not
                if y[i] * (theta @ x_tilde[i]) <= 0:         # a mistake (a score of 0 counts as one)
                    theta = theta + lr * y[i] * x_tilde[i]

    In the lecture's notation with labels y ∈ {0, 1}, the output a = hardlim(θ · [1 x]) and

        θ ← θ + η [1 x]ᵀ (y − a).

    This is the same rule: y − a is 0 when the prediction is right and ±1 when it is wrong, namely +1 for a
    missed positive (y = 1) and −1 for a missed negative (y = 0), which is exactly the ±1 label above; the
    lecture puts the constant 1 first, we put it last. The single difference is the tie θ · x̃ = 0: hardlim
    calls it class 1 (so a positive sitting on the hyperplane is "right"), while the rule here counts any
    point on the hyperplane as a mistake. Novikoff's bound holds either way; counting ties guarantees that a
    converged perceptron has every training point strictly on its own side (a positive margin).

    Labels may be {0, 1} or {−1, +1}; ``predict`` answers in the same set (kept in ``classes_`` as
    (negative, positive)). Prediction uses hardlim: the positive class when w · x + b ≥ 0.

    Attributes after ``fit``
    ------------------------
    w_ : (d,) weights;  b_ : float bias
    n_updates_ : total number of mistakes (= updates) over all epochs
    errors_per_epoch_ : list, mistakes made during each epoch
    converged_ : True if an epoch without mistakes happened (the data are then separated)
    history_ : list of (w, b) copies: the zero state, then the state after each update
               (so ``len(history_) == n_updates_ + 1``), for plots and animations
    classes_ : (negative, positive) labels, (0, 1) or (−1, 1)
    n_epochs_ : number of epochs run
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 100, shuffle: bool = True, rng=None, *,
                 keep_history: bool = True):
        self.lr = as_positive(lr, "lr")
        self.max_epochs = as_int_at_least(max_epochs, "max_epochs", 1)
        self.shuffle = as_bool(shuffle, "shuffle")
        self.rng = rng
        self.keep_history = as_bool(keep_history, "keep_history")

    def fit(self, X, y) -> "Perceptron":
        """Run the perceptron rule from θ = 0 until an epoch has no mistake or ``max_epochs`` is reached."""
        X_tilde = augment(X)
        n = X_tilde.shape[0]
        y_pm, self.classes_ = _signed_labels(y, n)
        y_pm = y_pm.astype(X_tilde.dtype)
        lr = X_tilde.dtype.type(self.lr)  # float32 data train in float32
        rng = as_rng(self.rng) if self.shuffle else None

        theta = np.zeros(X_tilde.shape[1], dtype=X_tilde.dtype)
        self.history_ = [_w_and_b(theta)] if self.keep_history else []
        self.errors_per_epoch_ = []
        self.n_updates_ = 0
        self.converged_ = False
        for _ in range(self.max_epochs):
            order = rng.permutation(n) if self.shuffle else range(n)
            mistakes = 0
            for i in order:
                if y_pm[i] * (theta @ X_tilde[i]) <= 0:
                    theta += lr * y_pm[i] * X_tilde[i]
                    mistakes += 1
                    if self.keep_history:
                        self.history_.append(_w_and_b(theta))
            self.errors_per_epoch_.append(mistakes)
            self.n_updates_ += mistakes
            if mistakes == 0:
                self.converged_ = True
                break
        self.n_epochs_ = len(self.errors_per_epoch_)
        self.w_, self.b_ = _w_and_b(theta)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "w_"):
            raise RuntimeError("this Perceptron is not fitted yet: call fit(X, y) first")

    def decision_function(self, X) -> np.ndarray:
        """Scores s = X w + b, shape (n,); the sign tells the side of the hyperplane."""
        self._check_fitted()
        X = _check_X(X)
        if X.shape[1] != self.w_.shape[0]:
            raise ValueError(f"X must have shape (n, {self.w_.shape[0]}) like the training data, "
                             f"got {X.shape}")
        return X @ self.w_ + X.dtype.type(self.b_)

    def predict(self, X) -> np.ndarray:
        """hardlim of the score, in the training label set: positive where X w + b ≥ 0, else negative."""
        self._check_fitted()
        neg, pos = self.classes_
        return np.where(self.decision_function(X) >= 0, pos, neg)

    def score(self, X, y) -> float:
        """Accuracy: the fraction of samples whose predicted label equals y (labels in the training set)."""
        X = _check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got shape {y.shape}")
        self._check_fitted()
        bad = ~np.isin(y, self.classes_)
        if np.any(bad):
            raise ValueError(f"y must hold labels in {set(self.classes_)} as in training, "
                             f"got values such as {np.unique(y[bad])[:5].tolist()}")
        return float(np.mean(self.predict(X) == y))

    def __repr__(self) -> str:
        return (f"Perceptron(lr={self.lr}, max_epochs={self.max_epochs}, shuffle={self.shuffle}, "
                f"rng={self.rng!r})")


def _augmented_problem(X, y, w, b):
    """The checked inputs in the augmented space, in float64: rows x̃ᵢ, labels yᵢ ∈ {−1, +1}, θ = [w, b]."""
    X_tilde = augment(X).astype(np.float64, copy=False)
    y_pm, _ = _signed_labels(y, X_tilde.shape[0])
    w = as_float_array(w, "w")
    if w.shape != (X_tilde.shape[1] - 1,):
        raise ValueError(f"w must have shape ({X_tilde.shape[1] - 1},) to match X, got shape {w.shape}")
    b = np.asarray(b, dtype=np.float64)
    if b.size != 1:
        raise ValueError(f"b must be a scalar, got shape {b.shape}")
    theta = np.append(w.astype(np.float64), float(b.reshape(())))
    check_finite(theta, "[w, b]")
    if not np.any(theta):
        raise ValueError("[w, b] is the zero vector: it defines no hyperplane")
    return X_tilde, y_pm, theta


def margin(X, y, w, b) -> float:
    """Geometric margin of the separator (w, b) in the augmented space x̃ = [x, 1]:

        γ = minᵢ yᵢ (w · xᵢ + b) / ‖[w, b]‖        (labels {0, 1} read as −1, +1)

    γ > 0 means every point lies strictly on its own side; γ ≤ 0 means (w, b) does not separate the data.
    This is the distance to the hyperplane θ · x̃ = 0 through the origin of the (d + 1)-space, the one that
    enters Novikoff's bound; it is never larger than the margin measured in x alone (divided by ‖w‖).
    """
    X_tilde, y_pm, theta = _augmented_problem(X, y, w, b)
    return float(np.min(y_pm * (X_tilde @ theta)) / np.linalg.norm(theta))


def novikoff_bound(X, y, w, b) -> float:
    """Novikoff's bound (R / γ)² on the number of perceptron updates, certified by the separator (w, b).

    R = maxᵢ ‖x̃ᵢ‖ with x̃ = [x, 1], and γ = ``margin(X, y, w, b)``. Theorem: if γ > 0, the perceptron
    started from zero weights makes at most (R/γ)² updates, whatever the learning rate lr > 0 and whatever
    the order in which the samples are visited. Any separator gives a valid bound; the one with the largest
    margin gives the tightest. Raises ``ValueError`` if (w, b) does not separate the data (γ ≤ 0).
    """
    gamma = margin(X, y, w, b)
    if not gamma > 0:
        raise ValueError(f"(w, b) does not separate the data: its margin is γ = {gamma:.4g} ≤ 0 (some point "
                         "lies on the hyperplane or on the wrong side), so it certifies no bound")
    R = float(np.max(np.linalg.norm(augment(X).astype(np.float64, copy=False), axis=1)))
    return (R / gamma) ** 2


def hardlim(n) -> np.ndarray:
    """hardlim(n) = 1 if n ≥ 0 else 0 (the lecture's HardLimit; ``mlkit.activations.Step`` as a Module)."""
    return (np.asarray(n) >= 0).astype(np.int64)


def hardlim_neuron(X, w, b) -> np.ndarray:
    """A hand-set layer of hard-limit neurons: a = hardlim(X W + b).

    ``w`` of shape (d,) with scalar ``b`` gives one neuron, output (n,); ``w`` of shape (d, m) with ``b`` of
    shape (m,) gives m neurons, output (n, m). For example ``hardlim_neuron(X, [1, 1], -1.5)`` is AND on
    {0, 1}² (see ``GATE_WEIGHTS``).
    """
    X = _check_X(X)
    W = as_float_array(w, "w")
    b = as_float_array(b, "b")
    if W.ndim not in (1, 2) or W.shape[0] != X.shape[1]:
        raise ValueError(f"w must have shape ({X.shape[1]},) or ({X.shape[1]}, m) to match X, got {W.shape}")
    expected_b = () if W.ndim == 1 else (W.shape[1],)
    if b.shape not in (expected_b, ()):
        raise ValueError(f"b must have shape {expected_b} for w of shape {W.shape}, got {b.shape}")
    return hardlim(X @ W + b)


def xor_network(X) -> np.ndarray:
    """XOR with two layers of hand-set hard-limit neurons (lecture 01/03):

        a¹ = hardlim(x W¹ + b¹),  W¹ = [[1, −1], [−1, 1]],  b¹ = [−0.5, −0.5]   (x₁ AND NOT x₂, x₂ AND NOT x₁)
        a² = hardlim(a¹ · w² + b²), w² = [1, 1],            b² = −0.5           (OR of the two)
    """
    hidden = hardlim_neuron(X, np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([-0.5, -0.5]))
    return hardlim_neuron(hidden, np.array([1.0, 1.0]), -0.5)


__all__ = ["Perceptron", "margin", "novikoff_bound", "augment", "hardlim", "hardlim_neuron", "xor_network",
           "GATE_WEIGHTS"]

"""Exercise 03's hidden checks catch the common mistakes, each in the test cell that grades it."""

import pytest

from spec_helpers import failing, verdicts

MISTAKES = {
    # what the student got wrong: (function, replacement source, the test cells that must fail)
    "mean over n instead of n*k": ("mlp_backward", """
def mlp_backward(X, Y, params, N1, A1, A2):
    S2 = 2.0 * (A2 - Y) / A2.shape[0]
    dA1, dW2, db2 = linear_backward(A1, params["W2"], S2)
    S1 = dA1 * (N1 > 0)
    _, dW1, db1 = linear_backward(X, params["W1"], S1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
""", {"test_mlp_backward"}),
    "ReLU'(0) = 1": ("mlp_backward", """
def mlp_backward(X, Y, params, N1, A1, A2):
    S2 = 2.0 * (A2 - Y) / A2.size
    dA1, dW2, db2 = linear_backward(A1, params["W2"], S2)
    S1 = dA1 * (N1 >= 0)
    _, dW1, db1 = linear_backward(X, params["W1"], S1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
""", {"test_mlp_backward"}),
    "db as a (1, m) row": ("linear_backward", """
def linear_backward(X, W, G):
    return G @ W.T, X.T @ G, G.sum(axis=0, keepdims=True)
""", {"test_linear_backward", "test_mlp_backward"}),
    "one-sided difference": ("numerical_gradient", """
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    base = float(f())
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (float(f()) - base) / eps
        x[i] = old
    return grad
""", {"test_numerical_gradient"}),
    "x restored by subtraction": ("numerical_gradient", """
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += eps
        up = float(f())
        x[i] -= 2 * eps
        down = float(f())
        x[i] += eps
        grad[i] = (up - down) / (2 * eps)
    return grad
""", {"test_numerical_gradient"}),
    "relative error divided by |b| only": ("relative_error", """
def relative_error(a, b):
    scale = np.max(np.abs(b))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)
""", {"test_relative_error"}),
    "forgets the bias": ("linear_forward", """
def linear_forward(X, W, b):
    return X @ W
""", {"test_linear_forward", "test_mlp_forward"}),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_exactly_its_checks(mistake):
    function, source, expected = MISTAKES[mistake]
    assert failing(verdicts("03_backprop", {function: source})) == expected

"""Exercise 02's hidden checks catch the common mistakes, each in the test cells that grade it."""

import pytest

from spec_helpers import failing, verdicts

MISTAKES = {
    # what the student got wrong: (function, replacement source, the test cells that must fail)
    "sigmoid as e^z / (1 + e^z): nan at z = 1000": ("sigmoid", """
def sigmoid(z):
    e = np.exp(z)
    return e / (1.0 + e)
""", {"test_sigmoid", "test_sigmoid_grad", "test_tanh"}),  # sigmoid_grad and tanh call sigmoid
    "sigmoid_grad by the quotient e^-z / (1 + e^-z)^2: nan at z = -1000": ("sigmoid_grad", """
def sigmoid_grad(z):
    e = np.exp(-z)
    return e / (1.0 + e) ** 2
""", {"test_sigmoid_grad"}),
    "sigmoid_grad as s (1 + s)": ("sigmoid_grad", """
def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 + s)
""", {"test_sigmoid_grad"}),
    "tanh by its exponential definition: nan at |z| = 1000": ("tanh", """
def tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
""", {"test_tanh"}),
    "tanh_grad without the square": ("tanh_grad", """
def tanh_grad(z):
    return 1.0 - tanh(z)
""", {"test_tanh"}),
    "relu_grad = 1 at z = 0": ("relu_grad", """
def relu_grad(z):
    return (np.asarray(z) >= 0).astype(float)
""", {"test_relu"}),
    "relu clips its input in place": ("relu", """
def relu(z):
    z[z < 0] = 0.0
    return z
""", {"test_relu"}),
    "softmax over the wrong axis": ("softmax", """
def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
""", {"test_softmax", "test_cross_entropy_grad"}),  # cross_entropy_grad calls softmax
    "softmax without subtracting the maximum": ("softmax", """
def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
""", {"test_softmax", "test_cross_entropy_grad"}),
    "softmax shifted by the maximum of the whole batch": ("softmax", """
def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)
""", {"test_softmax", "test_cross_entropy_grad"}),  # only hidden inputs show it
    "softmax_backward with <g, s> summed over the batch": ("softmax_backward", """
def softmax_backward(s, g):
    return s * (g - np.sum(g * s, axis=0, keepdims=True))
""", {"test_softmax_backward"}),
    "softmax_backward reuses s as its output": ("softmax_backward", """
def softmax_backward(s, g):
    s *= g - np.sum(g * s, axis=1, keepdims=True)
    return s
""", {"test_softmax_backward"}),
    "mse_grad divided by the number of rows": ("mse_grad", """
def mse_grad(pred, target):
    return 2.0 * (pred - target) / len(pred)
""", {"test_mse"}),
    "mse_grad without the factor 2": ("mse_grad", """
def mse_grad(pred, target):
    return (pred - target) / pred.size
""", {"test_mse"}),
    "cross_entropy as log(softmax): inf at logits (1000, 0)": ("cross_entropy", """
def cross_entropy(logits, y):
    return float(-np.mean(np.log(softmax(logits)[np.arange(len(y)), y])))
""", {"test_cross_entropy"}),
    "cross_entropy summed over the samples": ("cross_entropy", """
def cross_entropy(logits, y):
    m = logits.max(axis=1)
    lse = m + np.log(np.exp(logits - m[:, None]).sum(axis=1))
    return float(np.sum(lse - logits[np.arange(len(y)), y]))
""", {"test_cross_entropy"}),
    "cross_entropy shifted by the maximum of the whole batch": ("cross_entropy", """
def cross_entropy(logits, y):
    m = logits.max()
    lse = m + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(y)), y]))
""", {"test_cross_entropy"}),  # only the hidden logits with a row far below the others show it
    "cross_entropy returns the per-sample losses": ("cross_entropy", """
def cross_entropy(logits, y):
    m = logits.max(axis=1)
    return m + np.log(np.exp(logits - m[:, None]).sum(axis=1)) - logits[np.arange(len(y)), y]
""", {"test_cross_entropy"}),
    "cross_entropy shifts the logits in place": ("cross_entropy", """
def cross_entropy(logits, y):
    logits -= logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(y)), y]))
""", {"test_cross_entropy"}),
    "cross_entropy_grad not divided by n": ("cross_entropy_grad", """
def cross_entropy_grad(logits, y):
    grad = softmax(logits)
    grad[np.arange(len(y)), y] -= 1.0
    return grad
""", {"test_cross_entropy_grad"}),
    "cross_entropy_grad with onehot - softmax": ("cross_entropy_grad", """
def cross_entropy_grad(logits, y):
    grad = -softmax(logits)
    grad[np.arange(len(y)), y] += 1.0
    return grad / len(y)
""", {"test_cross_entropy_grad"}),
    "hinge_grad with the wrong sign": ("hinge_grad", """
def hinge_grad(scores, y):
    return np.where(1.0 - y * scores >= 0, y, 0.0) / scores.size
""", {"test_hinge"}),
    "hinge without the max(0, .)": ("hinge", """
def hinge(scores, y):
    return float(np.mean(1.0 - y * scores))
""", {"test_hinge"}),
    "hinge forgets to return": ("hinge", """
def hinge(scores, y):
    loss = float(np.mean(np.maximum(0.0, 1.0 - y * scores)))
""", {"test_hinge"}),
    "huber ignores delta": ("huber", """
def huber(pred, target, delta=1.0):
    d = pred - target
    return float(np.mean(np.where(np.abs(d) <= 1.0, 0.5 * d * d, np.abs(d) - 0.5)))
""", {"test_huber"}),
    "huber_grad not divided by N": ("huber_grad", """
def huber_grad(pred, target, delta=1.0):
    return np.clip(pred - target, -delta, delta)
""", {"test_huber"}),
    "huber_grad divided by the number of rows": ("huber_grad", """
def huber_grad(pred, target, delta=1.0):
    return np.clip(pred - target, -delta, delta) / len(pred)
""", {"test_huber"}),
}


# building the namespace runs the notebook's demonstration lines, which call the replaced functions on
# inputs like +-1000: their overflow warnings (in the notebook's __main__) say nothing about the checks
quiet = pytest.mark.filterwarnings("ignore::RuntimeWarning:__main__")


@quiet
@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_exactly_its_checks(mistake):
    function, source, expected = MISTAKES[mistake]
    assert failing(verdicts("02_activations_losses", {function: source})) == expected


ACCEPTED = {
    # correct results reached another way: the checks must not fail them
    "sigmoid as 1 / (1 + e^-z): an overflow warning at z = -1000, but the right value": ("sigmoid", """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
"""),
    "relu_grad returning booleans": ("relu_grad", """
def relu_grad(z):
    return z > 0
"""),
    "tanh with np.tanh": ("tanh", """
def tanh(z):
    return np.tanh(z)
"""),
}


ZERO_D = pytest.param(("mse", """
def mse(pred, target):
    return np.asarray(np.mean((pred - target) ** 2))
"""), id="a loss returned as a 0-d array")


@quiet
@pytest.mark.parametrize("variant", [pytest.param(v, id=k) for k, v in ACCEPTED.items()] + [ZERO_D])
def test_a_correct_variant_passes(variant):
    function, source = variant
    results = verdicts("02_activations_losses", {function: source})
    assert not failing(results), {gid: v.message for gid, v in results.items() if not v.passed}

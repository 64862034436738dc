"""Exercise 05's hidden checks catch the common mistakes, each in the test cell that grades it.

Every run of the spec trains real networks (test_train), so these tests are slow; most mistakes below make
train fail at once or after one training run, to keep them affordable.
"""

import pytest

from mlgrade.spec import namespace_from_notebook
from spec_helpers import ROOT, failing, verdicts

MISTAKES = {
    # what the student got wrong: (function, replacement source, the test cells that must fail)
    "layers numbered from 0": ("init_params", """
def init_params(sizes, rng):
    rng = np.random.default_rng(rng)
    params = {}
    for l in range(len(sizes) - 1):
        params[f"W{l}"] = rng.normal(0.0, np.sqrt(2.0 / sizes[l]), size=(sizes[l], sizes[l + 1]))
        params[f"b{l}"] = np.zeros(sizes[l + 1])
    return params
""", {"test_init_params", "test_train"}),  # train's forward finds no W2: it fails at once
    "the input kept in the cache as 'X', not 'A0'": ("forward", """
def forward(params, X):
    n_layers = sum(1 for name in params if name.startswith("W"))
    A = np.asarray(X, dtype=float)
    cache = {"X": A}
    for l in range(1, n_layers + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        cache[f"Z{l}"] = Z
        if l < n_layers:
            A = np.maximum(Z, 0.0)
            cache[f"A{l}"] = A
    return Z, cache
""", {"test_forward", "test_train"}),  # backward finds no cache['A0']: train fails at once
    "wrong sign: (Y - P) / n": ("softmax_cross_entropy", """
def softmax_cross_entropy(logits, y):
    Z = np.asarray(logits, dtype=float)
    n = Z.shape[0]
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    Y = np.eye(Z.shape[1])[y]
    return float(-log_p[np.arange(n), y].mean()), (Y - np.exp(log_p)) / n
""", {"test_softmax_cross_entropy", "test_train"}),  # gradient ascent: the first training run fails
    "ReLU mask of the same layer (Z{l} instead of Z{l-1})": ("backward", """
def backward(params, cache, dlogits):
    n_layers = sum(1 for name in params if name.startswith("W"))
    grads, G = {}, np.asarray(dlogits, dtype=float)
    for l in range(n_layers, 0, -1):
        grads[f"W{l}"] = cache[f"A{l - 1}"].T @ G
        grads[f"b{l}"] = G.sum(axis=0)
        if l > 1:
            G = (G @ params[f"W{l}"].T) * (cache[f"Z{l}"] > 0)
    return grads
""", {"test_backward", "test_train"}),  # a shape error: train fails at once
    "params rebound, not updated in place": ("adam_step", """
def adam_step(params, grads, state, lr=1e-3):
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    state["t"] = t = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    new = {}
    for name, g in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1.0 - beta1) * g
        v[name] = beta2 * v.get(name, 0.0) + (1.0 - beta2) * g * g
        new[name] = params[name] - lr * (m[name] / (1 - beta1 ** t)) / (np.sqrt(v[name] / (1 - beta2 ** t)) + eps)
    params = new
""", {"test_adam_step", "test_train"}),  # the network never learns: the first training run fails
    "predict returns the largest logit, not its index": ("predict", """
def predict(params, X):
    logits, _ = forward(params, X)
    return np.max(logits, axis=1)
""", {"test_train"}),
    "train shuffles the caller's arrays in place": ("train", """
def train(X, y, epochs=10, batch_size=64, lr=3e-3, rng=0, hidden=128):
    rng = np.random.default_rng(rng)
    params = init_params([X.shape[1], hidden, 10], rng)
    state = {}
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        X[...], y[...] = X[order], y[order]
        for start in range(0, len(X), batch_size):
            logits, cache = forward(params, X[start:start + batch_size])
            _, dlogits = softmax_cross_entropy(logits, y[start:start + batch_size])
            adam_step(params, backward(params, cache, dlogits), state, lr)
    return params
""", {"test_train"}),  # accurate, but X and y come back permuted
}


@pytest.mark.slow
@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_exactly_its_checks(mistake):
    function, source, expected = MISTAKES[mistake]
    # the broken function replaces the reference after the whole notebook ran: the try-it lines of later
    # cells call it (a broken forward would stop the cell of backward), and the reference's train calls
    # whatever the namespace holds when the check runs
    namespace = namespace_from_notebook(ROOT / "solutions" / "05_mnist_mlp" / "05_mnist_mlp.ipynb")
    exec(compile(source, f"<replacement of {function}>", "exec"), namespace)
    results = verdicts("05_mnist_mlp", namespace=namespace)
    assert not any(v.internal for v in results.values()), {g: v.message for g, v in results.items() if v.internal}
    assert failing(results) == expected, {g: v.message for g, v in results.items() if not v.passed}

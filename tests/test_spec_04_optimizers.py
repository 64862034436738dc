"""Exercise 04's hidden checks catch the common mistakes, each in the test cell that grades it."""

import pytest

from spec_helpers import failing, verdicts

SGD_MOMENTUM_ONLY = """
class SGD:
    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr, self.momentum, self.nesterov = params, lr, momentum, nesterov
        self.buffers = [None] * len(params)

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads)):
            d = g
            if self.momentum:
                if self.buffers[i] is None:
                    self.buffers[i] = g.copy()
                else:
                    self.buffers[i] = self.momentum * self.buffers[i] + g
                d = {direction}
            {update}
"""


def _sgd(direction="g + self.momentum * self.buffers[i] if self.nesterov else self.buffers[i]",
         update="p -= self.lr * d"):
    return SGD_MOMENTUM_ONLY.format(direction=direction, update=update)


MISTAKES = {
    # what the student got wrong: (function, replacement source, {test cell that must fail: words of its message})
    "minibatches: the last smaller batch dropped": ("iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]
""", {"test_iterate_minibatches": "make 3 batches"}),
    "minibatches: np.random instead of rng": ("iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]
""", {"test_iterate_minibatches": "order rng.permutation"}),
    "minibatches: shuffles the batches, not the samples": ("iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    starts = list(range(0, len(X), batch_size))
    for i in rng.permutation(len(starts)):
        yield X[starts[i]:starts[i] + batch_size], y[starts[i]:starts[i] + batch_size]
""", {"test_iterate_minibatches": ""}),
    "minibatches: X and y shuffled in place": ("iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X[...], y[...] = X[order], y[order]
    return [(X[s:s + batch_size].copy(), y[s:s + batch_size].copy()) for s in range(0, len(X), batch_size)]
""", {"test_iterate_minibatches": "must not change X or y"}),
    "minibatches: batches as lists": ("iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    return [[X[order[s:s + batch_size]], y[order[s:s + batch_size]]] for s in range(0, len(X), batch_size)]
""", {"test_iterate_minibatches": "should be a pair"}),
    "SGD: p = p - lr * d rebinds the list entry": ("SGD", _sgd(update="self.params[i] = p - self.lr * d"), {
        "test_sgd_momentum": "replaced arrays", "test_sgd_nesterov": "replaced arrays"}),
    "SGD: params copied in __init__": ("SGD", _sgd().replace(
        "self.params, self.lr", "self.params = [p.copy() for p in params]\n        _, self.lr"), {
        "test_sgd_momentum": "did not change the arrays", "test_sgd_nesterov": "did not change the arrays"}),
    "SGD: dampened buffer (1 - mu) g": ("SGD", _sgd().replace(
        "self.momentum * self.buffers[i] + g", "self.momentum * self.buffers[i] + (1 - self.momentum) * g"), {
        "test_sgd_momentum": "after step 2", "test_sgd_nesterov": "after step 2"}),
    "SGD: buffer aliases the gradient, updated in place": ("SGD", _sgd().replace(
        "self.buffers[i] = g.copy()", "self.buffers[i] = g").replace(
        "self.buffers[i] = self.momentum * self.buffers[i] + g",
        "self.buffers[i] *= self.momentum\n                    self.buffers[i] += g"), {
        "test_sgd_momentum": "changed the gradient arrays", "test_sgd_nesterov": "changed the gradient arrays"}),
    "SGD: Nesterov ignored": ("SGD", _sgd(direction="self.buffers[i]"), {"test_sgd_nesterov": "nesterov=True"}),
    "SGD: Nesterov with the old buffer": ("SGD", _sgd().replace(
        "            d = g\n",
        "            d = g\n            old = self.buffers[i] if self.buffers[i] is not None else 0 * g\n"
    ).replace("g + self.momentum * self.buffers[i] if", "g + self.momentum * old if"), {"test_sgd_nesterov": ""}),
    "SGD: step returns the parameters": ("SGD", _sgd() + "        return self.params\n", {
        "test_sgd_momentum": "return None", "test_sgd_nesterov": "return None"}),
    "Adagrad: eps inside the square root": ("Adagrad", """
class Adagrad:
    def __init__(self, params, lr=0.01, eps=1e-10):
        self.params, self.lr, self.eps = params, lr, eps
        self.sums = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, G in zip(self.params, grads, self.sums):
            G += g * g
            p -= self.lr * g / np.sqrt(G + self.eps)
""", {"test_adagrad": "step 1 of Adagrad() on shapes"}),
    "Adagrad: the sum updated after the step": ("Adagrad", """
class Adagrad:
    def __init__(self, params, lr=0.01, eps=1e-10):
        self.params, self.lr, self.eps = params, lr, eps
        self.sums = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, G in zip(self.params, grads, self.sums):
            p -= self.lr * g / (np.sqrt(G) + self.eps)
            G += g * g
""", {"test_adagrad": "after step 1"}),
    "RMSprop: bias-corrected like Adam": ("RMSprop", """
class RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):
        self.params, self.lr, self.alpha, self.eps = params, lr, alpha, eps
        self.averages = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        for p, g, v in zip(self.params, grads, self.averages):
            v[...] = self.alpha * v + (1 - self.alpha) * g * g
            p -= self.lr * g / (np.sqrt(v / (1 - self.alpha ** self.t)) + self.eps)
""", {"test_rmsprop": "after step 1"}),
    "RMSprop: alpha and 1 - alpha swapped": ("RMSprop", """
class RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):
        self.params, self.lr, self.alpha, self.eps = params, lr, alpha, eps
        self.averages = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, v in zip(self.params, grads, self.averages):
            v[...] = (1 - self.alpha) * v + self.alpha * g * g
            p -= self.lr * g / (np.sqrt(v) + self.eps)
""", {"test_rmsprop": "RMSprop()"}),
}

ADAM = """
class Adam:
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.eps = params, lr, eps
        self.beta1, self.beta2 = betas
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""
MISTAKES |= {
    "Adam: eps inside the square root": ("Adam", ADAM.replace(
        "(np.sqrt(v_hat) + self.eps)", "np.sqrt(v_hat + self.eps)"), {"test_adam": "step 1 of Adam() on shapes"}),
    "Adam: eps added before the bias correction": ("Adam", ADAM.replace(
        "m_hat / (np.sqrt(v_hat) + self.eps)",
        "m / (np.sqrt(v) + self.eps) * np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)"), {
        "test_adam": "step 1 of Adam() on shapes"}),
    "Adam: no bias correction": ("Adam", ADAM.replace("m_hat = m / (1 - self.beta1 ** self.t)", "m_hat = m").replace(
        "v_hat = v / (1 - self.beta2 ** self.t)", "v_hat = v"), {"test_adam": "after step 1"}),
    "Adam: t not counted at zero-gradient steps": ("Adam", ADAM.replace(
        "self.t += 1", "self.t += any(np.any(g != 0) for g in grads)"), {
        "test_adam": "after a second step with g = [0, 0]"}),
    "Adam: t counted once per parameter": ("Adam", ADAM.replace("        self.t += 1\n", "").replace(
        "            m[...] =", "            self.t += 1\n            m[...] ="), {
        "test_adam": "on shapes [(3, 4), (4,), (1,)]"}),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_exactly_its_checks(mistake):
    function, source, expected = MISTAKES[mistake]
    results = verdicts("04_optimizers", {function: source})
    assert failing(results) == set(expected), {gid: v.message for gid, v in results.items() if not v.passed}
    for gid, words in expected.items():
        assert not results[gid].internal and words in results[gid].message, results[gid].message

"""Hidden checks of exercise 05 (a multilayer perceptron for MNIST), run by the judge in the grader's process.

Parts 1-5 repeat their test cell's visible cases, then draw fresh networks and inputs from ``t.rng`` (seeded
per student) and compare the student's results with mlkit and with PyTorch, computed here; they also check
that the inputs come back unmodified. Part 6 trains the student's network in their kernel on the kernel's own
copy of the 4,000 training digits (never sent over the wire), for seed 0 and for a seed drawn for the
student; only the 1,000 test predictions come back, and the judge scores them against its own labels and
times the run itself.
"""

import time

import numpy as np
import torch

from mlgrade.checks import as_numbers
from mlgrade.spec import Spec
from mlgrade.wire import Opaque
from mlkit.activations import ReLU
from mlkit.data import load_mnist_sample
from mlkit.layers import Linear, Parameter, Sequential
from mlkit.losses import CrossEntropyLoss
from mlkit.optim import Adam

spec = Spec("05_mnist_mlp", unavailable=["mlkit.layers", "mlkit.activations", "mlkit.losses", "mlkit.optim",
                                         "mlkit.train"],
            timeout=150)  # seconds per call into the kernel: one full training run fits easily

TIME_LIMIT = 60.0  # seconds for one training run (and its predictions), measured here around the call
MIN_ACCURACY = 0.93
# The seed drawn for each student: the reference solution scored 93.2-95.8 % over 302 seeds (mean 94.6 %,
# sd 0.4 %), so a correct solution is not failed by an unlucky draw.
MIN_ACCURACY_ANY_SEED = 0.925


# --------------------------------------------------------------------------------------------------------
# helpers


def _type(value) -> str:
    return value.type if isinstance(value, Opaque) else type(value).__name__


def _dict(value, keys, what):
    """Assert ``value`` is a dict holding (at least) ``keys``."""
    assert isinstance(value, dict), f"{what} should be a dict, got {_type(value)}"
    missing = [k for k in keys if k not in value]
    assert not missing, f"{what} lacks the keys {missing}; it holds {sorted(map(str, value))}"
    return value


def _exact_keys(value, keys, what):
    assert isinstance(value, dict), f"{what} should be a dict, got {_type(value)}"
    assert set(value) == set(keys), f"{what} should have the keys {sorted(keys)}, got {sorted(map(str, value))}"
    return value


def _numbers(value, name):
    """``np.asarray(value, dtype=float)``, or an AssertionError naming what came back instead."""
    if isinstance(value, Opaque):
        raise AssertionError(f"{name} must be a number or a numpy array of numbers, got {value.type}")
    return as_numbers(value, name)


def _array(value, shape, name):
    """``value`` as a float array of the given shape, or an AssertionError a student can act on."""
    arr = _numbers(value, name)
    assert arr.shape == tuple(shape), f"{name} should have shape {tuple(shape)}, got {arr.shape}"
    return arr


def _pair(result, what, names):
    assert isinstance(result, tuple) and len(result) == 2, f"{what} should return a tuple {names}, got {_type(result)}"
    return result


def _random_params(rng, sizes):
    """He-scaled weights and small random biases for the layer widths ``sizes``."""
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(0.0, np.sqrt(2.0 / sizes[l - 1]), (sizes[l - 1], sizes[l]))
        params[f"b{l}"] = 0.1 * rng.normal(size=sizes[l])
    return params


def _mlkit_net(params):
    """mlkit's Sequential(Linear, ReLU, ..., Linear) holding ``params``."""
    L = len(params) // 2
    modules = []
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        layer = Linear(W.shape[0], W.shape[1], init="zeros")
        layer.W.data[...], layer.b.data[...] = W, params[f"b{l}"]
        modules += [layer, ReLU()] if l < L else [layer]
    return Sequential(*modules)


# --------------------------------------------------------------------------------------------------------
# part 1: He initialisation


def _check_he(W, fan_in, name):
    """The weights look like independent draws from N(0, 2 / fan_in) (5-sigma tolerances)."""
    std, n = np.sqrt(2.0 / fan_in), W.size
    assert abs(W.mean()) < 5 * std / np.sqrt(n), f"{name}: the weights should have mean 0, got {W.mean():.3g}"
    assert abs(W.std() / std - 1) < 5 / np.sqrt(2 * n), (
        f"{name}: the weights should have standard deviation sqrt(2 / {fan_in}) = {std:.4f}, got {W.std():.4f}")
    inside = np.mean(np.abs(W) < std)
    assert abs(inside - 0.6827) < 5 * np.sqrt(0.6827 * 0.3173 / n), (
        f"{name}: 68.3 % of normally distributed weights lie within one standard deviation of 0, but {inside:.1%}"
        " of yours do: draw them from a normal distribution")


def _layer_keys(n_layers):
    return [f"{p}{l}" for l in range(1, n_layers + 1) for p in "Wb"]


@spec.test("test_init_params")
def init_params(t):
    # the visible cases
    params = _exact_keys(t.call("init_params", [784, 128, 10], 0), _layer_keys(2),
                         "for sizes [784, 128, 10], the dict returned by init_params")
    arrays = {name: _array(params[name], shape, name)
              for name, shape in [("W1", (784, 128)), ("b1", (128,)), ("W2", (128, 10)), ("b2", (10,))]}
    t.check_close(arrays["b1"], np.zeros(128), "b1 (biases start at 0)")
    t.check_close(arrays["b2"], np.zeros(10), "b2 (biases start at 0)")
    _check_he(arrays["W1"], 784, "W1")
    _check_he(arrays["W2"], 128, "W2")
    same = _dict(t.call("init_params", [784, 128, 10], 0), ["W1"], "init_params([784, 128, 10], 0)")
    t.check_close(same["W1"], arrays["W1"],
                  "W1 of a second call with the same seed 0 (the same seed must give the same weights)")
    other = _dict(t.call("init_params", [784, 128, 10], 1), ["W1"], "init_params([784, 128, 10], 1)")
    other_W1 = _array(other["W1"], (784, 128), "W1 for seed 1")
    assert not np.allclose(other_W1, arrays["W1"]), "different seeds should give different weights"
    one = t.run("import numpy as _np\nresult = init_params([3, 2], _np.random.default_rng(5))")
    assert isinstance(one, dict) and set(one) == {"W1", "b1"} and np.shape(one["W1"]) == (3, 2), (
        "init_params([3, 2], rng) (one layer; rng a Generator) should give W1 of shape (3, 2) and b1 of shape (2,)")

    # hidden: a deeper network, a seed drawn for this student, np.random's global generator left alone
    seed, global_seed = (int(s) for s in t.rng.integers(0, 2 ** 31, size=2))
    sizes = [512, 300, 200, 10]
    t.run("import numpy as _np\n_np.random.seed(global_seed)", returns=(), global_seed=global_seed)
    params, again, twice, key, pos = t.run(
        "params = init_params(sizes, seed)\n"
        "import numpy as _np\n"
        "again = init_params(list(sizes), _np.random.default_rng(seed))\n"
        "twice = init_params(tuple(sizes), _np.random.default_rng(seed))\n"
        "_, key, pos = _np.random.get_state()[:3]",
        returns=("params", "again", "twice", "key", "pos"), sizes=sizes, seed=seed)
    _, expected_key, expected_pos = np.random.RandomState(global_seed).get_state()[:3]
    assert isinstance(key, np.ndarray) and np.array_equal(key, expected_key) and pos == expected_pos, (
        "init_params must draw from rng, not from np.random's global generator")
    expected_keys = _layer_keys(3)
    _exact_keys(params, expected_keys, f"for sizes {sizes}, the dict returned by init_params")
    _exact_keys(again, expected_keys, f"init_params(list {sizes}, Generator)")
    _exact_keys(twice, expected_keys, f"init_params(tuple {tuple(sizes)}, Generator)")
    weights = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W = _array(params[f"W{l}"], (fan_in, fan_out), f"W{l}")
        assert np.asarray(params[f"W{l}"]).dtype == np.float64, (
            f"W{l} should be float64, got {np.asarray(params[f'W{l}']).dtype}")
        t.check_close(params[f"b{l}"], np.zeros(fan_out), f"b{l} (biases start at 0)")
        _check_he(W, fan_in, f"W{l} (sizes {sizes})")
        t.check_close(again[f"W{l}"], twice[f"W{l}"], f"W{l} from two Generators with the same seed")
        # the same spread as mlkit's and torch's He initialisation (same rule, other random numbers)
        ref_mlkit = Linear(fan_in, fan_out, init="he", rng=seed + l).W.data
        generator = torch.Generator().manual_seed(seed + l)
        ref_torch = torch.nn.init.kaiming_normal_(torch.empty(fan_out, fan_in, dtype=torch.float64),
                                                  nonlinearity="relu", generator=generator).numpy()
        for ref, who in [(ref_mlkit, "mlkit.layers.Linear(init='he')"), (ref_torch, "torch.nn.init.kaiming_normal_")]:
            assert abs(np.std(W) / np.std(ref) - 1) < 5 / np.sqrt(W.size), (
                f"W{l}: standard deviation {np.std(W):.4g}, but {who} gives {np.std(ref):.4g}")
        weights[l] = W
    assert not np.allclose(weights[2][:200, :10], weights[3][:200, :10]), "every layer needs its own random draws"
    deep_sizes = [6, 5, 5, 5, 5, 2]
    deep = _exact_keys(t.call("init_params", deep_sizes, int(t.rng.integers(0, 2 ** 31))), _layer_keys(5),
                       "init_params with five layers")
    shapes = [np.shape(deep[f"W{l}"]) for l in range(1, 6)]
    assert shapes == [(6, 5), (5, 5), (5, 5), (5, 5), (5, 2)], (
        f"init_params({deep_sizes}): the weight matrices should have shapes (6, 5), (5, 5), (5, 5), (5, 5), (5, 2);"
        f" got {shapes}")


# --------------------------------------------------------------------------------------------------------
# part 2: the forward pass


def _forward(t, params, X, where):
    """The student's (logits, cache), checking the format and that params and X come back unmodified."""
    result, X_after, params_after = t.run("result = forward(params, X)", returns=("result", "X", "params"),
                                          params=params, X=X)
    logits, cache = _pair(result, "forward", "(logits, cache)")
    L = len(params) // 2
    keys = ["A0"] + [f"{p}{l}" for l in range(1, L + 1) for p in ("ZA" if l < L else "Z")]
    _dict(cache, keys, f"the cache {where}")
    assert isinstance(X_after, np.ndarray) and np.array_equal(X_after, X), (
        "X after forward (forward must not modify its input)")
    for k in params:
        after = params_after.get(k) if isinstance(params_after, dict) else None
        assert isinstance(after, np.ndarray) and np.array_equal(after, params[k]), (
            f"params['{k}'] after forward (forward must not modify them)")
    return logits, cache


@spec.test("test_forward")
def forward(t):
    # the visible cases
    params = {"W1": np.array([[1.0, -1.0, 0.0], [0.0, 1.0, 1.0]]), "b1": np.array([0.0, 0.0, -3.0]),
              "W2": np.array([[1.0, 0.0], [2.0, 1.0], [5.0, 3.0]]), "b2": np.array([0.5, -0.5])}
    logits, cache = _forward(t, params, np.array([[1.0, 2.0]]), "of a two-layer network")
    t.check_close(logits, [[3.5, 0.5]], "logits for x = [[1, 2]]")
    t.check_close(cache["A0"], [[1.0, 2.0]], "cache['A0'] (the input X)")
    t.check_close(cache["Z1"], [[1.0, 1.0, -1.0]], "cache['Z1'] = X W1 + b1")
    t.check_close(cache["A1"], [[1.0, 1.0, 0.0]], "cache['A1'] = ReLU(Z1)")
    t.check_close(cache["Z2"], [[3.5, 0.5]], "cache['Z2'] (the logits)")
    logits, _ = _forward(t, params, np.array([[1.0, 2.0], [0.0, 0.0]]), "of a two-layer network")
    t.check_close(logits, [[3.5, 0.5], [0.5, -0.5]], "logits for the batch [[1, 2], [0, 0]]")
    rng = np.random.default_rng(0)
    deep = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 3)),
            "b2": rng.normal(size=3), "W3": rng.normal(size=(3, 2)), "b3": rng.normal(size=2)}
    logits, cache = _forward(t, deep, rng.normal(size=(6, 4)), "of a three-layer network")
    logits = _array(logits, (6, 2), "logits of a [4, 5, 3, 2] network on 6 samples")
    A2 = _array(cache["A2"], (6, 3), "cache['A2'] of a [4, 5, 3, 2] network on 6 samples")
    t.check_close(A2, np.maximum(_array(cache["Z2"], (6, 3), "cache['Z2']"), 0.0), "cache['A2'] = ReLU(cache['Z2'])")
    t.check_close(cache["Z3"], logits, "cache['Z3'] (the logits of a three-layer network)")

    # hidden: random networks of several depths, a batch of one, zero inputs, huge inputs, float32 inputs
    cases = [([784, 128, 10], t.rng.random((40, 784))),
             ([784, 64, 10], t.rng.random((1, 784))),
             ([20, 16, 8, 5], t.rng.normal(size=(7, 20))),
             ([3, 4, 2], np.zeros((5, 3))),
             ([6, 5, 3], 1000.0 * t.rng.normal(size=(4, 6))),
             ([784, 32, 10], t.rng.random((10, 784)).astype(np.float32))]
    for sizes, X in cases:
        L = len(sizes) - 1
        params = _random_params(t.rng, sizes)
        X64 = X.astype(float)
        ref = _mlkit_net(params).forward(X64)
        A, Zs, As = torch.tensor(X64), {}, {}
        for l in range(1, L + 1):
            Z = torch.nn.functional.linear(A, torch.tensor(params[f"W{l}"].T), torch.tensor(params[f"b{l}"]))
            Zs[l] = Z.numpy()
            if l < L:
                A = torch.relu(Z)
                As[l] = A.numpy()
        where = f"for sizes {sizes} on {X.shape[0]} sample(s)" + (" given as float32" if X.dtype == np.float32 else "")
        logits, cache = _forward(t, params, X, where)
        t.check_close(logits, ref, f"logits {where} (vs mlkit)", rtol=1e-10)
        t.check_close(logits, Zs[L], f"logits {where} (vs torch)", rtol=1e-10)
        t.check_close(cache["A0"], X64, f"cache['A0'] {where}")
        for l in range(1, L + 1):
            t.check_close(cache[f"Z{l}"], Zs[l], f"cache['Z{l}'] {where} (vs torch)", rtol=1e-10)
            if l < L:
                t.check_close(cache[f"A{l}"], As[l], f"cache['A{l}'] {where} (vs torch)", rtol=1e-10)


# --------------------------------------------------------------------------------------------------------
# part 3: softmax cross-entropy

# the test cell silences floating-point warnings (and errors) around these calls; so does the judge
_SOFTMAX_CE = """# softmax_cross_entropy(...) as the test cell calls it
import numpy as _np
with _np.errstate(all="ignore"):
    result = softmax_cross_entropy(Z, y)
"""


def _softmax_ce(t, Z, y):
    result, Z_after = t.run(_SOFTMAX_CE, returns=("result", "Z"), Z=Z, y=y)
    loss, dlogits = _pair(result, "softmax_cross_entropy", "(loss, dlogits)")
    assert np.ndim(loss) == 0, (
        f"the loss should be a single number (the mean over the batch), got shape {np.shape(loss)}")
    assert isinstance(Z_after, np.ndarray) and np.array_equal(Z_after, Z), (
        "logits after softmax_cross_entropy (it must not modify its input)")
    return loss, dlogits


@spec.test("test_softmax_cross_entropy")
def softmax_cross_entropy(t):
    # the visible cases
    loss, dlogits = _softmax_ce(t, np.zeros((2, 4)), np.array([0, 3]))
    t.check_close(loss, np.log(4.0), "loss for zero logits (every class has probability 1/4, so the loss is log 4)")
    t.check_close(dlogits, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]],
                  "dlogits = (P - Y) / n for zero logits, labels [0, 3] (n = 2)")
    loss, dlogits = _softmax_ce(t, np.array([[0.0, np.log(3.0)]]), np.array([1]))
    t.check_close(loss, np.log(4.0 / 3.0), "loss for logits [[0, log 3]], label 1 (p = 3/4)")
    t.check_close(dlogits, [[0.25, -0.25]], "dlogits for logits [[0, log 3]], label 1")
    for label, expected_loss, expected_d in [(0, 0.0, [[0.0, 0.0, 0.0]]), (1, 1000.0, [[1.0, -1.0, 0.0]])]:
        loss, dlogits = _softmax_ce(t, np.array([[1000.0, 0.0, -1000.0]]), np.array([label]))
        t.check_close(loss, expected_loss, f"loss for logits [[1000, 0, -1000]], label {label} (use the log-sum-exp trick)")
        t.check_close(dlogits, expected_d,
                      f"dlogits for logits [[1000, 0, -1000]], label {label} (use the log-sum-exp trick)")

    # hidden: a training batch, one sample, two classes, huge logits, equal logits, classes absent from the batch
    cases = [(3.0 * t.rng.normal(size=(64, 10)), t.rng.integers(0, 10, 64)),
             (t.rng.normal(size=(1, 10)), t.rng.integers(0, 10, 1)),
             (t.rng.normal(size=(5, 2)), np.array([0, 1, 1, 0, 1])),
             (1000.0 * t.rng.normal(size=(7, 3)), t.rng.integers(0, 3, 7)),
             (np.full((4, 6), 3.0), np.array([5, 5, 5, 5])),
             (t.rng.normal(size=(6, 10)), np.array([0, 1, 2, 0, 1, 2])),  # classes 3..9 absent from the batch
             (t.rng.normal(size=(8, 10)) + np.array([[1000.0] + [-1000.0] * 9]), t.rng.integers(0, 10, 8))]
    for Z, y in cases:
        ce = CrossEntropyLoss()
        ref_loss = ce(Z, y)
        ref_grad = ce.backward()
        Zt = torch.tensor(Z, requires_grad=True)
        t_loss = torch.nn.functional.cross_entropy(Zt, torch.tensor(y))
        t_loss.backward()
        loss, dlogits = _softmax_ce(t, Z, y)
        where = f"for logits of shape {Z.shape} (largest |logit| {np.abs(Z).max():.3g})"
        t.check_close(loss, ref_loss, f"loss {where} (vs mlkit.losses.CrossEntropyLoss)", rtol=1e-9, atol=1e-12)
        t.check_close(loss, t_loss.item(), f"loss {where} (vs torch)", rtol=1e-9, atol=1e-12)
        t.check_close(dlogits, ref_grad, f"dlogits {where} (vs mlkit.losses.CrossEntropyLoss)", rtol=1e-9, atol=1e-12)
        t.check_close(dlogits, Zt.grad.numpy(), f"dlogits {where} (vs torch.autograd)", rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------------------
# part 4: the backward pass


def _make_cache(params, X):
    """The cache of part 2, computed here (independently of the student's forward)."""
    L = len(params) // 2
    cache, A = {"A0": X}, X
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        cache[f"Z{l}"] = Z
        if l < L:
            A = np.maximum(Z, 0.0)
            cache[f"A{l}"] = A
    return cache


def _backward(t, params, cache, G, where):
    """The student's grads, checking their keys and that params, cache and dlogits come back unmodified."""
    grads, params_after, cache_after, G_after = t.run(
        "grads = backward(params, cache, dlogits)", returns=("grads", "params", "cache", "dlogits"),
        params=params, cache=cache, dlogits=G)
    _exact_keys(grads, list(params), f"the grads returned by backward {where}")
    for given, after, name in [(params, params_after, "params"), (cache, cache_after, "cache")]:
        for k in given:
            value = after.get(k) if isinstance(after, dict) else None
            assert isinstance(value, np.ndarray) and np.array_equal(value, given[k]), (
                f"{name}['{k}'] after backward (it must not modify its inputs)")
    assert isinstance(G_after, np.ndarray) and np.array_equal(G_after, G), (
        "dlogits after backward (it must not modify it)")
    return grads


@spec.test("test_backward")
def backward(t):
    # the visible cases
    params = {"W1": np.array([[1.0, -1.0, 0.0], [0.0, 1.0, 1.0]]), "b1": np.array([0.0, 0.0, -3.0]),
              "W2": np.array([[1.0, 0.0], [2.0, 1.0], [5.0, 3.0]]), "b2": np.array([0.5, -0.5])}
    cache = {"A0": np.array([[1.0, 2.0]]), "Z1": np.array([[1.0, 1.0, -1.0]]), "A1": np.array([[1.0, 1.0, 0.0]]),
             "Z2": np.array([[3.5, 0.5]])}
    grads = _backward(t, params, cache, np.array([[1.0, -1.0]]), "for x = [[1, 2]]")
    t.check_close(grads["W2"], [[1.0, -1.0], [1.0, -1.0], [0.0, 0.0]],
                  "dW2 = A1^T G2 with A1 = [[1, 1, 0]], G2 = [[1, -1]]")
    t.check_close(grads["b2"], [1.0, -1.0], "db2 for G2 = [[1, -1]]")
    t.check_close(grads["W1"], [[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]],
                  "dW1 = X^T G1 with G1 = (G2 W2^T) * 1{Z1 > 0} = [[1, 1, 0]]")
    t.check_close(grads["b1"], [1.0, 1.0, 0.0], "db1 = G1 = [[1, 1, 0]]")
    cache = {"A0": np.array([[1.0, 2.0], [0.0, 0.0]]), "Z1": np.array([[1.0, 1.0, -1.0], [0.0, 0.0, -3.0]]),
             "A1": np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), "Z2": np.array([[3.5, 0.5], [0.5, -0.5]])}
    grads = _backward(t, params, cache, np.array([[1.0, -1.0], [2.0, 0.0]]), "for two samples")
    t.check_close(grads["b2"], [3.0, -1.0], "db2 for two samples (the column sums of G2)")
    t.check_close(grads["W2"], [[1.0, -1.0], [1.0, -1.0], [0.0, 0.0]], "dW2 for two samples (A1 of the second is 0)")
    t.check_close(grads["b1"], [1.0, 1.0, 0.0], "db1 for two samples (the ReLU's derivative at Z = 0 is 0)")
    t.check_close(grads["W1"], [[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]], "dW1 for two samples")

    # hidden: random networks of several depths against mlkit and torch.autograd
    cases = [([784, 64, 10], t.rng.random((32, 784))),
             ([784, 32, 10], t.rng.random((1, 784))),
             ([20, 16, 8, 5], t.rng.normal(size=(9, 20))),
             ([5, 4, 3, 3, 2], t.rng.normal(size=(6, 5))),
             ([3, 4, 2], np.zeros((5, 3))),
             ([6, 5, 3], 1000.0 * t.rng.normal(size=(4, 6)))]
    for number, (sizes, X) in enumerate(cases):
        L = len(sizes) - 1
        params = _random_params(t.rng, sizes)
        if number == 4:
            params["b1"][:2] = 0.0  # zero inputs and zero biases: Z1 = 0 exactly for two units
        G = t.rng.normal(size=(X.shape[0], sizes[-1])) / X.shape[0]
        cache = _make_cache(params, X)
        net = _mlkit_net(params)
        net.forward(X)
        net.backward(G)
        linears = [m for m in net.layers if isinstance(m, Linear)]
        ref = {}
        for l, layer in enumerate(linears, start=1):
            ref[f"W{l}"], ref[f"b{l}"] = layer.W.grad.copy(), layer.b.grad.copy()
        tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        A = torch.tensor(X)
        for l in range(1, L + 1):
            A = A @ tparams[f"W{l}"] + tparams[f"b{l}"]
            if l < L:
                A = torch.relu(A)
        (A * torch.tensor(G)).sum().backward()
        where = f"for sizes {sizes} on {X.shape[0]} sample(s)"
        grads = _backward(t, params, cache, G, where)
        for k in sorted(params):
            t.check_close(grads[k], ref[k], f"d{k} {where} (vs mlkit)", rtol=1e-9, atol=1e-12)
            t.check_close(grads[k], tparams[k].grad.numpy(), f"d{k} {where} (vs torch.autograd)", rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------------------
# part 5: Adam

# several steps in one request: the state dict stays in the student's kernel, whatever it holds
_VISIBLE_ADAM = """
adam_step(params, grads_1, state, lr=0.1)
from copy import deepcopy as _deepcopy
after_first = _deepcopy(params)
adam_step(params, grads_2, state, lr=0.1)
after_second = _deepcopy(params)
adam_step(other, other_grads, other_state, lr=0.01)
"""

_ADAM_RUNS = """
for number, grads in schedule:
    adam_step(runs[number], grads, states[number], lr=lr)
    from copy import deepcopy as _deepcopy
    history.append(_deepcopy(runs[number]))
"""


@spec.test("test_adam_step")
def adam_step(t):
    # the visible cases
    after_first, after_second, other = t.run(
        _VISIBLE_ADAM, returns=("after_first", "after_second", "other"),
        params={"w": np.array([1.0, -2.0])}, state={}, grads_1={"w": np.array([0.5, -4.0])},
        grads_2={"w": np.array([0.5, -4.0])},
        other={"a": np.array([0.0]), "b": np.array([[1.0, 2.0]])}, other_state={},
        other_grads={"a": np.array([3.0]), "b": np.array([[0.0, -1.0]])})
    t.check_close(_dict(after_first, ["w"], "params after adam_step")["w"], [0.9, -1.9],
                  "w after the first step from [1, -2] with g = [0.5, -4], lr = 0.1 "
                  "(the first step moves every weight by about lr, against the sign of its gradient)")
    t.check_close(_dict(after_second, ["w"], "params after adam_step")["w"], [0.8, -1.8],
                  "w after a second step with the same gradient (again m_hat = g, v_hat = g^2)")
    _dict(other, ["a", "b"], "the params of a second optimizer after adam_step")
    t.check_close(other["a"], [-0.01], "first step of a second optimizer (its own state dict): a = 0 - 0.01")
    t.check_close(other["b"], [[1.0, 2.01]],
                  "first step of a second optimizer: b (a zero gradient does not move a weight)")

    # hidden: two optimizers stepping in turns, 8 steps each, against mlkit.optim.Adam and torch.optim.Adam
    shapes = {"W1": (6, 4), "b1": (4,), "W2": (4, 3), "b2": (3,)}
    for lr, scale in [(1e-3, 1.0), (0.05, 1.0), (0.01, 1e3), (0.01, 1e-10)]:
        starts, torch_params, torch_opts, mlkit_params, mlkit_opts = [], [], [], [], []
        for _ in range(2):
            start = {k: t.rng.normal(size=s) for k, s in shapes.items()}
            starts.append(start)
            torch_params.append({k: torch.tensor(v.copy(), requires_grad=True) for k, v in start.items()})
            torch_opts.append(torch.optim.Adam(list(torch_params[-1].values()), lr=lr))
            mlkit_params.append({k: Parameter(v.copy()) for k, v in start.items()})
            mlkit_opts.append(Adam(list(mlkit_params[-1].values()), lr=lr))
        schedule, expected = [], []
        for step in range(1, 9):
            for number in range(2):
                grads = {k: scale * t.rng.normal(size=s) for k, s in shapes.items()}
                if step == 3:
                    grads["b1"][:] = 0.0
                for k in shapes:
                    torch_params[number][k].grad = torch.tensor(grads[k])
                    mlkit_params[number][k].grad[...] = grads[k]
                torch_opts[number].step()
                mlkit_opts[number].step()
                schedule.append((number, grads))
                expected.append((step, number, {k: p.data.copy() for k, p in mlkit_params[number].items()},
                                 {k: p.detach().numpy().copy() for k, p in torch_params[number].items()}))
        history, schedule_after = t.run(_ADAM_RUNS, returns=("history", "schedule"), schedule=schedule,
                                        runs=starts, states=[{}, {}], history=[], lr=lr)
        assert isinstance(history, list) and len(history) == len(expected), "adam_step: the steps did not all run"
        for (step, number, ref_mlkit, ref_torch), params in zip(expected, history):
            where = f"after step {step} of optimizer {number + 1} (lr = {lr}, gradients of size about {scale:g})"
            _dict(params, list(shapes), f"params {where}")
            for k in shapes:
                t.check_close(params[k], ref_mlkit[k], f"params['{k}'] {where} (vs mlkit.optim.Adam)",
                              rtol=1e-10, atol=1e-12)
                t.check_close(params[k], ref_torch[k], f"params['{k}'] {where} (vs torch.optim.Adam)",
                              rtol=1e-10, atol=1e-12)
        for (number, grads), after in zip(schedule, schedule_after):
            given = after[1] if isinstance(after, tuple) and len(after) == 2 else None
            for k in shapes:
                value = given.get(k) if isinstance(given, dict) else None
                assert isinstance(value, np.ndarray) and np.array_equal(value, grads[k]), (
                    "grads after adam_step (it must not modify the gradients)")


# --------------------------------------------------------------------------------------------------------
# part 6: training and prediction

# Runs in the student's kernel: the digits are loaded there again, as the test cell does (never sent over
# the wire, and untouched by whatever the notebook did to its own X_train); only the predictions come back.
_TRAIN_ON_MNIST = """# train(...) on the 4,000 training digits, then predict(...) on the 1,000 test digits
from mlkit.data import load_mnist_sample as _load_mnist_sample
from threadpoolctl import threadpool_limits as _threadpool_limits
_X_train, _y_train, _X_test, _ = _load_mnist_sample()
with _threadpool_limits(limits=1, user_api="blas"):
    _params = train(_X_train.copy(), _y_train.copy(), epochs=10, batch_size=64, lr=3e-3, rng=seed)
    try:
        predictions, predict_error = predict(_params, _X_test.copy()), None
    except Exception as _err:
        predictions, predict_error = None, f"{type(_err).__name__}: {_err}"[:2000]
"""

_TRAIN_SMALL = """# train(...) on 300 digits, then predict(...) on one
params = train(X_small, y_small, epochs=1, batch_size=50, lr=3e-3, rng=seed)
try:
    one, predict_error = predict(params, X_one), None
except Exception as _err:
    one, predict_error = None, f"{type(_err).__name__}: {_err}"[:2000]
"""


def _predictions(predictions, predict_error, n):
    assert predict_error is None, f"predict(...) raised {predict_error}"
    predictions = _numbers(predictions, f"the result of predict on {n:,} digits")
    assert predictions.shape == (n,), f"predict on {n:,} digits should return shape ({n},), got {predictions.shape}"
    assert np.all(np.isin(predictions, np.arange(10))), "predict should return the digits 0..9 (integers)"
    return predictions


def _train_and_score(t, seed, y_test):
    """(test accuracy, seconds) of the student's train + predict with ``seed``, timed here."""
    start = time.perf_counter()
    predictions, predict_error = t.run(_TRAIN_ON_MNIST, returns=("predictions", "predict_error"), seed=seed)
    seconds = time.perf_counter() - start
    predictions = _predictions(predictions, predict_error, len(y_test))
    return float(np.mean(predictions == y_test)), seconds


@spec.test("test_train")
def train(t):
    X_train, y_train, X_test, y_test = load_mnist_sample()
    # the visible case: seed 0
    accuracy, seconds = _train_and_score(t, 0, y_test)
    assert seconds <= TIME_LIMIT, f"training took {seconds:.0f} s, more than the {TIME_LIMIT:.0f} s allowed"
    assert accuracy >= MIN_ACCURACY, f"test accuracy {accuracy:.1%}, below the 93 % required"
    # hidden: a seed drawn for this student
    accuracy, seconds = _train_and_score(t, int(t.rng.integers(1, 2 ** 31)), y_test)
    assert seconds <= TIME_LIMIT, (
        f"training with another seed took {seconds:.0f} s, more than the {TIME_LIMIT:.0f} s allowed")
    assert accuracy >= MIN_ACCURACY_ANY_SEED, (
        f"test accuracy with another seed {accuracy:.1%}, below the {MIN_ACCURACY_ANY_SEED:.1%} required for any seed")
    # hidden: train leaves its input arrays alone, and predict works on a single digit
    X_small, y_small = X_train[:300].copy(), y_train[:300].copy()
    one, predict_error, X_after, y_after = t.run(
        _TRAIN_SMALL, returns=("one", "predict_error", "X_small", "y_small"),
        X_small=X_small, y_small=y_small, X_one=X_test[:1].copy(), seed=int(t.rng.integers(0, 2 ** 31)))
    assert isinstance(X_after, np.ndarray) and X_after.shape == X_small.shape, (
        "X after train (train must not modify its input)")
    t.check_close(X_after, X_small, "X after train (train must not modify its input)")
    assert isinstance(y_after, np.ndarray) and np.array_equal(y_after, y_small), (
        "y after train (train must not modify its input)")
    assert predict_error is None, f"predict(...) on a single digit raised {predict_error}"
    assert np.shape(one) == (1,), f"predict on a single digit should return shape (1,), got {np.shape(one)}"

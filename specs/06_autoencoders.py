"""Hidden checks of exercise 06 (regularised autoencoders), run by the judge in the grader's process.

Each check repeats its test cell's visible cases, then draws fresh inputs from ``t.rng`` (seeded per
student). The penalties and their gradients are compared with mlkit.autoencoders' models (given the same
weights) and with PyTorch's autograd, computed here. The corruption is random, so it is checked
statistically on large arrays (tolerances of about five standard errors, which a correct solution fails with
negligible probability), for reproducibility with an integer seed and with a Generator built in the
student's kernel from an integer seed (a Generator cannot cross the wire), and for leaving np.random's global
generator alone.
"""

import numpy as np
import torch

from mlgrade.checks import as_numbers
from mlgrade.spec import Spec
from mlkit.autoencoders import Autoencoder, ContractiveAutoencoder, DenoisingAutoencoder, SparseAutoencoder

spec = Spec("06_autoencoders", unavailable=["mlkit.autoencoders"])


def _seed(t) -> int:
    return int(t.rng.integers(2 ** 31))


def _numbers(value, what, shape=None) -> np.ndarray:
    """``value`` as a float array (of ``shape`` if given), or an AssertionError a student can act on."""
    try:
        arr = as_numbers(value, what)
    except ValueError:  # a ragged list
        raise AssertionError(f"{what} must be a number or a numpy array of numbers, got a "
                             f"{type(value).__name__} that is neither") from None
    if shape is not None:
        assert arr.shape == tuple(shape), f"{what} should have shape {tuple(shape)}, but it has shape {arr.shape}"
    return arr


def _unpack(result, function, names):
    assert isinstance(result, tuple) and len(result) == len(names), (
        f"{function} should return a tuple ({', '.join(names)}), got {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def _penalty(result, function, names=("value", "dH")):
    """(value, *gradients) of a penalty function, the value checked to be a single number."""
    value, *grads = _unpack(result, function, names)
    value = _numbers(value, f"the penalty returned by {function}")
    assert value.ndim == 0, f"the penalty should be a single number, got shape {value.shape}"
    return (float(value), *grads)


# --------------------------------------------------------------------------------------------------------
# 1. the L1 sparsity penalty


@spec.test("test_l1_penalty")
def l1_penalty(t):
    value, dH = _penalty(t.call("l1_penalty", np.array([[0.5, -0.25], [0.0, 1.0]]), lam=0.1), "l1_penalty")
    t.check_close(value, 0.0875, "the L1 penalty of [[0.5, -0.25], [0, 1]] with lam = 0.1")
    t.check_close(dH, [[0.05, -0.05], [0.0, 0.05]], "dH = lam / n * sign(H) (sign(0) = 0)")
    # the penalty of a tanh code (signs of both kinds), as mlkit's SparseAutoencoder(penalty="l1") computes it
    for n, d, m, lam in [(30, 12, 8, 1e-3), (1, 5, 4, 0.5), (9, 6, 10, 2.0)]:
        X = t.rng.normal(size=(n, d))
        seed = _seed(t)
        sparse = SparseAutoencoder(d, m, activation="tanh", penalty="l1", lam=lam, rng=seed)
        plain = Autoencoder(d, m, activation="tanh", rng=seed)
        for p, q in zip(sparse.parameters(), plain.parameters()):
            q.data[...] = p.data
        H = sparse.encode(X)
        sparse.loss(X)
        sparse.backward()
        plain.loss(X)
        plain.backward()
        Ht = torch.tensor(H, requires_grad=True)
        (lam * Ht.abs().sum() / n).backward()
        value, dH = _penalty(t.call("l1_penalty", H, lam), "l1_penalty")
        where = f"for a tanh code of shape {H.shape}, lam = {lam}"
        t.check_close(value, sparse.penalty_, f"the L1 penalty {where} (vs mlkit.autoencoders.SparseAutoencoder)",
                      rtol=1e-10)
        t.check_close(dH, Ht.grad.numpy(), f"dH {where} (vs torch.autograd)", rtol=1e-12)
        # through the encoder, dH must give mlkit's extra gradient of W_e: X^T (dH * tanh'(z))
        t.check_close(X.T @ (_numbers(dH, "dH") * (1 - H ** 2)), sparse.W_e.grad - plain.W_e.grad,
                      f"the gradient of W_e that your dH gives {where} (vs SparseAutoencoder)", rtol=1e-6, atol=1e-10)
    # zero entries (subgradient 0) and a tiny positive one (sign 1)
    value, dH = _penalty(t.call("l1_penalty", np.array([[0.0, 2.0, -3.0], [0.0, 0.0, 1e-300]]), 3.0), "l1_penalty")
    t.check_close(value, 7.5, "the L1 penalty of [[0, 2, -3], [0, 0, 1e-300]] with lam = 3")
    t.check_close(dH, [[0.0, 1.5, -1.5], [0.0, 0.0, 1.5]], "dH with zero entries (sign(0) = 0)")


# --------------------------------------------------------------------------------------------------------
# 2. the KL sparsity penalty


def _torch_kl(H, rho, beta):
    Ht = torch.tensor(H, requires_grad=True)
    r = Ht.mean(dim=0)
    value = beta * (rho * torch.log(rho / r) + (1 - rho) * torch.log((1 - rho) / (1 - r))).sum()
    value.backward()
    return value.item(), Ht.grad.numpy()


@spec.test("test_kl_penalty")
def kl_penalty(t):
    value, dH = _penalty(t.call("kl_penalty", np.array([[0.25], [0.75]]), rho=0.1, beta=1.0), "kl_penalty")
    t.check_close(value, 0.1 * np.log(0.2) + 0.9 * np.log(1.8),
                  "KL penalty of H = [[0.25], [0.75]] (rho_hat = 0.5), rho = 0.1")
    t.check_close(dH, [[0.8], [0.8]], "dH for H = [[0.25], [0.75]], rho = 0.1, beta = 1 (one row per sample)")
    value, dH = _penalty(t.call("kl_penalty", np.full((4, 3), 0.05), rho=0.05, beta=2.0), "kl_penalty")
    t.check_close(value, 0.0, "KL penalty when every unit's average activation equals rho")
    t.check_close(dH, np.zeros((4, 3)), "dH when every unit's average activation equals rho (shape (4, 3))")
    value, dH = _penalty(t.call("kl_penalty", np.array([[0.25, 0.05], [0.75, 0.05]]), rho=0.1, beta=2.0),
                         "kl_penalty")
    kl_first = 0.1 * np.log(0.2) + 0.9 * np.log(1.8)
    kl_second = 0.1 * np.log(0.1 / 0.05) + 0.9 * np.log(0.9 / 0.95)
    t.check_close(value, 2.0 * (kl_first + kl_second), "KL penalty of two units (a sum over units) with beta = 2")
    dH = _numbers(dH, "dH for H = [[0.25, 0.05], [0.75, 0.05]]", (2, 2))
    t.check_close(dH[:, 0], [1.6, 1.6], "dH of the first unit with beta = 2")
    # 1. a sigmoid code from mlkit's SparseAutoencoder(penalty="kl") with the same weights as a plain one
    for n, d, m, rho, beta in [(40, 12, 9, 0.05, 1.0), (1, 6, 5, 0.2, 3.0), (17, 8, 20, 0.5, 0.1),
                               (25, 10, 6, 0.01, 0.0)]:
        X = t.rng.random((n, d))
        seed = _seed(t)
        sparse = SparseAutoencoder(d, m, penalty="kl", rho=rho, beta=beta, rng=seed)
        plain = Autoencoder(d, m, rng=seed)
        for p, q in zip(sparse.parameters(), plain.parameters()):
            q.data[...] = p.data
        sparse.b_e.data[...] = plain.b_e.data[...] = t.rng.normal(size=m)
        H = sparse.encode(X)
        sparse.loss(X)
        sparse.backward()
        plain.loss(X)
        plain.backward()
        t_value, t_dH = _torch_kl(H, rho, beta)
        value, dH = _penalty(t.call("kl_penalty", H, rho, beta), "kl_penalty")
        where = f"for a code of shape {H.shape}, rho = {rho}, beta = {beta}"
        t.check_close(value, sparse.penalty_, f"the KL penalty {where} (vs mlkit.autoencoders.SparseAutoencoder)",
                      rtol=1e-10, atol=1e-12)
        t.check_close(value, t_value, f"the KL penalty {where} (vs torch)", rtol=1e-10, atol=1e-12)
        t.check_close(dH, t_dH, f"dH {where} (vs torch.autograd)", rtol=1e-10, atol=1e-12)
        # through the sigmoid, dH must give mlkit's extra gradients of W_e and b_e
        dZ = _numbers(dH, "dH") * H * (1 - H)
        t.check_close(X.T @ dZ, sparse.W_e.grad - plain.W_e.grad,
                      f"the gradient of W_e that your dH gives {where} (vs SparseAutoencoder)", rtol=1e-6, atol=1e-10)
        t.check_close(dZ.sum(axis=0), sparse.b_e.grad - plain.b_e.grad,
                      f"the gradient of b_e that your dH gives {where} (vs SparseAutoencoder)", rtol=1e-6, atol=1e-10)
    # 2. nearly saturated units (average activations close to 0 and to 1), and an unchanged input
    Z = np.array([[-18.0, 18.0, 0.3], [-15.0, 16.0, -0.2], [-17.0, 19.0, 1.0]]) + t.rng.uniform(-1, 1, size=(3, 3))
    H = 1.0 / (1.0 + np.exp(-Z))
    t_value, t_dH = _torch_kl(H, 0.05, 1.0)
    result, after = t.run("result = kl_penalty(H, 0.05, 1.0)", returns=("result", "H"), H=H)
    value, dH = _penalty(result, "kl_penalty")
    t.check_close(value, t_value, "the KL penalty of nearly saturated units (vs torch)", rtol=1e-6)
    t.check_close(dH, t_dH, "dH of nearly saturated units (vs torch.autograd)", rtol=1e-6)
    t.check_close(after, H, "H after kl_penalty (it must not modify its input)")


# --------------------------------------------------------------------------------------------------------
# 3. the contractive penalty


def _torch_jacobian_penalty(X, W, b, lam):
    """lam * mean of ||dh_i/dx_i||_F^2 with the Jacobian itself computed by autograd, then its gradients."""
    Xt = torch.tensor(X, requires_grad=True)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    h = torch.sigmoid(Xt @ Wt + bt)
    rows = [torch.autograd.grad(h[:, j].sum(), Xt, create_graph=True)[0] for j in range(h.shape[1])]
    value = lam * sum((r ** 2).sum() for r in rows) / X.shape[0]
    dW, db = torch.autograd.grad(value, (Wt, bt))
    return value.item(), dW.numpy(), db.numpy()


def _contractive(t, X, W, b, lam):
    """(value, dW, db) of the student's contractive_penalty, checking shapes and that X, W, b are unchanged."""
    code = ("# contractive_penalty(X, W, b, lam), numpy's overflow warnings silenced\n"
            "import numpy as _np\n"
            "with _np.errstate(all='ignore'):\n"
            "    result = contractive_penalty(X, W, b, lam)\n")
    result, *after = t.run(code, returns=("result", "X", "W", "b"), X=X, W=W, b=b, lam=lam)
    value, dW, db = _penalty(result, "contractive_penalty", ("value", "dW", "db"))
    dW = _numbers(dW, f"dW (the gradient for W of shape {W.shape})", W.shape)
    db = _numbers(db, f"db (the gradient for b of shape {b.shape})", b.shape)
    for arr, original, name in zip(after, (X, W, b), ("X", "W", "b")):
        t.check_close(arr, original, f"{name} after contractive_penalty (it must not modify its inputs)")
    return value, dW, db


@spec.test("test_contractive_penalty")
def contractive_penalty(t):
    W = np.array([[1.0], [2.0]])
    result = t.call("contractive_penalty", np.zeros((1, 2)), W, np.zeros(1), lam=1.0)
    value, dW, db = _penalty(result, "contractive_penalty", ("value", "dW", "db"))
    t.check_close(value, 0.3125, "penalty for x = [[0, 0]], W = [[1], [2]], b = [0], lam = 1 (h = 0.5)")
    t.check_close(dW, [[0.125], [0.25]], "dW for x = 0, b = 0: only the term 2 lam / n W s^2 remains")
    t.check_close(db, [0.0], "db for b = 0: h = 0.5, so 1 - 2h = 0")
    result = t.call("contractive_penalty", np.zeros((1, 2)), W, np.array([np.log(3.0)]), lam=2.0)
    value, dW, db = _penalty(result, "contractive_penalty", ("value", "dW", "db"))
    t.check_close(value, 2.0 * 0.1875 ** 2 * 5, "penalty for x = 0, b = log 3 (h = 0.75), lam = 2")
    t.check_close(db, [2.0 * 2 * 0.1875 ** 2 * (-0.5) * 5], "db for x = 0, b = log 3, lam = 2")
    t.check_close(dW, 2.0 * 2 * W * 0.1875 ** 2, "dW for x = 0, b = log 3, lam = 2")
    # the visible random case: the gradients must match central differences of the student's own value
    rng = np.random.default_rng(1)
    X, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    value, dW, db = _penalty(t.call("contractive_penalty", X, W, b, lam=0.5), "contractive_penalty",
                             ("value", "dW", "db"))
    dW = _numbers(dW, "dW for W of shape (4, 3)", (4, 3))
    db = _numbers(db, "db for b of shape (3,)", (3,))

    def own_value(X, W, b):
        return _penalty(t.call("contractive_penalty", X, W, b, 0.5), "contractive_penalty",
                        ("value", "dW", "db"))[0]

    eps = 1e-6
    numeric_W, numeric_b = np.zeros_like(W), np.zeros_like(b)
    for idx in np.ndindex(*W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        numeric_W[idx] = (own_value(X, Wp, b) - own_value(X, Wm, b)) / (2 * eps)
    for j in range(3):
        bp, bm = b.copy(), b.copy()
        bp[j] += eps
        bm[j] -= eps
        numeric_b[j] = (own_value(X, W, bp) - own_value(X, W, bm)) / (2 * eps)
    t.check_close(dW, numeric_W, "dW vs central differences of your own penalty (random X, W, b)", rtol=1e-5, atol=1e-8)
    t.check_close(db, numeric_b, "db vs central differences of your own penalty (random X, W, b)", rtol=1e-5, atol=1e-8)
    # hidden inputs: against mlkit's ContractiveAutoencoder and a Jacobian computed by torch.autograd
    rng = t.rng
    cases = [(rng.normal(size=(20, 10)), rng.normal(size=(10, 6)), rng.normal(size=6), 0.7),
             (rng.normal(size=(1, 5)), rng.normal(size=(5, 4)), rng.normal(size=4), 1.0),
             (np.zeros((4, 6)), rng.normal(size=(6, 3)), rng.normal(size=3), 2.0),
             (rng.random((16, 784)), 0.05 * rng.normal(size=(784, 24)), np.zeros(24), 1e-3),
             (rng.normal(size=(7, 5)), rng.normal(size=(5, 5)), rng.normal(size=5), 0.0),
             (rng.normal(size=(6, 4)), 300.0 * rng.normal(size=(4, 5)), rng.normal(size=5), 0.5)]  # saturated
    for X, W, b, lam in cases:
        n, d = X.shape
        m = W.shape[1]
        seed = _seed(t)
        cae = ContractiveAutoencoder(d, m, lam=lam, rng=seed)
        plain = Autoencoder(d, m, rng=seed)
        for model in (cae, plain):
            model.W_e.data[...], model.b_e.data[...] = W, b
        cae.W_dec.data[...] = plain.W_dec.data
        with np.errstate(all="ignore"):
            cae.loss(X)
            cae.backward()
            plain.loss(X)
            plain.backward()
        t_value, t_dW, t_db = _torch_jacobian_penalty(X, W, b, lam)
        value, dW, db = _contractive(t, X, W, b, lam)
        where = f"for X {X.shape}, W {W.shape}, lam = {lam}" + (" (saturated units)" if np.abs(W).max() > 100 else "")
        t.check_close(value, cae.penalty_, f"the penalty {where} (vs mlkit.autoencoders.ContractiveAutoencoder)",
                      rtol=1e-9, atol=1e-12)
        t.check_close(value, t_value, f"the penalty {where} (vs the Jacobian computed by torch.autograd)",
                      rtol=1e-9, atol=1e-12)
        t.check_close(dW, t_dW, f"dW {where} (vs torch.autograd)", rtol=1e-8, atol=1e-12)
        t.check_close(db, t_db, f"db {where} (vs torch.autograd)", rtol=1e-8, atol=1e-12)
        t.check_close(dW, cae.W_e.grad - plain.W_e.grad, f"dW {where} (vs ContractiveAutoencoder)",
                      rtol=1e-6, atol=1e-10)
        t.check_close(db, cae.b_e.grad - plain.b_e.grad, f"db {where} (vs ContractiveAutoencoder)",
                      rtol=1e-6, atol=1e-10)


# --------------------------------------------------------------------------------------------------------
# 4. corrupting the input


def _corrupted(out, shape, what) -> np.ndarray:
    """The array ``corrupt`` returned, checked to be a numpy array of ``shape``."""
    assert isinstance(out, np.ndarray) and out.shape == tuple(shape), (
        f"corrupt should return an array of the shape of X {tuple(shape)}, got {type(out).__name__}"
        + (f" {out.shape}" if isinstance(out, np.ndarray) else "") + f" ({what})")
    return _numbers(out, f"the result of {what}")


def _check_gaussian(noise, sigma, what):
    """noise looks like independent draws from N(0, sigma^2) (5-sigma tolerances)."""
    N = noise.size
    assert abs(noise.mean()) < 5 * sigma / np.sqrt(N), f"{what}: the noise should have mean 0, got {noise.mean():.4g}"
    assert abs(noise.std() / sigma - 1) < 5 / np.sqrt(2 * N), (
        f"{what}: the noise should have standard deviation {sigma}, got {noise.std():.4g}")
    inside = np.mean(np.abs(noise) < sigma)
    assert abs(inside - 0.6827) < 5 * np.sqrt(0.6827 * 0.3173 / N), (
        f"{what}: 68.3 % of normal noise lies within one standard deviation, {inside:.1%} of yours does")


# The kernel makes the Generators from integer seeds, after seeding np.random's global generator, whose state
# must be the same afterwards. (The comment line names corrupt for the message if it raises.)
WITH_GENERATOR = """# corrupt(X, kind, level, rng) with rng a Generator
import numpy as _np
_np.random.seed(global_seed)
_before = _np.random.get_state()
_gen = _np.random.default_rng(seed)
first = corrupt(X, kind, level, _gen)
second = corrupt(X, kind, level, _gen)
fresh = corrupt(X, kind, level, _np.random.default_rng(seed))
_after = _np.random.get_state()
global_untouched = bool(_np.array_equal(_before[1], _after[1]) and tuple(_before[2:]) == tuple(_after[2:]))
"""


def _with_generator(t, X, kind, level):
    """(first, second, fresh) from WITH_GENERATOR, checked: arrays, np.random untouched, X unchanged, the same
    seed giving the same result and a Generator moving on."""
    first, second, fresh, after, untouched = t.run(
        WITH_GENERATOR, returns=("first", "second", "fresh", "X", "global_untouched"),
        X=X, kind=kind, level=level, seed=_seed(t), global_seed=_seed(t))
    what = f"corrupt(X, {kind!r}, {level}, rng) with rng a Generator"
    first, second, fresh = (_corrupted(out, X.shape, what) for out in (first, second, fresh))
    assert untouched is True, "corrupt must draw from rng, not from np.random's global generator"
    t.check_close(after, X, "X after corrupt (it must not be modified)")
    return first, second, fresh


@spec.test("test_corrupt_gaussian")
def corrupt_gaussian(t):
    X = np.tile(np.linspace(0.0, 1.0, 300), (200, 1))
    out, after = t.run("result = corrupt(X, 'gaussian', 0.3, 0)", returns=("result", "X"), X=X)
    out = _corrupted(out, X.shape, "corrupt(X, 'gaussian', 0.3, 0)")
    t.check_close(after, X, "X after corrupt (corrupt must return a new array and leave X unchanged)")
    _check_gaussian(out - X, 0.3, "gaussian noise with level 0.3")
    again = _corrupted(t.call("corrupt", X, "gaussian", 0.3, 0), X.shape, "a second call with seed 0")
    t.check_close(again, out, "a second call with the same seed 0 (must give the same result)")
    other = _corrupted(t.call("corrupt", X, "gaussian", 0.3, 1), X.shape, "corrupt with seed 1")
    assert not np.allclose(other, out), "different seeds should give different noise"
    t.check_close(t.call("corrupt", X, "gaussian", 0.0, 0), X, "gaussian noise with level 0 (no noise)")
    one = t.call("corrupt", X[:1], "gaussian", 0.3, 0)
    assert isinstance(one, np.ndarray) and one.shape == (1, 300), "corrupt on a batch of one sample: shape (1, 300)"
    # hidden inputs, and rng a Generator
    X = t.rng.random((250, 400))
    first, second, fresh = _with_generator(t, X, "gaussian", 1.7)
    noise = first - X
    _check_gaussian(noise, 1.7, "gaussian noise with level 1.7 (rng a Generator)")
    t.check_close(fresh, first, "corrupt with two Generators of the same seed (must give the same noise)")
    assert not np.allclose(second, first), "two calls with the same Generator should give different noise (it moves on)"
    # the noise does not depend on X, and entries are independent
    _check_gaussian(noise[X < 0.5], 1.7, "the noise where X < 0.5")
    _check_gaussian(noise[X >= 0.5], 1.7, "the noise where X >= 0.5")
    corr = np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]
    assert abs(corr) < 0.03, f"the noise of neighbouring entries should be independent, correlation {corr:.3f}"
    corr = np.corrcoef(noise[:-1].ravel(), noise[1:].ravel())[0, 1]
    assert abs(corr) < 0.03, f"the noise of different samples should be independent, correlation {corr:.3f}"
    # the same spread as mlkit's DenoisingAutoencoder(noise="gaussian")
    dae = DenoisingAutoencoder(400, 8, noise="gaussian", noise_level=1.7, rng=_seed(t))
    reference = dae.corrupt(X) - X
    ratio = noise.std() / reference.std()
    assert abs(ratio - 1) < 5 / np.sqrt(X.size), (
        f"the noise has standard deviation {noise.std():.4g}, mlkit's DenoisingAutoencoder {reference.std():.4g}")
    one = t.call("corrupt", X[:1], "gaussian", 0.5, _seed(t))
    assert isinstance(one, np.ndarray) and one.shape == (1, 400), (
        f"a batch of one sample: shape (1, 400), got {type(one).__name__} {np.shape(one) if isinstance(one, np.ndarray) else ''}")
    zero_input = _corrupted(t.call("corrupt", np.zeros((300, 200)), "gaussian", 0.05, _seed(t)), (300, 200),
                            "corrupt of zeros (300, 200)")
    _check_gaussian(zero_input, 0.05, "gaussian noise on zero inputs, level 0.05")


@spec.test("test_corrupt_mask")
def corrupt_mask(t):
    X = np.tile(np.linspace(0.1, 1.0, 300), (200, 1))  # no zeros in X: every zero of the output is a masked entry
    out, after = t.run("result = corrupt(X, 'mask', 0.3, 0)", returns=("result", "X"), X=X)
    out = _corrupted(out, X.shape, "corrupt(X, 'mask', 0.3, 0)")
    t.check_close(after, X, "X after corrupt (corrupt must return a new array and leave X unchanged)")
    masked = out == 0
    fraction = masked.mean()
    assert abs(fraction - 0.3) < 5 * np.sqrt(0.3 * 0.7 / X.size), (
        f"level 0.3 should mask 30 % of the entries, not {fraction:.1%}")
    t.check_close(out[~masked], X[~masked], "the entries that are not masked (they stay as they are: no rescaling)")
    again = _corrupted(t.call("corrupt", X, "mask", 0.3, 0), X.shape, "a second call with seed 0")
    t.check_close(again, out, "a second call with the same seed 0 (must give the same result)")
    other = _corrupted(t.call("corrupt", X, "mask", 0.3, 1), X.shape, "corrupt with seed 1")
    assert not np.array_equal(other, out), "different seeds should mask different entries"
    t.check_close(t.call("corrupt", X, "mask", 0.0, 0), X, "masking with level 0 (nothing masked)")
    t.check_close(t.call("corrupt", X, "mask", 1.0, 0), np.zeros_like(X), "masking with level 1 (everything masked)")
    raised = t.run("try:\n"
                   "    corrupt(X, 'salt-and-pepper', 0.1, 0)\n"
                   "except ValueError:\n"
                   "    result = True\n"
                   "else:\n"
                   "    result = False\n", X=X)
    assert raised is True, "corrupt should raise a ValueError for an unknown kind such as 'salt-and-pepper'"
    # hidden inputs, negative entries (they keep their sign when not masked), and rng a Generator
    X = 0.2 + t.rng.random((300, 250))
    X[:, ::2] *= -1.0
    first, second, fresh = _with_generator(t, X, "mask", 0.75)
    half = _corrupted(t.call("corrupt", X, "mask", 0.5, _seed(t)), X.shape, "corrupt(X, 'mask', 0.5, seed)")
    t.check_close(fresh, first, "corrupt with two Generators of the same seed (must mask the same entries)")
    assert not np.array_equal(second, first), "two calls with the same Generator should mask different entries"
    n, d = X.shape
    for out, p in [(first, 0.75), (half, 0.5)]:
        masked = out == 0
        fraction = masked.mean()
        assert abs(fraction - p) < 5 * np.sqrt(p * (1 - p) / X.size), (
            f"level {p} should mask {p:.0%} of the entries, not {fraction:.1%}")
        t.check_close(out[~masked], X[~masked], f"the entries that are not masked at level {p} (no rescaling)")
        # every entry on its own: the fraction per sample and per input varies like a binomial count, no more
        per_row, per_col = masked.mean(axis=1), masked.mean(axis=0)
        assert per_row.std() < 2 * np.sqrt(p * (1 - p) / d), (
            f"level {p}: the fraction masked varies too much between samples (mask each entry independently)")
        assert per_col.std() < 2 * np.sqrt(p * (1 - p) / n), (
            f"level {p}: the fraction masked varies too much between inputs (mask each entry independently)")
        corr = np.corrcoef(masked[:, :-1].ravel(), masked[:, 1:].ravel())[0, 1]
        assert abs(corr) < 0.03, f"level {p}: masks of neighbouring entries should be independent, correlation {corr:.3f}"
        # the same masking rate as mlkit's DenoisingAutoencoder(noise="mask")
        reference = DenoisingAutoencoder(d, 8, noise="mask", noise_level=p, rng=_seed(t)).corrupt(X) == 0
        assert abs(fraction - reference.mean()) < 5 * np.sqrt(2 * p * (1 - p) / X.size), (
            f"level {p}: you mask {fraction:.2%} of the entries, mlkit's DenoisingAutoencoder {reference.mean():.2%}")
    one = t.call("corrupt", X[:1], "mask", 0.5, _seed(t))
    assert isinstance(one, np.ndarray) and one.shape == (1, d), (
        f"a batch of one sample: shape (1, {d}), got {type(one).__name__} {np.shape(one) if isinstance(one, np.ndarray) else ''}")
    t.check_close(t.call("corrupt", np.zeros((5, 4)), "mask", 0.5, _seed(t)), np.zeros((5, 4)),
                  "masking zero inputs (they stay 0)")

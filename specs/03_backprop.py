"""Hidden checks of exercise 03 (backpropagation), run by the judge in the grader's process.

Each check repeats its test cell's visible cases, then draws fresh inputs from ``t.rng`` (seeded per
student) and compares the student's results with mlkit and with PyTorch's autograd, computed here.
"""

import numpy as np
import torch

from mlgrade.spec import Spec
from mlkit.activations import ReLU
from mlkit.gradcheck import numerical_gradient as reference_gradient
from mlkit.gradcheck import relative_error as reference_error
from mlkit.layers import Linear, Sequential
from mlkit.losses import MSELoss

spec = Spec("03_backprop", unavailable=["mlkit.layers", "mlkit.activations", "mlkit.losses", "mlkit.gradcheck"])


def _mlp(p):
    """mlkit's Linear -> ReLU -> Linear holding the parameters ``p``."""
    (d, h), k = p["W1"].shape, p["W2"].shape[1]
    model = Sequential(Linear(d, h, init="zeros"), ReLU(), Linear(h, k, init="zeros"))
    model[0].W.data[...], model[0].b.data[...] = p["W1"], p["b1"]
    model[2].W.data[...], model[2].b.data[...] = p["W2"], p["b2"]
    return model


def _random_params(rng, d, h, k):
    return {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "W2": rng.normal(size=(h, k)),
            "b2": rng.normal(size=k)}


@spec.test("test_linear_forward")
def linear_forward(t):
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]])
    b = np.array([0.5, 0.0, -1.0])
    t.check_close(t.call("linear_forward", X, W, b), [[1.5, 2.0, 0.0], [3.5, 4.0, 0.0]],
                  "linear_forward(X, W, b) for 2 samples")
    cases = [(t.rng.normal(size=(n, d)), t.rng.normal(size=(d, m)), t.rng.normal(size=m))
             for n, d, m in [(7, 3, 4), (1, 5, 2), (12, 1, 1), (4, 6, 1), (3, 2, 9)]]
    cases.append((1000.0 * t.rng.normal(size=(5, 3)), t.rng.normal(size=(3, 2)), np.zeros(2)))
    cases.append((np.zeros((3, 4)), t.rng.normal(size=(4, 2)), np.array([1.0, -2.0])))
    for X, W, b in cases:
        layer = Linear(*W.shape, init="zeros")
        layer.W.data[...], layer.b.data[...] = W, b
        expected_torch = torch.nn.functional.linear(torch.tensor(X), torch.tensor(W.T), torch.tensor(b)).numpy()
        got = t.call("linear_forward", X, W, b)
        t.check_close(got, layer.forward(X), f"linear_forward on X {X.shape}, W {W.shape} (vs mlkit.layers.Linear)")
        t.check_close(got, expected_torch, f"linear_forward on X {X.shape}, W {W.shape} (vs torch)", rtol=1e-12)


def _linear_grads(X, W, b, G):
    """(dX, dW, db) from mlkit and from torch.autograd."""
    layer = Linear(*W.shape, init="zeros")
    layer.W.data[...], layer.b.data[...] = W, b
    layer.forward(X)
    ref = (layer.backward(G), layer.W.grad.copy(), layer.b.grad.copy())
    Xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (X, W.T.copy(), b))
    torch.nn.functional.linear(Xt, Wt, bt).backward(torch.tensor(G))
    return ref, (Xt.grad.numpy(), Wt.grad.numpy().T, bt.grad.numpy())


@spec.test("test_linear_backward")
def linear_backward(t):
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]])
    cases = [(np.array([[1.0, 2.0]]), W, np.zeros(3), np.array([[1.0, -1.0, 2.0]])),
             (np.array([[1.0, 2.0], [3.0, 4.0]]), W, np.zeros(3), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))]
    cases += [(t.rng.normal(size=(n, d)), t.rng.normal(size=(d, m)), t.rng.normal(size=m),
               t.rng.normal(size=(n, m))) for n, d, m in [(6, 3, 4), (1, 4, 2), (10, 1, 1), (1, 1, 5), (8, 5, 3)]]
    cases.append((np.zeros((3, 2)), t.rng.normal(size=(2, 4)), t.rng.normal(size=4), t.rng.normal(size=(3, 4))))
    cases.append((t.rng.normal(size=(4, 3)), t.rng.normal(size=(3, 2)), t.rng.normal(size=2), np.zeros((4, 2))))
    cases.append((1000.0 * t.rng.normal(size=(5, 3)), t.rng.normal(size=(3, 2)), t.rng.normal(size=2),
                  1000.0 * t.rng.normal(size=(5, 2))))
    for X, W, b, G in cases:
        ref, ref_t = _linear_grads(X, W, b, G)
        result = t.call("linear_backward", X, W, G)
        assert isinstance(result, tuple) and len(result) == 3, "linear_backward should return a tuple (dX, dW, db)"
        where = f"for X {X.shape}, W {W.shape}"
        for got, r, r_t, name in zip(result, ref, ref_t, ["dX", "dW", "db"]):
            t.check_close(got, r, f"{name} {where} (vs mlkit.layers.Linear)")
            t.check_close(got, r_t, f"{name} {where} (vs torch.autograd)", rtol=1e-10)


@spec.test("test_worked_example_step")
def worked_example_step(t):
    x = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    W1 = torch.ones((2, 2), dtype=torch.float64, requires_grad=True)
    b1 = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    W2 = torch.ones((2, 1), dtype=torch.float64, requires_grad=True)
    b2 = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    n1 = x @ W1 + b1
    a1 = torch.relu(n1)
    a2 = a1 @ W2 + b2
    n1.retain_grad()
    a2.retain_grad()
    ((0.0 - a2) ** 2).sum().backward()
    expected = {"n1": n1, "a1": a1, "a2": a2, "s2": a2.grad, "s1": n1.grad, "W1": W1 - 0.1 * W1.grad,
                "b1": b1 - 0.1 * b1.grad, "W2": W2 - 0.1 * W2.grad, "b2": b2 - 0.1 * b2.grad}
    out = t.call("worked_example_step")
    assert isinstance(out, dict), f"worked_example_step should return a dict, got {type(out).__name__}"
    missing = [key for key in expected if key not in out]
    assert not missing, f"the dict returned by worked_example_step lacks the keys {missing}"
    for key, value in expected.items():
        t.check_close(out[key], value.detach().numpy(), f"{key} (computed with torch.autograd)")


@spec.test("test_mlp_forward")
def mlp_forward(t):
    cases = [(np.array([[1.0, 1.0]]), {"W1": np.ones((2, 2)), "b1": np.zeros(2), "W2": np.ones((2, 1)),
                                       "b2": np.zeros(1)}),
             (np.array([[1.0, -2.0], [3.0, 4.0]]), {"W1": np.eye(2), "b1": np.zeros(2),
                                                    "W2": np.array([[1.0], [1.0]]), "b2": np.array([0.5])})]
    cases += [(t.rng.normal(size=(n, d)), _random_params(t.rng, d, h, k))
              for n, d, h, k in [(8, 3, 5, 2), (1, 4, 3, 1), (16, 2, 1, 3), (5, 6, 4, 4)]]
    cases.append((np.zeros((3, 2)), _random_params(t.rng, 2, 4, 2) | {"b1": np.array([0.0, 0.5, -0.5, 0.0])}))
    cases.append((1000.0 * t.rng.normal(size=(6, 3)), _random_params(t.rng, 3, 4, 2)))
    for X, p in cases:
        model = _mlp(p)
        ref_N1 = model[0](X)
        ref_A1 = model[1](ref_N1)
        ref_A2 = model[2](ref_A1)
        t_A2 = torch.nn.functional.linear(
            torch.relu(torch.nn.functional.linear(torch.tensor(X), torch.tensor(p["W1"].T), torch.tensor(p["b1"]))),
            torch.tensor(p["W2"].T), torch.tensor(p["b2"])).numpy()
        result = t.call("mlp_forward", X, p)
        assert isinstance(result, tuple) and len(result) == 3, "mlp_forward should return a tuple (N1, A1, A2)"
        N1, A1, A2 = result
        where = f"for X {X.shape}, h = {p['W1'].shape[1]}, k = {p['W2'].shape[1]}"
        t.check_close(N1, ref_N1, f"N1 {where}")
        t.check_close(A1, ref_A1, f"A1 {where}")
        t.check_close(A2, ref_A2, f"A2 {where} (vs mlkit)")
        t.check_close(A2, t_A2, f"A2 {where} (vs torch)", rtol=1e-10)


@spec.test("test_mlp_backward")
def mlp_backward(t):
    worked = {"W1": np.ones((2, 2)), "b1": np.zeros(2), "W2": np.ones((2, 1)), "b2": np.zeros(1)}
    cases = [(np.array([[1.0, 1.0]]), np.array([[0.0]]), worked),
             (np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[0.0], [0.0]]), worked),  # a mean over samples
             (np.array([[1.0, -2.0]]), np.array([[1.0]]),  # the second hidden unit is off
              {"W1": np.eye(2), "b1": np.zeros(2), "W2": np.array([[1.0], [1.0]]), "b2": np.array([0.5])})]
    cases += [(t.rng.normal(size=(n, d)), t.rng.normal(size=(n, k)), _random_params(t.rng, d, h, k))
              for n, d, h, k in [(8, 3, 5, 2), (1, 4, 3, 1), (16, 2, 1, 3), (5, 6, 4, 4), (1, 1, 1, 1)]]
    # zero inputs: N1 = b1, with two net inputs exactly 0 (derivative 0 there, as torch)
    cases.append((np.zeros((3, 2)), t.rng.normal(size=(3, 2)),
                  _random_params(t.rng, 2, 4, 2) | {"b1": np.array([0.0, 0.5, -0.5, 0.0])}))
    cases.append((1000.0 * t.rng.normal(size=(6, 3)), t.rng.normal(size=(6, 2)), _random_params(t.rng, 3, 4, 2)))
    for X, Y, p in cases:
        model = _mlp(p)
        N1 = model[0](X)
        A1 = model[1](N1)
        A2 = model[2](A1)
        loss = MSELoss()
        loss(A2, Y)
        model.backward(loss.backward())
        ref = {"W1": model[0].W.grad, "b1": model[0].b.grad, "W2": model[2].W.grad, "b2": model[2].b.grad}
        tp = {key: torch.tensor(v.T.copy() if key.startswith("W") else v, requires_grad=True) for key, v in p.items()}
        out = torch.nn.functional.linear(torch.relu(torch.nn.functional.linear(torch.tensor(X), tp["W1"], tp["b1"])),
                                         tp["W2"], tp["b2"])
        torch.nn.functional.mse_loss(out, torch.tensor(Y)).backward()
        grads = t.call("mlp_backward", X, Y, p, N1, A1, A2)
        assert isinstance(grads, dict), f"mlp_backward should return a dict, got {type(grads).__name__}"
        missing = [key for key in ref if key not in grads]
        assert not missing, f"the dict returned by mlp_backward lacks the keys {missing}"
        case = f"for X {X.shape}, h = {p['W1'].shape[1]}, Y {Y.shape}"
        for key in ref:
            torch_grad = tp[key].grad.numpy()
            t.check_close(grads[key], ref[key], f"dL/d{key} {case} (vs mlkit)")
            t.check_close(grads[key], torch_grad.T if key.startswith("W") else torch_grad,
                          f"dL/d{key} {case} (vs torch.autograd)", rtol=1e-10, atol=1e-12)


def _numerical_gradient(t, f_source, x, **kwargs):
    """The student's numerical_gradient of ``f`` (Python source of a function of x) at x, checking that x
    comes back exactly restored."""
    g, after = t.run(f"g = numerical_gradient(lambda: float({f_source}), x, **kwargs)", returns=("g", "x"),
                     x=x, kwargs=kwargs)
    assert isinstance(after, np.ndarray) and np.array_equal(after, x), (
        "x was not restored exactly: set each entry back to its saved value (x[i] = old)")
    return g


@spec.test("test_numerical_gradient")
def numerical_gradient(t):
    x = np.array([1.0, 2.0, -3.0])
    t.check_close(_numerical_gradient(t, "np.sum(x ** 2)", x), 2 * x, "numerical_gradient of sum(x**2) at x = [1, 2, -3]",
                  rtol=1e-6, atol=1e-8)
    A = np.array([[0.5, -1.0], [2.0, 0.25]])
    t.check_close(_numerical_gradient(t, "np.sum(np.sin(x))", A), np.cos(A),
                  "numerical_gradient of sum(sin(A)) for a 2x2 matrix", rtol=1e-6, atol=1e-8)
    # central differences are exact for a cubic up to eps**2: [(v + e)**3 - (v - e)**3] / (2 e) = 3 v**2 + e**2
    x = t.rng.normal(size=(3, 4))
    for eps in [1e-3, 1e-2]:
        g = _numerical_gradient(t, "np.sum(x ** 3)", x, eps=eps)
        t.check_close(g, 3 * x ** 2 + eps ** 2, f"numerical_gradient of sum(x**3) with eps={eps} (central differences)",
                      rtol=1e-9, atol=1e-8)
    # a small tanh network: the gradient with respect to its weights, against torch.autograd and mlkit
    X, Y = t.rng.normal(size=(7, 3)), t.rng.normal(size=(7, 2))
    W1, b1, W2 = t.rng.normal(size=(3, 4)), t.rng.normal(size=4), t.rng.normal(size=(4, 2))
    tW1, tb1, tW2 = (torch.tensor(a.copy(), requires_grad=True) for a in (W1, b1, W2))
    torch.mean((torch.tanh(torch.tensor(X) @ tW1 + tb1) @ tW2 - torch.tensor(Y)) ** 2).backward()
    weights = {"W1": W1, "b1": b1, "W2": W2}
    for name, t_grad in [("W1", tW1.grad), ("b1", tb1.grad), ("W2", tW2.grad)]:
        def loss():
            return float(np.mean((np.tanh(X @ weights["W1"] + weights["b1"]) @ weights["W2"] - Y) ** 2))
        expected_mlkit = reference_gradient(loss, weights[name])
        others = {k: v for k, v in weights.items() if k != name}
        expression = "np.mean((np.tanh(X @ W1 + b1) @ W2 - Y) ** 2)".replace(name, "x")
        g, after = t.run(f"g = numerical_gradient(lambda: float({expression}), x)", returns=("g", "x"),
                         x=weights[name], X=X, Y=Y, **others)
        assert np.array_equal(after, weights[name]), f"{name} was not restored exactly by numerical_gradient"
        t.check_close(g, t_grad.numpy(), f"numerical_gradient of an MSE loss w.r.t. {name} {weights[name].shape} "
                      "(vs torch.autograd)", rtol=1e-6, atol=1e-8)
        t.check_close(g, expected_mlkit, f"numerical_gradient w.r.t. {name} (vs mlkit.gradcheck)", rtol=1e-6, atol=1e-9)
    # a 3-D array and an array with a single entry
    T, C = t.rng.normal(size=(2, 3, 2)), np.arange(12.0).reshape(2, 3, 2)
    g, after = t.run("g = numerical_gradient(lambda: float(np.sum(np.exp(x) * C)), x)", returns=("g", "x"), x=T, C=C)
    assert np.array_equal(after, T), "a 3-D x was not restored exactly by numerical_gradient"
    t.check_close(g, np.exp(T) * C, "numerical_gradient for a 3-D array", rtol=1e-6, atol=1e-8)
    s = np.array([t.rng.uniform(-1, 1)])
    t.check_close(_numerical_gradient(t, "np.sin(x[0])", s), np.cos(s), "numerical_gradient for an array with one entry",
                  rtol=1e-6, atol=1e-9)


@spec.test("test_relative_error")
def relative_error(t):
    r = t.call("relative_error", np.array([1.0, 2.0]), np.array([1.0, 2.2]))
    assert isinstance(r, (float, np.floating)), f"relative_error should return a float, got {type(r).__name__}"
    base = t.rng.normal(size=5)
    pairs = [(np.array([1.0, 2.0]), np.array([1.0, 2.2])), (np.zeros(3), np.zeros(3)),
             (np.array([[1e-8, -2e-8]]), np.array([[1e-8, -2e-8]]))]
    pairs += [(t.rng.normal(size=(4, 3)), t.rng.normal(size=(4, 3))) for _ in range(3)]
    pairs += [(base, base + 1e-9 * t.rng.normal(size=5)), (1e6 * base, 1e6 * base + 1.0), (1e-7 * base, 2e-7 * base)]
    pairs += [(np.zeros((2, 2)), t.rng.normal(size=(2, 2))), (t.rng.normal(size=7), np.zeros(7)),
              (np.array([-3.0]), np.array([3.0])), (np.zeros((3, 1)), np.zeros((3, 1)))]
    for a, b in pairs:
        expected = reference_error(a, b)
        for first, second, which in [(a, b, "relative_error(a, b)"), (b, a, "relative_error(b, a)")]:
            got = t.call("relative_error", first, second)
            assert np.ndim(got) == 0, f"relative_error should return one number, got shape {np.shape(got)}"
            t.check_close(got, expected, f"{which} for arrays of shape {a.shape}", rtol=1e-12, atol=1e-300)

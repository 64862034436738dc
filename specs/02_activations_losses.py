"""Hidden checks of exercise 02 (activations and losses), run by the judge in the grader's process.

Each check repeats its test cell's visible cases, then draws fresh inputs from ``t.rng`` (seeded per
student) — random ones, all-zero ones, a batch of one sample and extreme ones (|z| up to 1000) — and
compares the student's results with ``mlkit.activations`` / ``mlkit.losses`` and with PyTorch, computed here.

As in the old in-notebook tests, the student's functions run under ``np.errstate(all="ignore")``: an
overflow *warning* costs nothing, only a wrong (NaN, infinite or inaccurate) result does. Every call also
hands its array arguments back, and a function that changed one of them in place fails (the intro's rules
say: do not modify the arrays you are given).
"""

import numpy as np
import torch
import torch.nn.functional as F

from mlgrade.spec import Spec
from mlkit.activations import ReLU, Sigmoid, Softmax, Tanh
from mlkit.losses import CrossEntropyLoss, HingeLoss, HuberLoss, MSELoss

spec = Spec("02_activations_losses", unavailable=["mlkit.activations", "mlkit.losses"])

# the parameter names of the graded functions, for messages about arguments changed in place
PARAMETERS = {
    "sigmoid": ("z",), "sigmoid_grad": ("z",), "tanh": ("z",), "tanh_grad": ("z",), "relu": ("z",),
    "relu_grad": ("z",), "softmax": ("z",), "softmax_backward": ("s", "g"), "mse": ("pred", "target"),
    "mse_grad": ("pred", "target"), "cross_entropy": ("logits", "y"), "cross_entropy_grad": ("logits", "y"),
    "hinge": ("scores", "y"), "hinge_grad": ("scores", "y"), "huber": ("pred", "target"),
    "huber_grad": ("pred", "target"),
}


def _call(t, function, *args, **kwargs):
    """``function(*args, **kwargs)`` in the student's kernel, under ``np.errstate(all="ignore")``; fails if
    the function changed one of its array arguments in place."""
    inputs = {f"_arg{i}": a for i, a in enumerate(args)} | {f"_kw_{k}": v for k, v in kwargs.items()}
    call_args = ", ".join([f"_arg{i}" for i in range(len(args))] + [f"{k}=_kw_{k}" for k in kwargs])
    code = (f"# {function}(...)\n"  # first, so that an exception is reported as raised by the function
            "import numpy as _mlgrade_np\n"
            "with _mlgrade_np.errstate(all='ignore'):\n"
            f"    result = {function}({call_args})\n")
    names = [f"_arg{i}" for i in range(len(args))]
    result, *after = t.run(code, returns=("result", *names), **inputs)
    params = PARAMETERS.get(function, ())
    for i, (before, back) in enumerate(zip(args, after)):
        if isinstance(before, np.ndarray):
            param = params[i] if i < len(params) else f"number {i + 1}"
            unchanged = (isinstance(back, np.ndarray) and back.shape == before.shape
                         and np.array_equal(back, before, equal_nan=before.dtype.kind == "f"))
            assert unchanged, (f"{function} changed its argument {param} in place: do not modify the arrays you "
                               "are given (compute new arrays, e.g. z = z - m instead of z -= m)")
    return result


def _torch(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


EXTREME = [-1000.0, -745.0, -40.0, -1e-8, 0.0, 1e-8, 40.0, 745.0, 1000.0]
EXTREME_LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [0.0, 1000.0, 1000.0]])


@spec.test("test_sigmoid")
def sigmoid(t):
    z = np.array([[0.0, 1.0], [-1.0, 2.0]])
    t.check_close(_call(t, "sigmoid", z), 1.0 / (1.0 + np.exp(-z)), "sigmoid([[0, 1], [-1, 2]])")
    t.check_close(_call(t, "sigmoid", np.array([-1000.0, 1000.0])), [0.0, 1.0],
                  "sigmoid([-1000, 1000]) (it must not be nan)")
    cases = [t.rng.normal(size=(50, 7)) * 10, t.rng.normal(size=13) * 3, np.zeros((3, 4)),
             np.array([[t.rng.normal()]]), np.array(EXTREME), t.rng.uniform(-1000, 1000, size=(4, 5))]
    for z in cases:
        got = _call(t, "sigmoid", z)
        t.check_close(got, Sigmoid().forward(z), f"sigmoid on an input of shape {z.shape} (vs mlkit)")
        t.check_close(got, torch.sigmoid(_torch(z)).numpy(), f"sigmoid on an input of shape {z.shape} (vs torch)")


@spec.test("test_sigmoid_grad")
def sigmoid_grad(t):
    t.check_close(_call(t, "sigmoid_grad", np.array([0.0])), [0.25], "sigmoid_grad([0])")
    s = 1.0 / (1.0 + np.exp(-2.0))
    t.check_close(_call(t, "sigmoid_grad", np.array([[2.0, -2.0]])), [[s * (1 - s), s * (1 - s)]],
                  "sigmoid_grad([[2, -2]])")
    t.check_close(_call(t, "sigmoid_grad", np.array([-1000.0, 1000.0])), [0.0, 0.0],
                  "sigmoid_grad([-1000, 1000]) (it must not be nan)")
    cases = [t.rng.normal(size=(40, 5)) * 8, np.zeros((2, 3)), np.array([[t.rng.normal()]]),
             np.array([-1000.0, -40.0, -1e-8, 0.0, 1e-8, 40.0, 1000.0]), t.rng.uniform(-1000, 1000, size=9)]
    for z in cases:
        layer = Sigmoid()
        layer.forward(z)
        expected = layer.backward(np.ones_like(z))
        zt = _torch(z, grad=True)
        torch.sigmoid(zt).sum().backward()
        got = _call(t, "sigmoid_grad", z)
        t.check_close(got, expected, f"sigmoid_grad on an input of shape {z.shape} (vs mlkit)")
        t.check_close(got, zt.grad.numpy(), f"sigmoid_grad on an input of shape {z.shape} (vs torch autograd)")


@spec.test("test_tanh")
def tanh(t):
    z = np.array([[0.0, 0.5], [-1.0, 3.0]])
    t.check_close(_call(t, "tanh", z), (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
                  "tanh([[0, 0.5], [-1, 3]])")
    t.check_close(_call(t, "tanh_grad", np.array([0.0])), [1.0], "tanh_grad([0])")
    t1 = (np.e - 1 / np.e) / (np.e + 1 / np.e)
    t.check_close(_call(t, "tanh_grad", np.array([1.0, -1.0])), [1 - t1 ** 2, 1 - t1 ** 2], "tanh_grad([1, -1])")
    t.check_close(_call(t, "tanh", np.array([-1000.0, 1000.0])), [-1.0, 1.0],
                  "tanh([-1000, 1000]) (it must not be nan)")
    t.check_close(_call(t, "tanh_grad", np.array([-1000.0, 1000.0])), [0.0, 0.0], "tanh_grad([-1000, 1000])")
    cases = [t.rng.normal(size=(30, 6)) * 4, t.rng.normal(size=9), np.zeros((4, 2)), np.array([[t.rng.normal()]]),
             np.array([-1000.0, -400.0, -20.0, -1e-9, 0.0, 1e-9, 20.0, 400.0, 1000.0]),
             t.rng.uniform(-1000, 1000, size=(3, 3))]
    for z in cases:
        layer = Tanh()
        expected = layer.forward(z)
        expected_grad = layer.backward(np.ones_like(z))
        zt = _torch(z, grad=True)
        out = torch.tanh(zt)
        out.sum().backward()
        got, got_grad = _call(t, "tanh", z), _call(t, "tanh_grad", z)
        t.check_close(got, expected, f"tanh on an input of shape {z.shape} (vs mlkit)")
        t.check_close(got, out.detach().numpy(), f"tanh on an input of shape {z.shape} (vs torch)")
        t.check_close(got_grad, expected_grad, f"tanh_grad on an input of shape {z.shape} (vs mlkit)")
        t.check_close(got_grad, zt.grad.numpy(), f"tanh_grad on an input of shape {z.shape} (vs torch autograd)")


@spec.test("test_relu")
def relu(t):
    z = np.array([[-2.0, 0.0], [0.5, 3.0]])
    t.check_close(_call(t, "relu", z), [[0.0, 0.0], [0.5, 3.0]], "relu([[-2, 0], [0.5, 3]])")
    t.check_close(_call(t, "relu_grad", z), [[0.0, 0.0], [1.0, 1.0]], "relu_grad([[-2, 0], [0.5, 3]]) (0 at z = 0)")
    cases = [t.rng.normal(size=(40, 6)) * 5, t.rng.integers(-3, 4, size=(10, 5)).astype(float),  # many exact zeros
             np.zeros(7), np.array([[-abs(t.rng.normal())]]), np.array([-1000.0, 1000.0])]
    for z in cases:
        layer = ReLU()
        expected = layer.forward(z)
        expected_grad = layer.backward(np.ones_like(z))
        zt = _torch(z, grad=True)
        out = torch.relu(zt)
        out.sum().backward()
        got, got_grad = _call(t, "relu", z), _call(t, "relu_grad", z)
        t.check_close(got, expected, f"relu on an input of shape {z.shape} (vs mlkit)")
        t.check_close(got, out.detach().numpy(), f"relu on an input of shape {z.shape} (vs torch)")
        t.check_close(got_grad, expected_grad, f"relu_grad on an input of shape {z.shape} (vs mlkit)")
        t.check_close(got_grad, zt.grad.numpy(), f"relu_grad on an input of shape {z.shape} (vs torch autograd)")


@spec.test("test_softmax")
def softmax(t):
    t.check_close(_call(t, "softmax", np.array([[0.0, 0.0]])), [[0.5, 0.5]], "softmax([[0, 0]])")
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, np.log(2.0)]])
    e = np.exp(z)
    t.check_close(_call(t, "softmax", z), e / e.sum(axis=1, keepdims=True),
                  "softmax([[1, 2, 3], [0, 0, log 2]]) (row by row)")
    t.check_close(_call(t, "softmax", np.array([[1000.0, 0.0, -1000.0]])), [[1.0, 0.0, 0.0]],
                  "softmax([[1000, 0, -1000]]) (it must not be nan)")
    cases = [t.rng.normal(size=(20, 6)) * 5, t.rng.normal(size=(3, 2)) + 500.0, np.zeros((3, 4)),
             t.rng.normal(size=(1, 5)), np.array([[t.rng.normal()]]),
             np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0], [-1000.0, 0.0, 1000.0]]),
             t.rng.normal(size=(4, 3)) * 600]
    for z in cases:
        got = _call(t, "softmax", z)
        t.check_close(got, Softmax().forward(z), f"softmax on scores of shape {z.shape} (vs mlkit)")
        t.check_close(got, F.softmax(_torch(z), dim=1).numpy(), f"softmax on scores of shape {z.shape} (vs torch)")


@spec.test("test_softmax_backward")
def softmax_backward(t):
    t.check_close(_call(t, "softmax_backward", np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])), [[0.25, -0.25]],
                  "softmax_backward(s=[[0.5, 0.5]], g=[[1, 0]])")
    s = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    t.check_close(_call(t, "softmax_backward", s, np.ones((2, 3))), np.zeros((2, 3)),
                  "softmax_backward(s, g = all ones) (adding a constant to g changes nothing)")
    J0 = np.diag(s[0]) - np.outer(s[0], s[0])
    g = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0]])
    t.check_close(_call(t, "softmax_backward", s, g), np.vstack([J0 @ g[0], np.zeros(3)]),
                  "softmax_backward(s, g) for s = [[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], g = [[1, -2, 0.5], [0, 0, 0]]")
    cases = [(t.rng.normal(size=(25, 7)) * 3, t.rng.normal(size=(25, 7))),
             (t.rng.normal(size=(1, 4)), t.rng.normal(size=(1, 4))),
             (np.zeros((3, 5)), t.rng.normal(size=(3, 5))),
             (np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]), t.rng.normal(size=(2, 3))),
             (t.rng.normal(size=(6, 1)), t.rng.normal(size=(6, 1))),
             (t.rng.normal(size=(4, 3)), np.zeros((4, 3)))]
    for z, g in cases:
        layer = Softmax()
        s = layer.forward(z)
        expected = layer.backward(g)
        zt = _torch(z, grad=True)
        F.softmax(zt, dim=1).backward(_torch(g))
        got = _call(t, "softmax_backward", s, g)
        t.check_close(got, expected, f"softmax_backward on arrays of shape {z.shape} (vs mlkit)", atol=1e-12)
        t.check_close(got, zt.grad.numpy(), f"softmax_backward on arrays of shape {z.shape} (vs torch autograd)",
                      atol=1e-12)


@spec.test("test_mse")
def mse(t):
    p, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    t.check_close(_call(t, "mse", p, y), 4.0 / 3.0, "mse([1, 2, 3], [1, 2, 5])")
    t.check_close(_call(t, "mse_grad", p, y), [0.0, 0.0, -4.0 / 3.0], "mse_grad([1, 2, 3], [1, 2, 5])")
    P = np.array([[1.0, 0.0], [0.0, 0.0]])
    t.check_close(_call(t, "mse", P, np.zeros((2, 2))), 0.25,
                  "mse on a (2, 2) array (the mean runs over all 4 entries)")
    t.check_close(_call(t, "mse_grad", P, np.zeros((2, 2))), [[0.5, 0.0], [0.0, 0.0]], "mse_grad on a (2, 2) array")
    cases = [(t.rng.normal(size=(13, 3)), t.rng.normal(size=(13, 3))),
             (t.rng.normal(size=8) * 50, t.rng.normal(size=8)),
             (np.zeros((4, 2)), np.zeros((4, 2))), (np.array([[t.rng.normal()]]), np.array([[t.rng.normal()]])),
             (t.rng.normal(size=(2, 3, 4)), t.rng.normal(size=(2, 3, 4))),
             (t.rng.normal(size=(5, 1)), t.rng.normal(size=(5, 1)))]
    for p, y in cases:
        loss = MSELoss()
        expected, expected_grad = loss(p, y), loss.backward()
        pt = _torch(p, grad=True)
        value = F.mse_loss(pt, _torch(y))
        value.backward()
        got, got_grad = _call(t, "mse", p, y), _call(t, "mse_grad", p, y)
        t.check_close(got, expected, f"mse on arrays of shape {p.shape} (vs mlkit)")
        t.check_close(got, value.item(), f"mse on arrays of shape {p.shape} (vs torch)")
        t.check_close(got_grad, expected_grad, f"mse_grad on arrays of shape {p.shape} (vs mlkit)")
        t.check_close(got_grad, pt.grad.numpy(), f"mse_grad on arrays of shape {p.shape} (vs torch autograd)")


def _labels(t, n, k):
    return t.rng.integers(0, k, size=n)


@spec.test("test_cross_entropy")
def cross_entropy(t):
    t.check_close(_call(t, "cross_entropy", np.array([[0.0, 0.0]]), np.array([0])), np.log(2.0),
                  "cross_entropy([[0, 0]], y=[0])")
    z = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    lse0 = np.log(np.exp(2.0) + np.exp(1.0) + 1.0)
    t.check_close(_call(t, "cross_entropy", z, np.array([1, 2])), ((lse0 - 1.0) + np.log(3.0)) / 2,
                  "cross_entropy([[2, 1, 0], [0, 0, 0]], y=[1, 2]) (mean over the 2 samples)")
    t.check_close(_call(t, "cross_entropy", np.array([[1000.0, 0.0]]), np.array([1])), 1000.0,
                  "cross_entropy([[1000, 0]], y=[1]) (use log-sum-exp: the loss is 1000, not inf or nan)")
    cases = [(t.rng.normal(size=(30, 5)) * 4, _labels(t, 30, 5)),
             (t.rng.normal(size=(1, 3)), _labels(t, 1, 3)),
             (np.zeros((4, 6)), np.array([0, 5, 2, 2])),
             (t.rng.normal(size=(8, 2)) * 600, _labels(t, 8, 2)),
             (EXTREME_LOGITS, np.array([1, 0, 2])),
             (t.rng.normal(size=(5, 1)), np.zeros(5, dtype=int))]
    for z, y in cases:
        expected = CrossEntropyLoss()(z, y)
        expected_torch = F.cross_entropy(_torch(z), torch.tensor(y)).item()
        got = _call(t, "cross_entropy", z, y)
        t.check_close(got, expected, f"cross_entropy on logits of shape {z.shape} (vs mlkit)")
        t.check_close(got, expected_torch, f"cross_entropy on logits of shape {z.shape} (vs torch)")


@spec.test("test_cross_entropy_grad")
def cross_entropy_grad(t):
    t.check_close(_call(t, "cross_entropy_grad", np.array([[0.0, 0.0]]), np.array([1])), [[0.5, -0.5]],
                  "cross_entropy_grad([[0, 0]], y=[1])")
    g = _call(t, "cross_entropy_grad", np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]]), np.array([0, 2]))
    t.check_close(g, np.array([[1 / 3 - 1, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3 - 1]]) / 2,
                  "cross_entropy_grad([[0, 0, 0], [5, 5, 5]], y=[0, 2]) (divided by n = 2)")
    cases = [(t.rng.normal(size=(30, 5)) * 4, _labels(t, 30, 5)),
             (t.rng.normal(size=(1, 3)), _labels(t, 1, 3)),
             (np.zeros((4, 6)), np.array([0, 5, 2, 2])),
             (EXTREME_LOGITS, np.array([1, 0, 2])),
             (t.rng.normal(size=(5, 1)), np.zeros(5, dtype=int)),
             (t.rng.normal(size=(6, 3)) * 600, _labels(t, 6, 3))]
    for z, y in cases:
        loss = CrossEntropyLoss()
        loss(z, y)
        expected = loss.backward()
        zt = _torch(z, grad=True)
        F.cross_entropy(zt, torch.tensor(y)).backward()
        got = _call(t, "cross_entropy_grad", z, y)
        t.check_close(got, expected, f"cross_entropy_grad on logits of shape {z.shape} (vs mlkit)")
        t.check_close(got, zt.grad.numpy(), f"cross_entropy_grad on logits of shape {z.shape} (vs torch autograd)")


@spec.test("test_hinge")
def hinge(t):
    s, y = np.array([2.0, 0.5, -1.0]), np.array([1, 1, 1])
    t.check_close(_call(t, "hinge", s, y), 2.5 / 3, "hinge([2, 0.5, -1], y=[1, 1, 1]) (terms 0, 0.5, 2)")
    t.check_close(_call(t, "hinge_grad", s, y), [0.0, -1 / 3, -1 / 3], "hinge_grad([2, 0.5, -1], y=[1, 1, 1])")
    s, y = np.array([-3.0, 0.25]), np.array([-1, -1])
    t.check_close(_call(t, "hinge", s, y), 1.25 / 2, "hinge([-3, 0.25], y=[-1, -1]) (terms 0, 1.25)")
    t.check_close(_call(t, "hinge_grad", s, y), [0.0, 0.5], "hinge_grad([-3, 0.25], y=[-1, -1])")
    cases = [(t.rng.normal(size=40) * 2, t.rng.choice([-1, 1], size=40)), (np.zeros(6), t.rng.choice([-1, 1], size=6)),
             (np.array([t.rng.uniform(-0.9, 0.9)]), np.array([-1])),
             (np.array([-1000.0, 1000.0, 1000.0, -1000.0]), np.array([1, 1, -1, -1])),
             (t.rng.normal(size=25) * 0.5 + 3.0, np.ones(25, dtype=int))]
    for s, y in cases:
        loss = HingeLoss()
        expected, expected_grad = loss(s, y), loss.backward()
        st = _torch(s, grad=True)
        value = torch.clamp(1.0 - _torch(y) * st, min=0.0).mean()
        value.backward()
        got, got_grad = _call(t, "hinge", s, y), _call(t, "hinge_grad", s, y)
        t.check_close(got, expected, f"hinge on {s.shape[0]} scores (vs mlkit)")
        t.check_close(got, value.item(), f"hinge on {s.shape[0]} scores (vs torch)")
        t.check_close(got_grad, expected_grad, f"hinge_grad on {s.shape[0]} scores (vs mlkit)")
        t.check_close(got_grad, st.grad.numpy(), f"hinge_grad on {s.shape[0]} scores (vs torch autograd)")


@spec.test("test_huber")
def huber(t):
    p, y = np.array([0.0, 0.5, 3.0]), np.zeros(3)
    t.check_close(_call(t, "huber", p, y), (0.0 + 0.125 + 2.5) / 3,
                  "huber([0, 0.5, 3], 0) (terms 0, 0.5 * 0.5^2, 1 * (3 - 0.5))")
    t.check_close(_call(t, "huber_grad", p, y), [0.0, 0.5 / 3, 1.0 / 3], "huber_grad([0, 0.5, 3], 0)")
    p, y = np.array([[-4.0, 1.0]]), np.array([[0.0, 0.0]])
    t.check_close(_call(t, "huber", p, y, delta=2.0), (2.0 * (4.0 - 1.0) + 0.5) / 2, "huber([[-4, 1]], 0, delta=2)")
    t.check_close(_call(t, "huber_grad", p, y, delta=2.0), [[-1.0, 0.5]], "huber_grad([[-4, 1]], 0, delta=2)")
    cases = [(t.rng.normal(size=(20, 3)) * 3, t.rng.normal(size=(20, 3)), 1.0),
             (t.rng.normal(size=30) * 4, t.rng.normal(size=30), 0.5),
             (t.rng.normal(size=(4, 5)) * 10, np.zeros((4, 5)), 2.5),
             (np.zeros((3, 2)), np.zeros((3, 2)), 1.0),
             (np.array([[t.rng.uniform(3.0, 10.0)]]), np.array([[-1.0]]), 1.0),
             (np.array([1000.0, -1000.0, 0.1]), np.zeros(3), 1.5),
             (t.rng.normal(size=(2, 3, 4)) * 2, t.rng.normal(size=(2, 3, 4)), float(t.rng.uniform(0.2, 3.0)))]
    for p, y, delta in cases:
        loss = HuberLoss(delta=delta)
        expected, expected_grad = loss(p, y), loss.backward()
        pt = _torch(p, grad=True)
        value = F.huber_loss(pt, _torch(y), delta=delta)
        value.backward()
        got = _call(t, "huber", p, y, delta=delta)
        got_grad = _call(t, "huber_grad", p, y, delta=delta)
        case = f"on arrays of shape {p.shape} with delta = {delta:g}"
        t.check_close(got, expected, f"huber {case} (vs mlkit)")
        t.check_close(got, value.item(), f"huber {case} (vs torch)")
        t.check_close(got_grad, expected_grad, f"huber_grad {case} (vs mlkit)")
        t.check_close(got_grad, pt.grad.numpy(), f"huber_grad {case} (vs torch autograd)")

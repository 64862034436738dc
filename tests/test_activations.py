"""Every activation: forward equals torch, backward equals torch autograd and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import away_from, t64
from mlkit import activations as A
from mlkit.gradcheck import check_gradients

pytestmark = pytest.mark.lecture04

torch.set_default_dtype(torch.float64)

# (mlkit module factory, torch function, kinks where the derivative jumps)
CASES = {
    "identity": (A.Identity, lambda z: z, []),
    "sigmoid": (A.Sigmoid, torch.sigmoid, []),
    "tanh": (A.Tanh, torch.tanh, []),
    "relu": (A.ReLU, torch.relu, [0.0]),
    "leaky_relu": (lambda: A.LeakyReLU(negative_slope=0.2), lambda z: F.leaky_relu(z, 0.2), [0.0]),
    "leaky_relu_default": (A.LeakyReLU, F.leaky_relu, [0.0]),
    "elu": (A.ELU, F.elu, [0.0]),
    "elu_alpha": (lambda: A.ELU(alpha=0.7), lambda z: F.elu(z, alpha=0.7), [0.0]),
    "softplus": (A.Softplus, F.softplus, []),
    "softplus_beta": (lambda: A.Softplus(beta=2.0, threshold=3.0),
                      lambda z: F.softplus(z, beta=2.0, threshold=3.0), [1.5]),
    "silu": (A.SiLU, F.silu, []),
    "mish": (A.Mish, F.mish, []),
    "hardtanh": (A.Hardtanh, F.hardtanh, [-1.0, 1.0]),
    "hardtanh_range": (lambda: A.Hardtanh(min_val=-0.5, max_val=2.0),
                       lambda z: F.hardtanh(z, -0.5, 2.0), [-0.5, 2.0]),
    "softmax": (A.Softmax, lambda z: torch.softmax(z, dim=1), []),
    "log_softmax": (A.LogSoftmax, lambda z: torch.log_softmax(z, dim=1), []),
}


def _inputs(rng, kinks, shape=(6, 5), scale=3.0):
    return away_from(rng.normal(0.0, scale, shape), kinks)


@pytest.mark.parametrize("name", CASES)
def test_forward_and_backward_match_torch(name, rng):
    make, torch_fn, kinks = CASES[name]
    z = _inputs(rng, kinks)
    g = rng.normal(size=z.shape)
    act = make()
    out = act.forward(z)
    zt = t64(z, grad=True)
    out_t = torch_fn(zt)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    out_t.backward(t64(g))
    np.testing.assert_allclose(act.backward(g), zt.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name, rng):
    make, _, kinks = CASES[name]
    report = check_gradients(make(), _inputs(rng, kinks), rng=1, tol=1e-7)
    assert report.max_error() < 1e-7


@pytest.mark.parametrize("num_parameters", [1, 5])
def test_prelu_matches_torch_including_its_weight_gradient(num_parameters, rng):
    z = away_from(rng.normal(0, 2, (7, 5)), [0.0])
    g = rng.normal(size=z.shape)
    act = A.PReLU(num_parameters=num_parameters, init=0.25)
    act.a.data[:] = rng.uniform(0.05, 0.5, num_parameters)
    tp = torch.nn.PReLU(num_parameters=num_parameters)
    with torch.no_grad():
        tp.weight.copy_(t64(act.a.data))
    zt = t64(z, grad=True)
    out_t = tp(zt)
    np.testing.assert_allclose(act(z), out_t.detach().numpy(), rtol=1e-12)
    out_t.backward(t64(g))
    np.testing.assert_allclose(act.backward(g), zt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(act.a.grad, tp.weight.grad.numpy(), rtol=1e-10)
    assert check_gradients(act, z, rng=2).max_error() < 1e-7


@pytest.mark.parametrize("num_parameters", [1, 3])
def test_prelu_keeps_float32(num_parameters):
    act = A.PReLU(num_parameters=num_parameters)
    z = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    assert act(z).dtype == np.float32 and act.backward(np.ones_like(z)).dtype == np.float32


def test_prelu_per_channel_needs_matching_features():
    with pytest.raises(ValueError, match=r"\(n, 3"):
        A.PReLU(num_parameters=3)(np.zeros((2, 4)))


def test_step_and_sign_values_and_zero_gradient():
    z = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]])
    np.testing.assert_array_equal(A.Step()(z), torch.heaviside(t64(z), t64(1.0)).numpy())
    np.testing.assert_array_equal(A.Step()(z), [[0, 1, 1, 1, 1]])
    np.testing.assert_array_equal(A.Sign()(z), torch.sign(t64(z)).numpy())
    assert A.Sign()(np.array([0.0]))[0] == 0.0
    for act in (A.Step(), A.Sign()):
        act(z)
        np.testing.assert_array_equal(act.backward(np.ones_like(z)), np.zeros_like(z))


EXTREME = np.array([[-1000.0, -800.0, -30.0, -1e-8, 0.5, 30.0, 800.0, 1000.0]])


@pytest.mark.parametrize("name", CASES)
def test_extreme_inputs_are_finite_silent_and_match_torch(name):
    make, torch_fn, _ = CASES[name]
    act = make()
    g = np.linspace(-1.0, 1.0, EXTREME.size).reshape(EXTREME.shape)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is harmless
        out = act(EXTREME)
        grad = act.backward(g)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))
    zt = t64(EXTREME, grad=True)
    out_t = torch_fn(zt)
    out_t.backward(t64(g))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("name", CASES)
def test_float32_stays_float32(name, rng):
    make, _, _ = CASES[name]
    z = rng.normal(size=(4, 3)).astype(np.float32)
    act = make()
    assert act(z).dtype == np.float32
    assert act.backward(np.ones_like(z)).dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 8)),
              elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_softmax_rows_are_distributions(z):
    s = A.Softmax()(z)
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(A.LogSoftmax()(z)), s, rtol=1e-9, atol=1e-300)
    # softmax is unchanged by adding a constant to every score of a row
    np.testing.assert_allclose(A.Softmax()(z + 17.0), s, rtol=1e-9, atol=1e-300)


def test_softmax_backward_is_the_full_jacobian_product(rng):
    z = rng.normal(size=(1, 4))
    g = rng.normal(size=(1, 4))
    sm = A.Softmax()
    s = sm(z)[0]
    jacobian = np.diag(s) - np.outer(s, s)
    np.testing.assert_allclose(sm.backward(g)[0], g[0] @ jacobian, rtol=1e-12)


@pytest.mark.parametrize("make, name", [
    (lambda: A.PReLU(num_parameters=0), "num_parameters"),
    (lambda: A.PReLU(num_parameters=2.0), "num_parameters"),
    (lambda: A.PReLU(init="0.25"), "init"),
    (lambda: A.LeakyReLU(negative_slope="0.1"), "negative_slope"),
    (lambda: A.ELU(alpha=float("nan")), "alpha"),
    (lambda: A.Softplus(beta=None), "beta"),
    (lambda: A.Hardtanh(min_val=1.0, max_val=1.0), "max_val"),
])
def test_bad_options_name_the_option(make, name):
    with pytest.raises(ValueError, match=f"^{name} must be .*, got"):
        make()


def test_softmax_requires_two_dimensional_scores():
    with pytest.raises(ValueError, match=r"\(n, k\).*\(5,\)"):
        A.Softmax()(np.zeros(5))


def test_backward_checks_shape_and_order():
    act = A.Tanh()
    with pytest.raises(RuntimeError, match="before forward"):
        act.backward(np.ones(3))
    act(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        act.backward(np.ones((3, 2)))


@pytest.mark.parametrize("name, cls", [("relu", A.ReLU), ("ReLU", A.ReLU), ("swish", A.SiLU),
                                       ("leaky-relu", A.LeakyReLU), ("hardlim", A.Step),
                                       ("log_softmax", A.LogSoftmax), (None, A.Identity)])
def test_get_activation_by_name(name, cls):
    assert isinstance(A.get_activation(name), cls)


def test_get_activation_options_and_errors():
    assert A.get_activation("elu", alpha=0.3).alpha == 0.3
    relu = A.ReLU()
    assert A.get_activation(relu) is relu
    with pytest.raises(ValueError, match="unknown activation 'gelu2'.*relu"):
        A.get_activation("gelu2")


def test_non_numeric_input_is_rejected():
    with pytest.raises(ValueError, match="numeric"):
        A.ReLU()(np.array([["a", "b"]]))

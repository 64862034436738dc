"""numerical_gradient and check_gradients: exact on known functions, and they catch a wrong backward."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlkit import activations as A
from mlkit.gradcheck import GradientCheckError, check_gradients, numerical_gradient, relative_error
from mlkit.layers import Linear, Module, Sequential
from mlkit.losses import MSELoss

pytestmark = pytest.mark.lecture05


def test_numerical_gradient_of_known_functions(rng):
    x = rng.normal(size=(3, 4))
    original = x.copy()
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(x ** 2), x), 2 * x, rtol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(np.sin(x)), x), np.cos(x), rtol=1e-8)
    np.testing.assert_array_equal(x, original)  # every perturbation is undone exactly


def test_numerical_gradient_rejects_float32_and_bad_eps():
    x32 = np.ones(3, dtype=np.float32)
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: x32.sum(), x32)
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda: 0.0, np.ones(2), eps=0)
    with pytest.raises(ValueError, match="numpy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])


def test_relative_error_scale():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 2.2)


class _WrongSigmoid(A.Sigmoid):
    """A classic student bug: forgets the factor σ(z) in σ'(z) = σ(z)(1 − σ(z))."""

    def backward(self, grad_output):
        return grad_output * (1.0 - self.out)


class _ForgetsBias(Linear):
    """Another classic bug: the bias gradient is never accumulated."""

    def backward(self, grad_output):
        self.W.grad += self.x.T @ grad_output
        return grad_output @ self.W.data.T


def test_check_gradients_catches_a_wrong_activation_derivative(rng):
    model = Sequential(Linear(3, 4, rng=rng), _WrongSigmoid(), Linear(4, 2, rng=rng))
    with pytest.raises(GradientCheckError) as info:
        check_gradients(model, rng.normal(size=(5, 3)))
    message = str(info.value)
    assert "max rel. error" in message and "input" in message and "0: W" in message


def test_check_gradients_catches_a_missing_bias_gradient(rng):
    layer = _ForgetsBias(3, 2, rng=rng)
    with pytest.raises(GradientCheckError, match="1: b"):
        check_gradients(layer, rng.normal(size=(4, 3)))


def test_check_gradients_with_a_loss_and_float32_refusal(rng):
    model = Sequential(Linear(3, 4, rng=rng), A.Tanh(), Linear(4, 2, rng=rng))
    report = check_gradients(model, rng.normal(size=(5, 3)), target=rng.normal(size=(5, 2)), loss_fn=MSELoss())
    assert report.max_error() < 1e-8
    assert not any(p.grad.any() for p in model.parameters())  # leaves the model clean
    with pytest.raises(ValueError, match="float64"):
        check_gradients(Linear(2, 2, dtype=np.float32), np.ones((1, 2)))


def test_check_gradients_needs_the_input_gradient(rng):
    model = Sequential(Linear(3, 2, rng=rng))
    model[0].needs_input_grad = False
    with pytest.raises(ValueError, match="must return ∂L/∂x, got None"):
        check_gradients(model, rng.normal(size=(4, 3)))


class _Square(Module):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return 2 * self.x * g


ACTIVATIONS = ["sigmoid", "tanh", "softplus", "silu", "mish", "elu", "softmax", "log_softmax"]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), d_in=st.integers(1, 5), d_hidden=st.integers(1, 6), d_out=st.integers(1, 4),
       act=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**31 - 1))
def test_random_networks_pass_gradient_check(n, d_in, d_hidden, d_out, act, seed):
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(d_in, d_hidden, rng=rng), A.get_activation(act), _Square(),
                       Linear(d_hidden, d_out, rng=rng))
    # moderate weights keep units out of deep saturation, where a central difference loses its digits to
    # round-off (f changes by less than ε_mach·|f| there) and no finite-difference check can be exact
    for p in model.parameters():
        p.data *= 0.5
        p.data += 0.1 * rng.normal(size=p.data.shape)
    assert check_gradients(model, rng.normal(size=(n, d_in)), rng=rng, tol=1e-7).max_error() < 1e-7

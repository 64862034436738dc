"""Linear, Sequential and Dropout against PyTorch and finite differences; Module plumbing."""

import numpy as np
import pytest
import torch

from helpers import t64
from mlkit import activations as A
from mlkit.gradcheck import check_gradients
from mlkit.layers import Dropout, Linear, Module, Parameter, Sequential
from mlkit.losses import CrossEntropyLoss, MSELoss

pytestmark = pytest.mark.lecture05  # the Dropout tests also lecture11: ALSO in conftest.py

torch.set_default_dtype(torch.float64)


def _torch_linear(layer: Linear) -> torch.nn.Linear:
    """A torch layer holding the same numbers (torch's weight is W transposed)."""
    tl = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None)
    with torch.no_grad():
        tl.weight.copy_(t64(layer.W.data.T))
        if layer.b is not None:
            tl.bias.copy_(t64(layer.b.data))
    return tl


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_backward_match_torch(bias, rng):
    layer = Linear(5, 3, bias=bias, rng=rng)
    if bias:
        layer.b.data[:] = rng.normal(size=3)
    x, g = rng.normal(size=(8, 5)), rng.normal(size=(8, 3))
    tl = _torch_linear(layer)
    xt = t64(x, grad=True)
    out_t = tl(xt)
    np.testing.assert_allclose(layer(x), out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    out_t.backward(t64(g))
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.W.grad, tl.weight.grad.numpy().T, rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(layer.b.grad, tl.bias.grad.numpy(), rtol=1e-12)
    assert len(layer.parameters()) == (2 if bias else 1)


def test_linear_gradients_match_finite_differences(rng):
    layer = Linear(4, 3, rng=rng)
    layer.b.data[:] = rng.normal(size=3)
    report = check_gradients(layer, rng.normal(size=(6, 4)), rng=3)
    assert [row[0] for row in report] == ["input", "0: W", "1: b"]
    assert report.max_error() < 1e-7


def test_gradients_accumulate_until_zero_grad(rng):
    layer = Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer(x)
    layer.backward(g)
    once = layer.W.grad.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.W.grad, 2 * once)
    w_before = layer.W.data.copy()
    np.testing.assert_array_equal(layer.W.data, w_before)  # backward never updates weights
    layer.zero_grad()
    assert not layer.W.grad.any() and not layer.b.grad.any()


def _mlp(rng):
    return Sequential(
        Linear(6, 8, rng=rng), A.Tanh(),
        Linear(8, 7, rng=rng), A.ELU(alpha=0.8),
        Linear(7, 5, init="xavier", rng=rng), A.Softplus(),
        Linear(5, 5, init="torch", rng=rng), A.SiLU(),
        Linear(5, 3, rng=rng),
    )


def _torch_mlp(model: Sequential) -> torch.nn.Sequential:
    mapping = {A.Tanh: torch.nn.Tanh, A.Softplus: torch.nn.Softplus, A.SiLU: torch.nn.SiLU}
    layers = []
    for layer in model:
        if isinstance(layer, Linear):
            layers.append(_torch_linear(layer))
        elif isinstance(layer, A.ELU):
            layers.append(torch.nn.ELU(alpha=layer.alpha))
        else:
            layers.append(mapping[type(layer)]())
    return torch.nn.Sequential(*layers)


def test_mlp_with_cross_entropy_matches_torch_autograd(rng):
    model = _mlp(rng)
    for p in model.parameters():
        p.data += 0.1 * rng.normal(size=p.data.shape)  # non-zero biases too
    x, y = rng.normal(size=(10, 6)), rng.integers(0, 3, 10)
    loss = CrossEntropyLoss()
    value = loss(model(x), y)
    grad_x = model.backward(loss.backward())

    tm = _torch_mlp(model)
    xt = t64(x, grad=True)
    value_t = torch.nn.functional.cross_entropy(tm(xt), torch.tensor(y))
    value_t.backward()
    assert value == pytest.approx(value_t.item(), rel=1e-12)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=1e-9, atol=1e-13)
    torch_linears = [m for m in tm if isinstance(m, torch.nn.Linear)]
    mlkit_linears = [m for m in model if isinstance(m, Linear)]
    for ours, theirs in zip(mlkit_linears, torch_linears):
        np.testing.assert_allclose(ours.W.grad, theirs.weight.grad.numpy().T, rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(ours.b.grad, theirs.bias.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_mlp_with_cross_entropy_matches_finite_differences(rng):
    model = _mlp(rng)
    x, y = rng.normal(size=(10, 6)), rng.integers(0, 3, 10)
    report = check_gradients(model, x, target=y, loss_fn=CrossEntropyLoss())
    assert len(report) == 1 + 10  # the input, then W and b of five Linear layers
    assert report.max_error() < 1e-7


def test_sequential_order_and_container_behaviour(rng):
    model = Sequential(Linear(2, 3, rng=rng), A.ReLU(), Linear(3, 1, rng=rng))
    assert len(model) == 3 and isinstance(model[1], A.ReLU)
    assert [type(m) for m in model] == [Linear, A.ReLU, Linear]
    assert len(model.parameters()) == 4
    assert model.n_parameters() == 2 * 3 + 3 + 3 + 1
    assert "Linear(2, 3" in repr(model)
    with pytest.raises(ValueError, match="position 1"):
        Sequential(Linear(2, 2), "relu")


def test_shared_parameters_are_listed_once(rng):
    a = Linear(3, 3, rng=rng)
    b = Linear(3, 3, rng=rng)
    b.W = a.W
    assert len(Sequential(a, b).parameters()) == 3


class _Noisy(Module):
    def __init__(self):
        self.drop = Dropout(0.5, rng=0)
        self.blocks = [Dropout(0.1, rng=1)]


def test_train_and_eval_reach_every_submodule():
    m = _Noisy()
    m.eval()
    assert not m.drop.training and not m.blocks[0].training
    m.train()
    assert m.drop.training and m.blocks[0].training


def test_dropout_is_inverted_and_identity_in_eval(rng):
    x = rng.normal(size=(2000, 50))
    drop = Dropout(0.3, rng=rng)
    y = drop(x)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], x[kept] / 0.7)
    g = rng.normal(size=x.shape)
    np.testing.assert_allclose(drop.backward(g), np.where(kept, g / 0.7, 0.0))
    drop.eval()
    assert drop(x) is not None and np.array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(g), g)


def test_dropout_extremes_like_torch():
    x = np.ones((3, 4))
    assert not Dropout(1.0)(x).any()
    np.testing.assert_array_equal(Dropout(0.0)(x), x)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Dropout(1.5)


def test_dropout_is_reproducible_with_a_seed():
    x = np.ones((5, 5))
    np.testing.assert_array_equal(Dropout(0.5, rng=7)(x), Dropout(0.5, rng=7)(x))


@pytest.mark.parametrize("init, std", [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 600)),
                                       ("lecun", np.sqrt(1 / 400))])
def test_init_scales(init, std):
    W = Linear(400, 200, init=init, rng=0).W.data
    assert abs(W.std() / std - 1) < 0.02 and abs(W.mean()) < 0.01 * std * 10


def test_torch_default_init_is_uniform_in_bound():
    layer = Linear(100, 50, init="torch", rng=0)
    bound = 1 / np.sqrt(100)
    assert np.abs(layer.W.data).max() <= bound and np.abs(layer.b.data).max() <= bound
    assert layer.W.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


def test_zeros_init_and_custom_init():
    assert not Linear(3, 2, init="zeros").W.data.any()
    layer = Linear(3, 2, init=lambda rng, shape: np.full(shape, 0.5))
    np.testing.assert_array_equal(layer.W.data, 0.5)
    with pytest.raises(ValueError, match=r"must return weights of shape \(3, 2\), got shape \(2, 3\)"):
        Linear(3, 2, init=lambda rng, shape: np.ones((2, 3)))
    for name in ("orthogonal-ish", "kaiming", "glorot"):  # one name per scheme: "he" and "xavier"
        with pytest.raises(ValueError, match="init must be one of 'he', 'xavier'"):
            Linear(3, 2, init=name)


def test_same_seed_same_weights():
    np.testing.assert_array_equal(Linear(4, 3, rng=5).W.data, Linear(4, 3, rng=5).W.data)
    assert not np.array_equal(Linear(4, 3, rng=5).W.data, Linear(4, 3, rng=6).W.data)


def test_float32_model_stays_float32_end_to_end(rng):
    model = Sequential(Linear(5, 4, rng=rng, dtype=np.float32), A.ReLU(), Dropout(0.2, rng=rng),
                       Linear(4, 3, rng=rng, dtype=np.float32), A.Sigmoid())
    x = rng.normal(size=(6, 5))  # float64 input is cast by the first layer
    out = model(x)
    assert out.dtype == np.float32
    loss = MSELoss()
    loss(out, np.zeros((6, 3)))
    grad_x = model.backward(loss.backward())
    assert grad_x.dtype == np.float32
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("x, message", [
    (np.zeros((4, 3)), r"shape \(n, 5\), got shape \(4, 3\)"),
    (np.zeros(5), r"shape \(n, 5\), got shape \(5,\)"),
    (np.zeros((2, 5, 1)), r"shape \(n, 5\), got shape \(2, 5, 1\)"),
    (np.array([[0.0, 1.0, np.nan, 0.0, 0.0]]), "NaN"),
    (np.array([["a"] * 5]), "numeric"),
])
def test_linear_rejects_bad_input(x, message):
    with pytest.raises(ValueError, match=message):
        Linear(5, 2)(x)


def test_linear_backward_checks_gradient_shape(rng):
    layer = Linear(3, 2, rng=rng)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 2)))
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(4, 3\)"):
        layer.backward(np.ones((4, 3)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="in_features must be a positive integer, got 0"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="positive integer, got 2.7"):
        Linear(2.7, 3)
    with pytest.raises(ValueError, match="floating"):
        Linear(2, 3, dtype=np.int32)
    with pytest.raises(ValueError, match="rng"):
        Linear(2, 3, rng="seed")


def test_parameter_basics():
    p = Parameter([[1, 2], [3, 4]], name="W")
    assert p.data.dtype == np.float64 and p.grad.shape == (2, 2) and not p.grad.any()
    assert "W" in repr(p) and p.shape == (2, 2)


def test_first_layer_without_input_gradient_gives_the_same_parameter_gradients(rng):
    model = Sequential(Linear(5, 4, rng=rng), A.ReLU(), Linear(4, 3, rng=rng))
    x, g = rng.normal(size=(6, 5)), rng.normal(size=(6, 3))
    model(x)
    assert model.backward(g).shape == (6, 5)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model[0].needs_input_grad = False
    model(x)
    assert model.backward(g) is None
    assert Linear.needs_input_grad and model[2].needs_input_grad  # the other layers are untouched
    for p, expected in zip(model.parameters(), full):
        np.testing.assert_array_equal(p.grad, expected)


def test_linear_reports_infinite_input(rng):
    with pytest.raises(ValueError, match="NaN or infinite"):
        Linear(2, 2, rng=rng)(np.array([[np.inf, 1.0]]))
    out = Linear(2, 2, rng=rng)(np.array([[1e38, 1e38]], dtype=np.float32))  # the sum overflows; entries are fine
    assert out.shape == (1, 2)

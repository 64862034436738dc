"""Every loss × reduction × target format: value and gradient equal PyTorch's."""

import numpy as np
import pytest
import torch
from sklearn.metrics import zero_one_loss as sk_zero_one_loss

from helpers import away_from, t64
from mlkit import losses as L
from mlkit.gradcheck import numerical_gradient

pytestmark = pytest.mark.lecture02

torch.set_default_dtype(torch.float64)
N, K = 7, 4


def _regression(rng):
    return rng.normal(size=(N, 3)), rng.normal(size=(N, 3))


def _probabilities(rng):
    return rng.uniform(0.02, 0.98, (N, 3)), rng.uniform(0, 1, (N, 3))


def _logits_binary(rng):
    return rng.normal(0, 3, (N, 3)), rng.integers(0, 2, (N, 3)).astype(float)


def _logits_labels(rng):
    return rng.normal(0, 2, (N, K)), rng.integers(0, K, N)


def _logits_probs(rng):
    t = rng.uniform(0, 1, (N, K))
    return rng.normal(0, 2, (N, K)), t / t.sum(axis=1, keepdims=True)


def _log_probs(rng):
    z = rng.normal(0, 2, (N, K))
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True)), rng.integers(0, K, N)


def _margins(rng):
    s = away_from(rng.normal(0, 2, (N,)), [-1.0, 0.0, 1.0, 0.5])
    return s, rng.choice([-1, 1], N)


def _torch_hinge(margin):
    def fn(s, y, reduction):
        terms = torch.clamp(margin - y * s, min=0)
        return terms.mean() if reduction == "mean" else terms.sum()
    return fn


def _torch_perceptron(s, y, reduction):
    terms = torch.clamp(-y * s, min=0)
    return terms.mean() if reduction == "mean" else terms.sum()


def _module(cls, **kw):
    return lambda p, t, reduction: cls(reduction=reduction, **kw)(p, t)


# name: (mlkit factory taking reduction, torch fn(p, t, reduction), data maker, target is integer)
CASES = {
    "mse": (lambda r: L.MSELoss(reduction=r), _module(torch.nn.MSELoss), _regression, False),
    "l1": (lambda r: L.L1Loss(reduction=r), _module(torch.nn.L1Loss), _regression, False),
    "huber": (lambda r: L.HuberLoss(reduction=r), _module(torch.nn.HuberLoss), _regression, False),
    "huber_delta": (lambda r: L.HuberLoss(reduction=r, delta=0.4),
                    _module(torch.nn.HuberLoss, delta=0.4), _regression, False),
    "bce": (lambda r: L.BCELoss(reduction=r), _module(torch.nn.BCELoss), _probabilities, False),
    "bce_logits": (lambda r: L.BCEWithLogitsLoss(reduction=r), _module(torch.nn.BCEWithLogitsLoss),
                   _logits_binary, False),
    "ce_labels": (lambda r: L.CrossEntropyLoss(reduction=r), _module(torch.nn.CrossEntropyLoss),
                  _logits_labels, True),
    "ce_probs": (lambda r: L.CrossEntropyLoss(reduction=r), _module(torch.nn.CrossEntropyLoss),
                 _logits_probs, False),
    "ce_smoothing": (lambda r: L.CrossEntropyLoss(reduction=r, label_smoothing=0.1),
                     _module(torch.nn.CrossEntropyLoss, label_smoothing=0.1), _logits_labels, True),
    "ce_smoothing_probs": (lambda r: L.CrossEntropyLoss(reduction=r, label_smoothing=0.2),
                           _module(torch.nn.CrossEntropyLoss, label_smoothing=0.2),
                           lambda rng: (rng.normal(0, 2, (N, K)), rng.uniform(0, 1, (N, K))), False),
    "nll": (lambda r: L.NLLLoss(reduction=r), _module(torch.nn.NLLLoss), _log_probs, True),
    "multi_margin": (lambda r: L.MultiMarginLoss(reduction=r), _module(torch.nn.MultiMarginLoss),
                     _logits_labels, True),
    "multi_margin_p2": (lambda r: L.MultiMarginLoss(reduction=r, p=2, margin=0.5),
                        _module(torch.nn.MultiMarginLoss, p=2, margin=0.5), _logits_labels, True),
    "hinge": (lambda r: L.HingeLoss(reduction=r), _torch_hinge(1.0), _margins, False),
    "hinge_margin": (lambda r: L.HingeLoss(reduction=r, margin=0.5), _torch_hinge(0.5), _margins, False),
    "perceptron": (lambda r: L.PerceptronLoss(reduction=r), _torch_perceptron, _margins, False),
}


def _torch_value_and_grad(torch_fn, p, t, integer_target, reduction):
    pt = t64(p, grad=True)
    tt = torch.tensor(t, dtype=torch.long) if integer_target else t64(t)
    value = torch_fn(pt, tt, reduction)
    value.backward()
    return value.item(), pt.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", CASES)
def test_value_and_gradient_match_torch(name, reduction, rng):
    make, torch_fn, data, integer_target = CASES[name]
    p, t = data(rng)
    loss = make(reduction)
    value = loss(p, t)
    grad = loss.backward()
    assert isinstance(value, float)
    assert grad.shape == p.shape
    v_t, g_t = _torch_value_and_grad(torch_fn, p, t, integer_target, reduction)
    np.testing.assert_allclose(value, v_t, rtol=1e-12)
    np.testing.assert_allclose(grad, g_t, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name, rng):
    make, _, data, _ = CASES[name]
    p, t = data(rng)
    loss = make("mean")
    loss(p, t)
    analytic = loss.backward().copy()
    numeric = numerical_gradient(lambda: loss(p, t), p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_cross_entropy_with_huge_logits_is_finite_and_matches_torch():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [5.0, 1000.0, -1000.0]])
    y = np.array([1, 2, 0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = L.CrossEntropyLoss()
        value, grad = loss(z, y), loss.backward()
    v_t, g_t = _torch_value_and_grad(_module(torch.nn.CrossEntropyLoss), z, y, True, "mean")
    assert np.isfinite(value) and value == pytest.approx(v_t, rel=1e-12)
    np.testing.assert_allclose(grad, g_t, rtol=1e-12, atol=1e-300)


def test_bce_with_logits_at_plus_minus_800():
    s = np.array([[-800.0, 800.0, -1000.0, 1000.0]])
    t = np.array([[1.0, 0.0, 0.0, 1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = L.BCEWithLogitsLoss()
        value, grad = loss(s, t), loss.backward()
    v_t, g_t = _torch_value_and_grad(_module(torch.nn.BCEWithLogitsLoss), s, t, False, "mean")
    assert value == pytest.approx(v_t, rel=1e-12)
    np.testing.assert_allclose(grad, g_t, rtol=1e-12)


def test_bce_at_exact_zero_and_one_is_clamped_like_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = L.BCELoss()
    value, grad = loss(p, t), loss.backward()
    v_t, g_t = _torch_value_and_grad(_module(torch.nn.BCELoss), p, t, False, "mean")
    assert np.isfinite(value) and value == pytest.approx(v_t, rel=1e-12)
    np.testing.assert_allclose(grad, g_t, rtol=1e-12)


def test_softmax_plus_nll_equals_cross_entropy(rng):
    z, y = _logits_labels(rng)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert L.NLLLoss()(log_p, y) == pytest.approx(L.CrossEntropyLoss()(z, y), rel=1e-12)


def test_huber_mixes_l2_and_l1():
    d = np.array([0.5, 3.0])
    loss = L.HuberLoss(reduction="sum", delta=1.0)
    assert loss(d, np.zeros(2)) == pytest.approx(0.5 * 0.25 + (3.0 - 0.5))


@pytest.mark.parametrize("y_pred", [np.array([0, 2, 1, 1]), np.eye(4, 3)[[0, 2, 2, 1]] * 5.0])
def test_zero_one_loss(y_pred):
    y_true = np.array([0, 2, 2, 1])
    labels = y_pred if y_pred.ndim == 1 else y_pred.argmax(axis=1)
    assert L.zero_one_loss(y_true, y_pred) == pytest.approx(sk_zero_one_loss(y_true, labels))


def test_float32_predictions_give_float32_gradients(rng):
    z = rng.normal(size=(5, 3)).astype(np.float32)
    loss = L.CrossEntropyLoss()
    loss(z, np.array([0, 1, 2, 0, 1]))
    assert loss.backward().dtype == np.float32
    mse = L.MSELoss()
    mse(z, np.zeros((5, 3)))  # float64 target is cast to the prediction's dtype
    assert mse.backward().dtype == np.float32


BAD_INPUTS = [
    (L.MSELoss(), np.zeros((3, 2)), np.zeros((3, 1)), r"same shape.*\(3, 2\).*\(3, 1\)"),
    (L.MSELoss(), np.zeros(3), np.zeros((3, 1)), r"same shape"),
    (L.L1Loss(), np.array([1.0, np.nan]), np.zeros(2), "NaN"),
    (L.HuberLoss(), np.zeros(2), np.array([np.inf, 0.0]), "NaN or infinite"),
    (L.BCELoss(), np.array([0.5, 1.5]), np.zeros(2), r"probabilities in \[0, 1\]"),
    (L.BCELoss(), np.array([0.5, 0.5]), np.array([0.0, 2.0]), r"targets in \[0, 1\]"),
    (L.CrossEntropyLoss(), np.zeros((3, 4)), np.array([0, 4, 1]), r"labels in \[0, 3\].*\[0, 4\]"),
    (L.CrossEntropyLoss(), np.zeros((3, 4)), np.array([0, -1, 1]), r"labels in \[0, 3\]"),
    (L.CrossEntropyLoss(), np.zeros(4), np.array([0]), r"shape \(n, k\).*\(4,\)"),
    (L.CrossEntropyLoss(), np.zeros((3, 4)), np.array([0, 1]), r"shape \(3,\)"),
    (L.CrossEntropyLoss(), np.zeros((3, 4)), np.array([0.5, 1, 2]), "whole-number"),
    (L.CrossEntropyLoss(), np.zeros((3, 4)), np.zeros((3, 3)), r"same shape"),
    (L.NLLLoss(), np.zeros((2, 3)), np.array([[0, 1]]), r"shape \(n,\)"),
    (L.MultiMarginLoss(), np.zeros((2, 3)), np.array([3, 0]), r"labels in \[0, 2\]"),
    (L.HingeLoss(), np.zeros(3), np.array([0, 1, 1]), "−1 or \\+1"),
    (L.PerceptronLoss(), np.zeros(3), np.array([1, -1]), "same shape"),
]


@pytest.mark.parametrize("loss, pred, target, message", BAD_INPUTS)
def test_bad_input_raises_value_error(loss, pred, target, message):
    with pytest.raises(ValueError, match=message):
        loss(pred, target)


def test_cross_entropy_is_minus_log_softmax_of_the_true_class():
    # one log-softmax in mlkit: CrossEntropyLoss takes it from mlkit.activations, bit for bit
    from mlkit.activations import LogSoftmax

    z = np.random.default_rng(3).normal(scale=30.0, size=(7, 5))
    y = np.array([0, 4, 2, 2, 1, 3, 0])
    log_p = LogSoftmax()(z)
    assert L.CrossEntropyLoss(reduction="sum")(z, y) == -log_p[np.arange(7), y].sum()


def test_bad_options():
    with pytest.raises(ValueError, match="reduction"):
        L.MSELoss(reduction="none")
    with pytest.raises(ValueError, match="delta"):
        L.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        L.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="^margin must be .*, got"):
        L.HingeLoss(margin="1")
    with pytest.raises(TypeError):
        L.HingeLoss(0.5)  # options are keywords: HingeLoss(margin=0.5)
    with pytest.raises(RuntimeError, match="before"):
        L.MSELoss().backward()

"""Minibatch iteration, the fit loop, divergence, and the behaviour the lectures promise."""

import time

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from mlkit import activations as A
from mlkit.layers import Dropout, Linear, Sequential
from mlkit.losses import BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, MSELoss
from mlkit.optim import SGD, Adam, StepLR
from mlkit.train import History, TrainingDiverged, accuracy, evaluate, fit, iterate_minibatches, predict

pytestmark = pytest.mark.lecture07  # the XOR tests also lecture03, the worked example lecture05: ALSO in conftest.py


@pytest.mark.parametrize("batch_size, sizes", [(4, [4, 4, 2]), (10, [10]), (None, [10]), (1, [1] * 10),
                                               (32, [10])])
def test_minibatches_cover_every_sample_once(batch_size, sizes, rng):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    batches = list(iterate_minibatches(X, y, batch_size, rng=rng))
    assert [len(yb) for _, yb in batches] == sizes
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen) == list(range(10))
    for xb, yb in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(xb[:, 0], 2.0 * yb)


def test_minibatch_shuffling_permutes_samples_and_is_seeded():
    X = np.arange(12.0).reshape(12, 1)
    first = [xb[:, 0].tolist() for xb, _ in iterate_minibatches(X, None, 4, rng=0)]
    again = [xb[:, 0].tolist() for xb, _ in iterate_minibatches(X, None, 4, rng=0)]
    other = [xb[:, 0].tolist() for xb, _ in iterate_minibatches(X, None, 4, rng=1)]
    assert first == again and first != other
    # samples are mixed across batches, not just batch order shuffled
    assert any(sorted(b) not in ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]) for b in first)
    ordered = [xb[:, 0].tolist() for xb, _ in iterate_minibatches(X, None, 5, shuffle=False)]
    assert ordered == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


@pytest.mark.parametrize("kwargs, message", [
    (dict(X=np.zeros((3, 2)), y=np.zeros(4), batch_size=2), r"3 rows.*\(4,\)"),
    (dict(X=np.zeros((3, 2)), y=None, batch_size=0), "positive integer"),
    (dict(X=np.zeros((3, 2)), y=None, batch_size=2.5), "positive integer"),
    (dict(X=np.zeros((0, 2)), y=None, batch_size=2), "n_samples ≥ 1"),
])
def test_minibatch_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        list(iterate_minibatches(**kwargs))


def test_seed_one_step_backprop_example_reproduced_exactly():
    """Seed 003: x = [1, 1], y = 0, W¹ = 1, b¹ = 0, ReLU, W² = [1, 1]ᵀ, b² = 0, linear output, (y − a²)²,
    one SGD step with η = 0.1 gives W¹ = 0.2, b¹ = −0.8, W² = [−0.6, −0.6]ᵀ, b² = −0.8."""
    hidden, output = Linear(2, 2, init="zeros"), Linear(2, 1, init="zeros")
    hidden.W.data[:] = 1.0
    output.W.data[:] = 1.0
    net = Sequential(hidden, A.ReLU(), output)
    x, y = np.array([[1.0, 1.0]]), np.array([[0.0]])
    loss = MSELoss()
    opt = SGD(net.parameters(), lr=0.1)
    assert net(x)[0, 0] == 4.0 and loss(net(x), y) == 16.0
    net.backward(loss.backward())
    np.testing.assert_array_equal(output.b.grad, [8.0])  # s² = 8
    np.testing.assert_array_equal(hidden.b.grad, [8.0, 8.0])  # s¹ = [8, 8]
    opt.step()
    np.testing.assert_allclose(hidden.W.data, [[0.2, 0.2], [0.2, 0.2]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(hidden.b.data, [-0.8, -0.8], rtol=0, atol=1e-15)
    np.testing.assert_allclose(output.W.data, [[-0.6], [-0.6]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(output.b.data, [-0.8], rtol=0, atol=1e-15)


def test_hand_set_network_solves_xor():
    """Seed 003's 2-2-1 hard-limit network: W¹ = [[1, −1], [−1, 1]], b¹ = −0.5, W² = [1, 1]ᵀ, b² = −0.5."""
    first, second = Linear(2, 2), Linear(2, 1)
    first.W.data[:] = [[1, -1], [-1, 1]]
    first.b.data[:] = -0.5
    second.W.data[:] = [[1], [1]]
    second.b.data[:] = -0.5
    net = Sequential(first, A.Step(), second, A.Step())
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    np.testing.assert_array_equal(net(X)[:, 0], [0, 1, 1, 0])


def test_a_2_2_1_sigmoid_network_learns_xor_with_fit():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = Sequential(Linear(2, 2, init="xavier", rng=3), A.Sigmoid(), Linear(2, 1, init="xavier", rng=4),
                     A.Sigmoid())
    history = fit(net, MSELoss(), SGD(net.parameters(), lr=2.0, momentum=0.9), X, y, epochs=400,
                  batch_size=None, rng=0, progress=False)
    out = predict(net, X)[:, 0]
    np.testing.assert_array_equal((out > 0.5).astype(int), [0, 1, 1, 0])
    assert history["loss"][-1] < 0.01 < history["loss"][0]
    assert history["accuracy"][-1] == 1.0


@pytest.mark.slow
def test_small_mlp_reaches_95_percent_on_digits_in_seconds():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    net = Sequential(Linear(64, 64, rng=0), A.ReLU(), Linear(64, 10, rng=1))
    start = time.perf_counter()
    history = fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=3e-3), X_train, y_train, epochs=30,
                  batch_size=32, X_val=X_test, y_val=y_test, rng=0, progress=False)
    elapsed = time.perf_counter() - start
    assert accuracy(net, X_test, y_test) >= 0.95
    assert history["val_accuracy"][-1] == pytest.approx(accuracy(net, X_test, y_test))
    assert elapsed < 10.0


def test_divergence_names_epoch_and_batch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)) * 100, rng.normal(size=(40, 1)) * 100
    for net in (Sequential(Linear(3, 1, rng=0)), Sequential(Linear(3, 4, rng=0), A.Tanh(), Linear(4, 1, rng=1))):
        with pytest.raises(TrainingDiverged, match=r"epoch \d+, batch \d+"):
            fit(net, MSELoss(), SGD(net.parameters(), lr=10.0), X, y, epochs=50, batch_size=8, progress=False)


def test_history_records_validation_and_learning_rate(rng):
    X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    net = Sequential(Linear(4, 8, rng=rng), A.Tanh(), Dropout(0.1, rng=rng), Linear(8, 3, rng=rng))
    opt = SGD(net.parameters(), lr=0.1)
    history = fit(net, CrossEntropyLoss(), opt, X, y, epochs=5, batch_size=16, X_val=X[:20], y_val=y[:20],
                  rng=1, progress=False, scheduler=StepLR(opt, step_size=2, gamma=0.5))
    assert isinstance(history, History) and history.epochs == 5
    assert all(len(history[k]) == 5 for k in ("loss", "val_loss", "accuracy", "val_accuracy", "lr"))
    assert history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert not net.training  # left ready for prediction
    assert "epochs=5" in repr(history)


def test_fit_is_reproducible_with_the_same_seeds():
    def run():
        rng = np.random.default_rng(5)
        X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)
        net = Sequential(Linear(3, 6, rng=1), A.ReLU(), Dropout(0.2, rng=2), Linear(6, 2, rng=3))
        return fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=0.01), X, y, epochs=3, batch_size=7,
                   rng=4, progress=False)["loss"]
    assert run() == run()


def test_evaluate_does_not_depend_on_batch_size(rng):
    X, y = rng.normal(size=(37, 4)), rng.integers(0, 3, 37)
    net = Sequential(Linear(4, 3, rng=rng))
    full = CrossEntropyLoss()(net(X), y)
    for batch_size in (None, 1, 5, 36):
        loss, acc = evaluate(net, CrossEntropyLoss(), X, y, batch_size=batch_size)
        assert loss == pytest.approx(full, rel=1e-12)
        assert acc == pytest.approx(np.mean(net(X).argmax(axis=1) == y))
    loss_sum, _ = evaluate(net, CrossEntropyLoss(reduction="sum"), X, y, batch_size=5)
    assert loss_sum == pytest.approx(full, rel=1e-12)  # reported per sample either way


def test_accuracy_for_binary_outputs(rng):
    X = rng.normal(size=(30, 2))
    net = Sequential(Linear(2, 1, rng=rng))
    s = net(X)[:, 0]
    pm = np.where(X[:, 0] > 0, 1, -1)
    assert evaluate(net, HingeLoss(), X, pm[:, None])[1] == pytest.approx(np.mean(np.where(s >= 0, 1, -1) == pm))
    y01 = (X[:, :1] > 0).astype(float)
    assert evaluate(net, BCEWithLogitsLoss(), X, y01)[1] == pytest.approx(np.mean((s >= 0) == y01[:, 0]))
    assert evaluate(net, MSELoss(), X, rng.normal(size=(30, 1)))[1] is None  # regression: no accuracy
    with pytest.raises(ValueError, match="class labels"):
        accuracy(net, X, rng.normal(size=30))


def test_the_loss_names_the_decision_threshold_for_0_1_labels(rng):
    """Labels 0/1 with one output: class 1 when the output reaches loss_fn.decision_threshold (default 0.5)."""
    X = rng.normal(size=(40, 2))
    net = Sequential(Linear(2, 1, rng=rng))
    s = net(X)[:, 0]
    y01 = (X[:, 0] > 0).astype(int)  # shape (n,): 0/1 targets for a model with one output

    class ShiftedLoss(MSELoss):
        decision_threshold = 0.25

    for loss_fn, threshold in [(MSELoss(), 0.5), (BCEWithLogitsLoss(), 0.0), (ShiftedLoss(), 0.25)]:
        expected = np.mean((s >= threshold) == y01)
        assert evaluate(net, loss_fn, X, y01[:, None])[1] == pytest.approx(expected)
    two_scores = Sequential(Linear(2, 2, rng=rng))  # the same labels are class indices for two scores
    assert evaluate(two_scores, CrossEntropyLoss(), X, y01)[1] == pytest.approx(
        np.mean(two_scores(X).argmax(axis=1) == y01))


def test_float32_training_stays_float32(rng):
    X, y = rng.normal(size=(64, 5)).astype(np.float32), rng.integers(0, 3, 64)
    net = Sequential(Linear(5, 8, rng=rng, dtype=np.float32), A.ReLU(), Linear(8, 3, rng=rng, dtype=np.float32))
    fit(net, CrossEntropyLoss(), Adam(net.parameters()), X, y, epochs=2, batch_size=16, progress=False)
    assert all(p.data.dtype == np.float32 for p in net.parameters())
    assert predict(net, X).dtype == np.float32


def test_fit_arguments_are_checked():
    net = Sequential(Linear(2, 1))
    with pytest.raises(ValueError, match="no loss"):
        fit(net, None, SGD(net.parameters(), lr=0.1), np.zeros((4, 2)), None, epochs=1, batch_size=2)
    with pytest.raises(ValueError, match="epochs"):
        fit(net, MSELoss(), SGD(net.parameters(), lr=0.1), np.zeros((4, 2)), np.zeros((4, 1)), epochs=-1,
            batch_size=2)


def test_overflowing_outputs_with_finite_weights_count_as_divergence():
    net = Sequential(Linear(1, 1, init="zeros"))
    net[0].W.data[:] = 1e200
    with pytest.raises(TrainingDiverged, match="epoch 1, batch 1"):
        fit(net, MSELoss(), SGD(net.parameters(), lr=0.1), np.array([[1e200]]), np.array([[0.0]]), epochs=1,
            batch_size=1, progress=False)


def test_nan_in_the_data_is_a_data_error_not_divergence():
    net = Sequential(Linear(2, 1, rng=0))
    X = np.array([[1.0, np.nan], [0.0, 1.0]])
    with pytest.raises(ValueError, match="NaN") as info:
        fit(net, MSELoss(), SGD(net.parameters(), lr=0.1), X, np.zeros((2, 1)), epochs=1, batch_size=2,
            progress=False)
    assert not isinstance(info.value, TrainingDiverged)


def test_accuracy_label_set_is_decided_on_the_whole_data(rng):
    """A batch holding only +1 labels must still be scored by the sign (labels ±1), not a 0.5 threshold."""
    X = np.array([[1.0], [2.0], [-1.0], [-2.0]])
    y = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    net = Sequential(Linear(1, 1, init="zeros"))
    net[0].W.data[:] = 0.3  # scores 0.3, 0.6, −0.3, −0.6: all on the right side
    for batch_size in (1, 2, None):
        assert evaluate(net, HingeLoss(), X, y, batch_size=batch_size)[1] == 1.0


def test_fit_converts_float64_data_once_for_a_float32_model(rng):
    X, y = rng.normal(size=(32, 3)), rng.integers(0, 2, 32)
    net = Sequential(Linear(3, 2, rng=0, dtype=np.float32))
    fit(net, CrossEntropyLoss(), SGD(net.parameters(), lr=0.1), X, y, epochs=1, batch_size=8, progress=False)
    assert net[0].x.dtype == np.float32 and net[0].W.data.dtype == np.float32

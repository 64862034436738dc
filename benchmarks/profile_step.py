"""Where an mlkit training epoch spends its time: batch gathering, forward, loss, backward, optimizer step.

    python benchmarks/profile_step.py                       # 784-512-256-10, 2 BLAS threads, 3 epochs
    python benchmarks/profile_step.py --threads 1 --hidden 256

The loop is bench.py's (batch 128, float32, Adam; the first layer's ``needs_input_grad = False`` skips
∂L/∂x of the data), on Fashion-MNIST when it is installed and on random data of the same shape otherwise
(the time per epoch does not depend on the values). Each phase is timed around its call; the epoch total also holds the loop's own overhead.
"""

from __future__ import annotations

import argparse
import collections
import time

import numpy as np
from threadpoolctl import threadpool_limits

PHASES = ("gather", "zero_grad", "forward", "loss", "backward", "step")


def data(rng):
    from mlkit.data import load_fashion_mnist

    try:
        X, y, _, _ = load_fashion_mnist(download=False)
        return X, y, "Fashion-MNIST"
    except FileNotFoundError:
        return rng.random((60_000, 784), dtype=np.float32), rng.integers(0, 10, 60_000), "random data"


def main(argv=None) -> int:
    from mlkit.activations import ReLU
    from mlkit.layers import Linear, Sequential
    from mlkit.losses import CrossEntropyLoss
    from mlkit.optim import Adam

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 256], help="hidden sizes (default 512 256)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    threadpool_limits(args.threads)
    rng = np.random.default_rng(0)
    X, y, source = data(rng)
    sizes = [X.shape[1], *args.hidden, 10]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Linear(n_in, n_out, dtype=np.float32, rng=i)] + ([ReLU()] if i < len(sizes) - 2 else [])
    model, loss_fn = Sequential(*layers), CrossEntropyLoss()
    model[0].needs_input_grad = False  # the data needs no gradient (as in torch)
    optimizer = Adam(model.parameters())
    print(f"{'-'.join(map(str, sizes))}, {source}, batch {args.batch_size}, {args.threads} BLAS thread(s)")
    print("epoch  total  " + "  ".join(f"{p:>9}" for p in PHASES) + "   (seconds)")
    for epoch in range(1, args.epochs + 1):
        spent, start = collections.defaultdict(float), time.perf_counter()

        def timed(phase, fn, *a, **k):
            t = time.perf_counter()
            result = fn(*a, **k)
            spent[phase] += time.perf_counter() - t
            return result

        order = rng.permutation(len(X))
        for i in range(0, len(X), args.batch_size):
            idx = order[i:i + args.batch_size]
            xb, yb = timed("gather", lambda: (X[idx], y[idx]))
            timed("zero_grad", optimizer.zero_grad)
            scores = timed("forward", model, xb)
            timed("loss", loss_fn, scores, yb)
            timed("backward", model.backward, loss_fn.backward())
            timed("step", optimizer.step)
        total = time.perf_counter() - start
        print(f"{epoch:5d} {total:6.3f}  " + "  ".join(f"{spent[p]:9.3f}" for p in PHASES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

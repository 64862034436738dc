"""Hidden checks of exercise 04 (minibatches and optimizers), run by the judge in the grader's process.

Each check repeats its test cell's visible cases, then draws fresh inputs from ``t.rng`` (seeded per
student). ``iterate_minibatches`` is compared batch by batch, over two epochs from one generator, with
``mlkit.train.iterate_minibatches`` for the same seed. Each optimizer class is run in the student's kernel
for 20–30 steps on random parameters and a random gradient sequence (several shapes, a single weight, zero
gradients, tiny and large gradients), and the parameters after every step are compared with
``torch.optim`` and ``mlkit.optim`` fed the same gradients, computed here. Every run also checks the contract
of ``step(grads)``: it updates the arrays of ``params`` in place, returns None, and never changes the
gradient arrays it is given.
"""

import numpy as np
import torch

import mlkit.optim
from mlgrade.checks import as_numbers
from mlgrade.spec import Spec
from mlkit.layers import Parameter
from mlkit.train import iterate_minibatches as reference_minibatches

spec = Spec("04_optimizers", unavailable=["mlkit.optim", "mlkit.train"])

# the student's class -> the same rule in torch.optim and in mlkit.optim
OPTIMIZERS = {"SGD": (torch.optim.SGD, mlkit.optim.SGD), "Adagrad": (torch.optim.Adagrad, mlkit.optim.Adagrad),
              "RMSprop": (torch.optim.RMSprop, mlkit.optim.RMSprop), "Adam": (torch.optim.Adam, mlkit.optim.Adam)}


# --------------------------------------------------------------------------------------------------------
# minibatches

MINIBATCHES = """
# iterate_minibatches(X, y, batch_size, rng), for n_epochs epochs with one generator rng
import numpy as _np
_rng = _np.random.default_rng(seed)
epochs = [list(iterate_minibatches(X, y, batch_size, _rng)) for _ in range(n_epochs)]
"""


def _student_batches(t, X, y, batch_size, seed, n_epochs=1):
    """The student's batches of ``n_epochs`` epochs drawn with one generator ``default_rng(seed)``: a list of
    epochs, each a list of (X_batch, y_batch) pairs; checks that X and y come back unchanged."""
    epochs, X_after, y_after = t.run(MINIBATCHES, returns=("epochs", "X", "y"), X=X, y=y,
                                     batch_size=batch_size, seed=seed, n_epochs=n_epochs)
    assert np.array_equal(X_after, X) and np.array_equal(y_after, y), "iterate_minibatches must not change X or y"
    for epoch in epochs:
        for item in epoch:
            assert isinstance(item, tuple) and len(item) == 2, (
                f"each batch should be a pair (X_batch, y_batch), got {type(item).__name__}")
    return [[(as_numbers(xb, "X_batch"), as_numbers(yb, "y_batch")) for xb, yb in epoch] for epoch in epochs]


def _sizes(batches):
    return [len(xb) if xb.ndim else 0 for xb, _ in batches]


@spec.test("test_iterate_minibatches")
def iterate_minibatches(t):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)  # row i is [2i, 2i + 1]
    [batches] = _student_batches(t, X, y, 4, seed=0)
    assert len(batches) == 3, f"10 samples in batches of 4 make 3 batches (4, 4, 2), got {len(batches)} batches"
    sizes = [len(yb) if yb.ndim else 0 for _, yb in batches]
    assert sizes == [4, 4, 2], f"the batch sizes should be [4, 4, 2], got {sizes}"
    for xb, yb in batches:
        assert yb.ndim == 1, f"y_batch should have shape (batch_size,) for y of shape (10,), got {yb.shape}"
        t.check_close(xb, np.stack([2 * yb, 2 * yb + 1], axis=1),
                      "the rows of X_batch (each must belong to the label next to it in y_batch)")
    seen = np.concatenate([yb for _, yb in batches]).astype(int)
    assert sorted(seen.tolist()) == list(range(10)), f"every sample should appear exactly once, got {seen.tolist()}"
    expected_order = np.random.default_rng(0).permutation(10)
    assert seen.tolist() == expected_order.tolist(), (
        f"the samples should come in the order rng.permutation(10) = {expected_order.tolist()}, got {seen.tolist()}")

    # fresh data; the first column of X is the sample's index; y holds labels (n,) or one-hot targets (n, 3)
    for n, d, batch_size, two_d in [(23, 3, 5, False), (20, 2, 5, True), (7, 4, 1, False), (6, 2, 10, False),
                                    (1, 3, 4, True), (50, 1, 49, False), (64, 2, 16, False)]:
        ids = np.arange(n)
        X = np.column_stack([ids, t.rng.normal(size=(n, d - 1))]) if d > 1 else ids[:, None].astype(float)
        y = np.eye(3)[t.rng.integers(0, 3, size=n)] if two_d else ids.copy()
        seed = int(t.rng.integers(2 ** 63))
        where = f"for n = {n}, batch_size = {batch_size}"
        reference_rng = np.random.default_rng(seed)
        # the same generator for two epochs: two different orders
        for epoch, got in enumerate(_student_batches(t, X, y, batch_size, seed, n_epochs=2)):
            expected = list(reference_minibatches(X, y, batch_size, shuffle=True, rng=reference_rng))
            sizes, expected_sizes = _sizes(got), _sizes(expected)
            assert sizes == expected_sizes, (
                f"the batch sizes {where} (epoch {epoch + 1}) should be {expected_sizes}, got {sizes}")
            if all(xb.ndim == 2 and xb.shape[1] == d for xb, _ in got):
                rows = np.concatenate([xb[:, 0] for xb, _ in got]).astype(int)
                assert sorted(rows.tolist()) == list(range(n)), (
                    f"every sample should appear exactly once per epoch {where} (epoch {epoch + 1})")
            for b, ((xb, yb), (xe, ye)) in enumerate(zip(got, expected)):
                t.check_close(xb, xe, f"X_batch number {b} of epoch {epoch + 1} {where} (order rng.permutation(n))")
                t.check_close(yb, ye, f"y_batch number {b} of epoch {epoch + 1} {where}")
    # a 3-D X (a batch of images) works as well
    X, y, seed = t.rng.normal(size=(9, 2, 2)), t.rng.integers(0, 2, size=9), int(t.rng.integers(2 ** 63))
    [got] = _student_batches(t, X, y, 4, seed)
    expected = list(reference_minibatches(X, y, 4, shuffle=True, rng=np.random.default_rng(seed)))
    assert len(got) == len(expected), f"9 samples in batches of 4 make 3 batches, got {len(got)}"
    for (xb, yb), (xe, ye) in zip(got, expected):
        t.check_close(xb, xe, "X_batch for X of shape (9, 2, 2)")
        t.check_close(yb, ye, "y_batch for X of shape (9, 2, 2)")


# --------------------------------------------------------------------------------------------------------
# optimizers: one run in the student's kernel, the same run with torch.optim and mlkit.optim here
# (the comment that starts each request's code names the student's function in error messages)

STEPS = """
# {name}(params, **kwargs), then .step(grads) once for each list of gradients
params = [a.copy() for a in init]
arrays = list(params)
opt = {name}(params, **kwargs)
returned, kept, trajectory = [], [], []
for grads in gradients:
    returned.append(opt.step(grads))
    kept.append(len(params) == len(arrays) and all(p is a for p, a in zip(params, arrays)))
    trajectory.append([a.copy() for a in arrays])
"""


def _call(name, kwargs):
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


def _same(got, expected) -> bool:
    """``got`` is a list of arrays equal, entry for entry, to those of the list ``expected``."""
    return (isinstance(got, list) and len(got) == len(expected)
            and all(isinstance(a, np.ndarray) and a.shape == e.shape and np.array_equal(a, e)
                    for a, e in zip(got, expected)))


def _student_trajectory(t, name, kwargs, init, gradients):
    """Run the student's ``name(params, **kwargs)`` in their kernel on copies of the arrays ``init``, with one
    ``step(grads)`` per gradient list of ``gradients``; check that every step updates the arrays of params in
    place, returns None and leaves the gradients unchanged. Returns the parameters after each step, flattened
    and concatenated: an array (steps, weights)."""
    call = _call(name, kwargs)
    returned, kept, trajectory, after = t.run(STEPS.format(name=name),
                                              returns=("returned", "kept", "trajectory", "gradients"),
                                              init=init, gradients=gradients, kwargs=kwargs)
    n = len(gradients)
    assert all(isinstance(v, list) and len(v) == n for v in (returned, kept, trajectory)), (
        f"the steps of {call} could not be read back")
    for k in range(n):
        assert returned[k] is None, (
            f"{call}.step() should update the parameters in place and return None, got {repr(returned[k]):.80}")
        assert kept[k] is True, (
            f"{call}.step() replaced arrays of the list params: update them in place (p -= ...)")
    for k in range(n):
        assert isinstance(after, list) and len(after) == n and _same(after[k], gradients[k]), (
            f"{call} changed the gradient arrays it was given at step {k + 1}: never modify grads "
            "(copy a gradient before storing it in a buffer that you change in place)")
    assert all(isinstance(step, list) and [np.shape(a) for a in step] == [a.shape for a in init]
               and all(isinstance(a, np.ndarray) for a in step) for step in trajectory), (
        f"the parameters of {call} could not be read back after its steps")
    if any(np.any(g != 0) for g in gradients[0]):
        assert not _same(trajectory[0], init), (
            f"{call}.step() did not change the arrays in params: update them in place (p -= ...)")
    return np.array([np.concatenate([np.ravel(a) for a in step]) for step in trajectory])


def _reference_trajectories(name, kwargs, init, gradients):
    """The same run with torch.optim and with mlkit.optim: two arrays (steps, weights)."""
    torch_class, mlkit_class = OPTIMIZERS[name]
    torch_params = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True) for a in init]
    mlkit_params = [Parameter(a.copy()) for a in init]
    torch_opt, mlkit_opt = torch_class(torch_params, **kwargs), mlkit_class(mlkit_params, **kwargs)
    torch_steps, mlkit_steps = [], []
    for grads in gradients:
        for p, q, g in zip(torch_params, mlkit_params, grads):
            p.grad = torch.tensor(g)
            q.grad[...] = g
        torch_opt.step()
        mlkit_opt.step()
        torch_steps.append(np.concatenate([p.detach().numpy().ravel() for p in torch_params]))
        mlkit_steps.append(np.concatenate([q.data.ravel() for q in mlkit_params]))
    return np.array(torch_steps), np.array(mlkit_steps)


ALL_STEPS = range(40)  # zero gradients at every step (runs have at most 30)


def _problem(rng, shapes, n_steps, scale=1.0, zero_steps=()):
    """Starting weights and ``n_steps`` gradient lists: a drift per weight plus fresh noise at every step (like
    minibatch gradients; some weights' gradients change sign), times ``scale``; all zeros at ``zero_steps``."""
    init = [rng.normal(size=shape) for shape in shapes]
    drift = [rng.normal(size=shape) for shape in shapes]
    gradients = [[np.zeros(shape) if k in zero_steps else scale * (m + 0.7 * rng.normal(size=shape))
                  for shape, m in zip(shapes, drift)] for k in range(n_steps)]
    return init, gradients


def _compare(t, name, kwargs, shapes, n_steps=20, **problem):
    """The student's optimizer against torch.optim and mlkit.optim, step by step, on a fresh random problem."""
    init, gradients = _problem(t.rng, shapes, n_steps, **problem)
    expected_torch, expected_mlkit = _reference_trajectories(name, kwargs, init, gradients)
    got = _student_trajectory(t, name, kwargs, init, gradients)
    case = f"{_call(name, kwargs)} on shapes {shapes}"
    if "scale" in problem:
        case += f" with gradients of size ~{problem['scale']:g}"
    if "zero_steps" in problem:
        zero = problem["zero_steps"]
        case += (" with zero gradients at every step" if zero is ALL_STEPS
                 else f" with zero gradients at steps {[k + 1 for k in zero]}")
    for k in range(n_steps):
        for expected, which in [(expected_torch[k], "torch.optim"), (expected_mlkit[k], "mlkit.optim")]:
            try:
                t.check_close(got[k], expected, f"the parameters after step {k + 1} of {case} (vs {which})",
                              rtol=1e-10, atol=1e-12)
            except AssertionError as err:  # the 6 digits shown may agree: say how far off the step is
                raise AssertionError(f"{err} (largest difference {np.max(np.abs(got[k] - expected)):.2g}; "
                                     "10 significant digits must agree)") from None


def _visible(t, name, kwargs, grads):
    """A visible case: one parameter [1, 2], the gradients ``grads`` (lists of 2 numbers), one step each."""
    return _student_trajectory(t, name, kwargs, [np.array([1.0, 2.0])], [[np.array(g, dtype=float)] for g in grads])


@spec.test("test_sgd_momentum")
def sgd_momentum(t):
    v = _visible(t, "SGD", dict(lr=0.1), [[1.0, -1.0]])
    t.check_close(v[0], [0.9, 2.1], "plain SGD (lr=0.1) from [1, 2] with g = [1, -1] (did you update p in place?)")
    v = _visible(t, "SGD", dict(lr=0.1, momentum=0.9), [[1.0, -1.0], [1.0, -1.0]])
    t.check_close(v[0], [0.9, 2.1], "SGD(lr=0.1, momentum=0.9) after step 1 (b = g)")
    t.check_close(v[1], [0.71, 2.29], "SGD(lr=0.1, momentum=0.9) after step 2 (b = 0.9 * b + g)")
    for kwargs, shapes, problem in [
        (dict(lr=0.1), [(3, 4), (4,), (1,)], {}),
        (dict(lr=0.05, momentum=0.9), [(2, 3), (3,)], {}),
        (dict(lr=0.2, momentum=0.5), [(5,)], {}),
        (dict(lr=0.02, momentum=0.9), [(1,)], {}),                                # a single weight
        (dict(lr=0.1, momentum=0.9), [(2, 2), (2,)], dict(zero_steps=ALL_STEPS)),  # zero gradients
        (dict(lr=0.1, momentum=0.8), [(3, 2), (2,)], dict(zero_steps=(0, 1, 7))),  # a zero first gradient
        (dict(lr=1e-4, momentum=0.9), [(4, 3)], dict(scale=1e3)),                 # large gradients
    ]:
        _compare(t, "SGD", kwargs, shapes, **problem)


@spec.test("test_sgd_nesterov")
def sgd_nesterov(t):
    v = _visible(t, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True), [[1.0, -1.0], [1.0, -1.0]])
    t.check_close(v[0], [0.81, 2.19], "SGD(lr=0.1, momentum=0.9, nesterov=True) after step 1")
    t.check_close(v[1], [0.539, 2.461], "SGD(lr=0.1, momentum=0.9, nesterov=True) after step 2")
    for kwargs, shapes, problem in [
        (dict(lr=0.05, momentum=0.9), [(3, 4), (4,), (1,)], {}),
        (dict(lr=0.1, momentum=0.5), [(6,)], {}),
        (dict(lr=0.02, momentum=0.95), [(1,)], {}),
        (dict(lr=0.1, momentum=0.9), [(2, 2)], dict(zero_steps=ALL_STEPS)),
        (dict(lr=0.1, momentum=0.7), [(3,), (2, 1)], dict(zero_steps=(0, 4))),
        (dict(lr=1e-4, momentum=0.9), [(4, 2)], dict(scale=1e3)),
    ]:
        _compare(t, "SGD", kwargs | dict(nesterov=True), shapes, **problem)


@spec.test("test_adagrad")
def adagrad(t):
    v = _visible(t, "Adagrad", dict(lr=0.1), [[2.0, -0.5], [2.0, -0.5]])
    t.check_close(v[0], [0.9, 2.1], "Adagrad(lr=0.1) after step 1 from [1, 2] with g = [2, -0.5]", rtol=1e-6)
    t.check_close(v[1], [0.9 - 0.1 / np.sqrt(2), 2.1 + 0.1 / np.sqrt(2)], "Adagrad(lr=0.1) after step 2", rtol=1e-6)
    for kwargs, shapes, problem in [
        (dict(), [(3, 4), (4,), (1,)], {}),
        (dict(lr=0.5), [(2, 3), (3,)], {}),
        (dict(lr=0.3), [(1,)], {}),
        (dict(lr=0.1, eps=1e-6), [(5,)], dict(scale=1e-7)),                 # tiny gradients: eps matters
        (dict(lr=0.1), [(2, 2)], dict(zero_steps=ALL_STEPS)),
        (dict(lr=0.2), [(3,), (2, 2)], dict(zero_steps=(0, 1, 2, 9))),
        (dict(lr=0.05), [(4, 2)], dict(scale=1e3)),
    ]:
        _compare(t, "Adagrad", kwargs, shapes, **problem)


@spec.test("test_rmsprop")
def rmsprop(t):
    v = _visible(t, "RMSprop", dict(), [[2.0, -0.5], [2.0, -0.5]])
    t.check_close(v[0], [0.9, 2.1], "RMSprop() after step 1 from [1, 2] with g = [2, -0.5]", rtol=1e-6)
    step = 0.01 / np.sqrt(0.0199)
    t.check_close(v[1], [0.9 - step, 2.1 + step], "RMSprop() after step 2", rtol=1e-6)
    for kwargs, shapes, problem in [
        (dict(), [(3, 4), (4,), (1,)], {}),
        (dict(lr=0.001, alpha=0.9), [(2, 3), (3,)], {}),
        (dict(lr=0.02, alpha=0.5), [(1,)], {}),
        (dict(lr=0.01, eps=1e-4), [(5,)], dict(scale=1e-5)),                # tiny gradients: eps matters
        (dict(), [(2, 2)], dict(zero_steps=ALL_STEPS)),
        (dict(lr=0.005), [(3,), (2, 2)], dict(zero_steps=(0, 1, 2, 9))),
        (dict(lr=0.01, alpha=0.95), [(4, 2)], dict(scale=1e3)),
    ]:
        _compare(t, "RMSprop", kwargs, shapes, **problem)


@spec.test("test_adam")
def adam(t):
    # a constant gradient: m_hat = g and v_hat = g^2 at every step, so every weight moves by lr = 0.1 per step
    v = _visible(t, "Adam", dict(lr=0.1), [[2.0, -0.5], [2.0, -0.5]])
    t.check_close(v[0], [0.9, 2.1], "Adam(lr=0.1) after step 1 from [1, 2] with g = [2, -0.5]", rtol=1e-6)
    t.check_close(v[1], [0.8, 2.2], "Adam(lr=0.1) after step 2 with the same gradient (bias correction!)", rtol=1e-6)
    # a gradient that changes: step 2 with g = [0, 0] keeps moving (momentum)
    v = _visible(t, "Adam", dict(lr=0.1), [[2.0, -0.5], [0.0, 0.0]])
    m_hat, v_hat = 0.09 / 0.19, 0.999 * 0.001 / (1 - 0.999 ** 2)
    t.check_close(v[1], [0.9 - 0.1 * 2 * m_hat / (2 * np.sqrt(v_hat)),
                         2.1 + 0.1 * 0.5 * m_hat / (0.5 * np.sqrt(v_hat))],
                  "Adam(lr=0.1) after a second step with g = [0, 0]", rtol=1e-6)
    for kwargs, shapes, problem in [
        (dict(), [(3, 4), (4,), (1,)], {}),
        (dict(lr=0.05, betas=(0.8, 0.99)), [(2, 3), (3,)], {}),
        (dict(lr=0.1, betas=(0.5, 0.9)), [(1,)], {}),
        (dict(lr=0.1), [(5,)], dict(scale=1e-9)),                           # tiny gradients: where eps goes matters
        (dict(lr=0.05, eps=1e-3), [(2, 2)], dict(scale=1e-3)),
        (dict(lr=0.1), [(2, 2)], dict(zero_steps=ALL_STEPS)),
        (dict(lr=0.05), [(3,), (2, 2)], dict(zero_steps=(0, 1, 2, 9))),      # t counts the zero steps too
        (dict(lr=0.01, betas=(0.9, 0.99)), [(4, 2)], dict(scale=1e3)),
    ]:
        _compare(t, "Adam", kwargs, shapes, n_steps=30, **problem)

"""mlkit.optim against torch.optim: same parameters, same gradients, same trajectories (to 1e-10)."""

import inspect
import math

import numpy as np
import pytest
import torch

import mlkit.optim as mo
from mlkit.layers import Linear, Parameter

pytestmark = pytest.mark.lecture06  # the AdamW tests also lecture11: ALSO in conftest.py

SHAPES = [(3, 4), (5,), (2, 3, 2)]
N_STEPS = 25

# (optimizer name, keyword arguments): every option of every optimizer, alone and in combination
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.02, initial_accumulator_value=0.1, weight_decay=0.05, eps=1e-6)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-4, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.8), eps=1e-3, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.8), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.0)),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


def initial_arrays(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype) for shape in SHAPES]


def make_gradient(seed=1, n_steps=N_STEPS):
    """g(θ) at step k: ∇ Σ(log cosh θ − cos(3θ)/3 + θ²/10) plus seeded noise (a 'minibatch' gradient)."""
    rng = np.random.default_rng(seed)
    noise = [[0.3 * rng.normal(size=shape) for shape in SHAPES] for _ in range(n_steps)]

    def gradient(k, arrays):
        return [np.tanh(w) + np.sin(3.0 * w) + 0.2 * w + n.astype(w.dtype) for w, n in zip(arrays, noise[k])]

    return gradient


def run_mlkit(name, kwargs, init, gradient, n_steps, scheduler=None):
    params = [Parameter(w.copy()) for w in init]
    opt = getattr(mo, name)(params, **kwargs)
    sched = scheduler(mo, opt) if scheduler else None
    trajectory = []
    for k in range(n_steps):
        opt.zero_grad()
        for p, g in zip(params, gradient(k, [p.data for p in params])):
            p.grad += g
        opt.step()
        if sched:
            sched.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory, opt, params


def run_torch(name, kwargs, init, gradient, n_steps, scheduler=None):
    params = [torch.tensor(w.copy(), requires_grad=True) for w in init]
    opt = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    sched = scheduler(torch.optim.lr_scheduler, opt) if scheduler else None
    trajectory = []
    for k in range(n_steps):
        opt.zero_grad()
        for p, g in zip(params, gradient(k, [p.detach().numpy() for p in params])):
            p.grad = torch.from_numpy(g)
        opt.step()
        if sched:
            sched.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def assert_same_trajectory(ours, theirs, atol):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=0, atol=atol, err_msg=f"step {k + 1}, parameter {i}")


# ---------------------------------------------------------------------------------------------------- torch


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_trajectory_matches_torch(name, kwargs):
    init, gradient = initial_arrays(), make_gradient()
    ours, _, _ = run_mlkit(name, kwargs, init, gradient, N_STEPS)
    theirs = run_torch(name, kwargs, init, gradient, N_STEPS)
    moved = max(np.abs(a - b).max() for a, b in zip(ours[-1], init))
    assert moved > 1e-3  # the comparison is not vacuous
    assert_same_trajectory(ours, theirs, atol=1e-10)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_defaults_match_torch(name):
    ours = inspect.signature(getattr(mo, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    shared = [k for k in ours if k != "params"]
    if name == "SGD":  # torch's SGD defaults to lr=1e-3; here the learning rate must be chosen
        assert ours["lr"].default is inspect.Parameter.empty
        shared.remove("lr")
    for key in shared:
        assert key in theirs, key
        assert ours[key].default == theirs[key].default, key


@pytest.mark.parametrize("schedule", [
    lambda lib, opt: lib.StepLR(opt, step_size=4, gamma=0.5),
    lambda lib, opt: lib.ExponentialLR(opt, gamma=0.9),
    lambda lib, opt: lib.CosineAnnealingLR(opt, T_max=8, eta_min=1e-3),
], ids=["StepLR", "ExponentialLR", "CosineAnnealingLR"])
def test_scheduled_training_matches_torch(schedule):
    init, gradient = initial_arrays(), make_gradient(n_steps=30)
    ours, _, _ = run_mlkit("Adam", dict(lr=0.05), init, gradient, 30, scheduler=schedule)
    theirs = run_torch("Adam", dict(lr=0.05), init, gradient, 30, scheduler=schedule)
    assert_same_trajectory(ours, theirs, atol=1e-10)


# ---------------------------------------------------------------------------------------------------- schedulers

SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5), 0.1, lambda e: 0.1 * 0.5 ** (e // 3)),
    ("StepLR", dict(step_size=1), 1.0, lambda e: 1.0 * 0.1**e),
    ("ExponentialLR", dict(gamma=0.9), 0.2, lambda e: 0.2 * 0.9**e),
    ("CosineAnnealingLR", dict(T_max=10), 0.1, lambda e: 0.05 * (1 + math.cos(math.pi * e / 10))),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01), 0.3,
     lambda e: 0.01 + 0.29 * (1 + math.cos(math.pi * e / 7)) / 2),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.05), 0.5,
     lambda e: 0.05 + 0.45 * (1 + math.cos(math.pi * e)) / 2),
]


@pytest.mark.parametrize("name, kwargs, lr0, closed_form", SCHEDULES,
                         ids=[f"{s[0]}-{s[1]}" for s in SCHEDULES])
def test_scheduler_matches_torch(name, kwargs, lr0, closed_form):
    n_epochs = 3 * kwargs.get("T_max", 10) + 5  # well past T_max: the cosine climbs back up
    ours_opt = mo.SGD([Parameter(np.zeros(2))], lr=lr0)
    ours = getattr(mo, name)(ours_opt, **kwargs)
    weight = torch.zeros(2, requires_grad=True)
    theirs_opt = torch.optim.SGD([weight], lr=lr0)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    assert ours.last_epoch == theirs.last_epoch == 0
    assert ours.get_last_lr() == theirs.get_last_lr() == [lr0]
    lrs = []
    for epoch in range(1, n_epochs + 1):
        ours_opt.step()
        theirs_opt.step()  # torch expects optimizer.step() before scheduler.step()
        ours.step()
        theirs.step()
        assert ours.last_epoch == theirs.last_epoch == epoch
        assert ours.get_last_lr()[0] == ours_opt.lr
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=0, atol=1e-12)
        lrs.append(ours_opt.lr)
    expected = [closed_form(e) for e in range(1, n_epochs + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)


def test_cosine_rises_again_after_t_max():
    opt = mo.SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = mo.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(8):
        sched.step()
        lrs.append(opt.lr)
    assert lrs[4] == pytest.approx(0.1, abs=1e-15)
    assert lrs[8] == pytest.approx(1.0, abs=1e-12)
    assert lrs[5] > lrs[4]


def test_scheduler_state_dict_round_trip():
    opt = mo.SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = mo.CosineAnnealingLR(opt, T_max=6)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    reference = []
    for _ in range(5):
        sched.step()
        reference.append(opt.lr)
    opt2 = mo.SGD([Parameter(np.zeros(1))], lr=saved["_last_lr"][0])
    sched2 = mo.CosineAnnealingLR(opt2, T_max=6)
    sched2.load_state_dict(saved)
    resumed = []
    for _ in range(5):
        sched2.step()
        resumed.append(opt2.lr)
    assert resumed == reference


# ---------------------------------------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_state_dict_resume_equals_uninterrupted(name, kwargs):
    init, gradient = initial_arrays(), make_gradient(n_steps=10)
    straight, _, _ = run_mlkit(name, kwargs, init, gradient, 10)

    first, opt, params = run_mlkit(name, kwargs, init, gradient, 5)
    saved = opt.state_dict()
    for s in opt.state:  # the saved dict is a deep copy: spoiling the live state does not reach it
        for arr in s.values():
            arr += 123.0
    # a fresh process: new Parameters holding the checkpointed weights, a new optimizer, then load
    new_params = [Parameter(w.copy()) for w in first[-1]]
    new_opt = getattr(mo, name)(new_params, **kwargs)
    new_opt.load_state_dict(saved)
    for k in range(5, 10):
        new_opt.zero_grad()
        for p, g in zip(new_params, gradient(k, [p.data for p in new_params])):
            p.grad += g
        new_opt.step()
        for a, b in zip(straight[k], new_params):
            np.testing.assert_array_equal(b.data, a)


def test_state_dict_is_plain_and_restores_hyperparameters():
    params = [Parameter(w) for w in initial_arrays()]
    opt = mo.Adam(params, lr=0.05, betas=(0.8, 0.9), amsgrad=True)
    for p in params:
        p.grad[...] = 1.0
    opt.step()
    opt.lr = 0.01  # as a scheduler would
    sd = opt.state_dict()
    assert sd["optimizer"] == "Adam" and sd["t"] == 1
    assert sd["hyperparameters"]["lr"] == 0.01 and sd["hyperparameters"]["betas"] == (0.8, 0.9)
    assert all(isinstance(a, np.ndarray) for s in sd["state"] for a in s.values())
    assert set(sd["state"][0]) == {"m", "v", "v_max"}
    np.testing.assert_allclose(sd["state"][0]["m"], 0.2)  # (1 − β₁) · 1

    m = opt.state[0]["m"].copy()
    sd["state"][0]["m"][...] = 7.0  # editing the returned dict does not touch the optimizer
    np.testing.assert_array_equal(opt.state[0]["m"], m)

    fresh = mo.Adam([Parameter(w) for w in initial_arrays()])  # built with other hyperparameters
    fresh.load_state_dict(opt.state_dict())
    assert (fresh.lr, fresh.betas, fresh.amsgrad, fresh.t) == (0.01, (0.8, 0.9), True, 1)


def test_load_state_dict_validates():
    opt = mo.SGD([Parameter(np.zeros((2, 3))), Parameter(np.zeros(3))], lr=0.1, momentum=0.9)
    opt.step()
    good = opt.state_dict()

    wrong_shape = mo.SGD([Parameter(np.zeros((3, 2))), Parameter(np.zeros(3))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"must have shape \(3, 2\).*got shape \(2, 3\)"):
        wrong_shape.load_state_dict(good)
    # unchanged after the failure: nothing is taken over before every check has passed
    assert wrong_shape.momentum == 0.9 and wrong_shape.t == 0
    assert all(not s["momentum_buffer"].any() for s in wrong_shape.state)

    with pytest.raises(ValueError, match="state of 1 parameters, got 2 parameters"):
        mo.SGD([Parameter(np.zeros((2, 3)))], lr=0.1).load_state_dict(good)
    with pytest.raises(ValueError, match="saved from SGD"):
        mo.Adam([Parameter(np.zeros((2, 3))), Parameter(np.zeros(3))]).load_state_dict(good)
    with pytest.raises(ValueError, match="momentum"):
        mo.SGD([Parameter(np.zeros((2, 3))), Parameter(np.zeros(3))], lr=0.1).load_state_dict(
            {**good, "hyperparameters": {**good["hyperparameters"], "momentum": -1.0}})

    adam = mo.Adam([Parameter(np.zeros(3))])
    sd = adam.state_dict()
    del sd["state"][0]["v"]
    with pytest.raises(ValueError, match="arrays"):
        adam.load_state_dict(sd)


# ---------------------------------------------------------------------------------------------------- convergence

_rng = np.random.default_rng(5)
_Q, _ = np.linalg.qr(_rng.normal(size=(6, 6)))
A = _Q @ np.diag(np.linspace(1.0, 10.0, 6)) @ _Q.T  # symmetric positive definite, condition number 10
C = _rng.normal(size=6)


def minimise_quadratic(name, kwargs, n_steps, cosine=False):
    """Minimise f(θ) = ½ (θ − c)ᵀ A (θ − c) from θ = 0; returns θ."""
    p = Parameter(np.zeros(6))
    opt = getattr(mo, name)([p], **kwargs)
    sched = mo.CosineAnnealingLR(opt, T_max=n_steps) if cosine else None
    for _ in range(n_steps):
        opt.zero_grad()
        p.grad += A @ (p.data - C)
        opt.step()
        if sched:
            sched.step()
    return p.data


# (name, kwargs, steps, cosine schedule, tolerance on ‖θ − θ*‖); observed errors are far below the tolerance
QUADRATIC = [
    ("SGD", dict(lr=0.1), 300, False, 1e-6),
    ("SGD", dict(lr=0.05, momentum=0.9), 500, False, 1e-6),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), 500, False, 1e-6),
    ("SGD", dict(lr=0.1, weight_decay=0.5), 300, False, 1e-6),
    ("Adagrad", dict(lr=0.5), 500, False, 1e-6),
    ("Adagrad", dict(lr=0.5, weight_decay=0.5), 500, False, 1e-6),
    # RMSprop's step η g/√v does not shrink with g: at constant η it keeps hovering at a distance ~η,
    # so it gets a cosine schedule down to 0
    ("RMSprop", dict(lr=0.01), 1000, True, 1e-6),
    ("RMSprop", dict(lr=0.01, centered=True), 1000, True, 1e-6),
    ("RMSprop", dict(lr=0.01, momentum=0.5), 1000, True, 1e-6),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.5), 1000, True, 1e-6),
    ("Adam", dict(lr=0.05), 1000, False, 1e-6),
    ("Adam", dict(lr=0.05, amsgrad=True), 1000, False, 1e-6),
    ("Adam", dict(lr=0.05, weight_decay=0.5), 1000, False, 1e-6),
    # AdamW's decoupled decay η λ θ is not part of any gradient: θ creeps to θ* slowly (error ≈ 2e-3)
    ("AdamW", dict(lr=0.05), 2000, False, 1e-2),
]


@pytest.mark.parametrize("name, kwargs, n_steps, cosine, tol", QUADRATIC,
                         ids=[f"{q[0]}-{q[1]}" for q in QUADRATIC])
def test_converges_on_convex_quadratic(name, kwargs, n_steps, cosine, tol):
    # an L2 penalty (λ/2)‖θ‖² moves the minimum to θ* = (A + λI)⁻¹ A c
    lam = kwargs.get("weight_decay", 0.0) if name != "AdamW" else 0.0
    theta_star = np.linalg.solve(A + lam * np.eye(6), A @ C)
    theta = minimise_quadratic(name, kwargs, n_steps, cosine)
    assert np.linalg.norm(theta - theta_star) < tol
    assert np.linalg.norm(theta_star) > 0.5  # and starting from 0 was far from it


def rosenbrock_gradient(z):
    """∇ of f(x, y) = (1 − x)² + 100 (y − x²)², minimum f(1, 1) = 0."""
    x, y = z
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


@pytest.mark.parametrize("name, kwargs, n_steps, tol", [
    ("Adam", dict(lr=0.05), 3000, 1e-4),                               # observed error ≈ 2e-9
    ("SGD", dict(lr=1e-3, momentum=0.9), 3000, 1e-4),                  # observed error ≈ 1e-6
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True), 3000, 1e-4),
])
def test_rosenbrock(name, kwargs, n_steps, tol):
    p = Parameter(np.array([-1.2, 1.0]))
    opt = getattr(mo, name)([p], **kwargs)
    for _ in range(n_steps):
        opt.zero_grad()
        p.grad += rosenbrock_gradient(p.data)
        opt.step()
    assert np.linalg.norm(p.data - 1.0) < tol


def test_plain_sgd_is_slow_on_rosenbrock():
    """The contrast that motivates momentum: same lr, same steps, no momentum → still far away."""
    p = Parameter(np.array([-1.2, 1.0]))
    opt = mo.SGD([p], lr=1e-3)
    for _ in range(3000):
        opt.zero_grad()
        p.grad += rosenbrock_gradient(p.data)
        opt.step()
    assert np.linalg.norm(p.data - 1.0) > 1e-2


# ---------------------------------------------------------------------------------------------------- mechanics


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_float32_stays_float32(name, kwargs):
    init, gradient = initial_arrays(dtype=np.float32), make_gradient()
    ours, opt, params = run_mlkit(name, kwargs, init, gradient, 10)
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in params)
    assert all(a.dtype == np.float32 for s in opt.state for a in s.values())
    theirs = run_torch(name, kwargs, init, gradient, 10)  # torch in float32 too
    assert_same_trajectory(ours, theirs, atol=2e-5)


def test_updates_in_place_and_zero_grad():
    layer = Linear(3, 2, rng=0)
    W = layer.W.data
    opt = mo.Adam(layer.parameters(), lr=0.1)
    layer.W.grad[...] = 1.0
    layer.b.grad[...] = -1.0
    before = W.copy()
    opt.step()
    assert layer.W.data is W and not np.array_equal(W, before)  # the layer's own array changed
    np.testing.assert_allclose(layer.b.data, 0.1)  # Adam's first step is η · sign(g)
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in layer.parameters())


def test_custom_optimizer_from_base_class():
    class GD(mo.Optimizer):
        def _update(self, theta, g, state):
            theta -= self.lr * g

    init, gradient = initial_arrays(), make_gradient()
    params = [Parameter(w.copy()) for w in init]
    opt = GD(params, lr=0.05)
    for k in range(5):
        opt.zero_grad()
        for p, g in zip(params, gradient(k, [p.data for p in params])):
            p.grad += g
        opt.step()
    reference, _, _ = run_mlkit("SGD", dict(lr=0.05), init, gradient, 5)
    for a, p in zip(reference[-1], params):
        np.testing.assert_array_equal(p.data, a)
    assert GD(params, lr=0.1).state_dict()["hyperparameters"] == {"lr": 0.1}


# ---------------------------------------------------------------------------------------------------- bad input

BAD = [
    ("SGD", dict(lr=-0.1)),
    ("SGD", dict(lr=float("nan"))),
    ("SGD", dict(lr="fast")),
    ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, dampening=1.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adagrad", dict(lr=-1.0)),
    ("Adagrad", dict(lr_decay=-0.1)),
    ("Adagrad", dict(weight_decay=-0.1)),
    ("Adagrad", dict(initial_accumulator_value=-0.1)),
    ("Adagrad", dict(eps=-1e-10)),
    ("RMSprop", dict(lr=-0.01)),
    ("RMSprop", dict(alpha=-0.1)),
    ("RMSprop", dict(alpha=1.5)),
    ("RMSprop", dict(eps=-1.0)),
    ("RMSprop", dict(momentum=-0.9)),
    ("RMSprop", dict(weight_decay=-0.1)),
    ("Adam", dict(lr=-0.001)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, 1.0))),
    ("Adam", dict(betas=(-0.1, 0.999))),
    ("Adam", dict(betas=0.9)),
    ("Adam", dict(betas=(0.9, 0.99, 0.999))),
    ("Adam", dict(eps=-1e-8)),
    ("Adam", dict(weight_decay=-0.01)),
    ("AdamW", dict(lr=-0.001)),
    ("AdamW", dict(betas=(0.9, 1.2))),
    ("AdamW", dict(weight_decay=-0.01)),
]


@pytest.mark.parametrize("name, kwargs", BAD, ids=[f"{b[0]}-{b[1]}" for b in BAD])
def test_bad_hyperparameters_raise(name, kwargs):
    with pytest.raises(ValueError):
        getattr(mo, name)([Parameter(np.zeros(3))], **kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda ps: mo.SGD(ps, lr=-0.1), "learning rate lr must be a number ≥ 0, got -0.1"),
    (lambda ps: mo.SGD(ps, lr="fast"), "learning rate lr must be a finite real number, got 'fast'"),
    (lambda ps: mo.SGD(ps, lr=0.1, nesterov="yes"), "nesterov must be True or False, got 'yes'"),
    (lambda ps: mo.RMSprop(ps, alpha=1.5), r"alpha must be a number in \[0.0, 1.0\], got 1.5"),
    (lambda ps: mo.Adam(ps, betas=(1.0, 0.999)), r"beta1 \(betas\[0\]\) must be a number in \[0.0, 1.0\), got 1.0"),
])
def test_bad_hyperparameter_messages_name_expected_and_received(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.zeros(3))])


def test_schedulers_are_exported_from_optim():
    import mlkit.schedules

    assert mo.StepLR is mlkit.schedules.StepLR and mo.CosineAnnealingLR is mlkit.schedules.CosineAnnealingLR


@pytest.mark.parametrize("params, match", [
    ([], "empty"),
    ([np.zeros(3)], "Parameter"),
    (Parameter(np.zeros(3)), "single Parameter"),
    (3, "iterable"),
])
def test_bad_params_raise(params, match):
    with pytest.raises(ValueError, match=match):
        mo.Adam(params)


def test_duplicate_parameter_raises():
    p = Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="more than once"):
        mo.SGD([p, p], lr=0.1)


def test_params_from_generator_and_module():
    layer = Linear(4, 3, rng=0)
    assert mo.SGD(iter(layer.parameters()), lr=0.1).params == [layer.W, layer.b]


@pytest.mark.parametrize("make", [
    lambda opt: mo.StepLR(opt, step_size=0),
    lambda opt: mo.StepLR(opt, step_size=2.5),
    lambda opt: mo.StepLR(opt, step_size=3, gamma=0.0),
    lambda opt: mo.ExponentialLR(opt, gamma=-0.5),
    lambda opt: mo.CosineAnnealingLR(opt, T_max=0),
    lambda opt: mo.CosineAnnealingLR(opt, T_max=10, eta_min=-0.1),
    lambda opt: mo.ExponentialLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 0.9),
])
def test_bad_scheduler_arguments_raise(make):
    with pytest.raises(ValueError):
        make(mo.SGD([Parameter(np.zeros(1))], lr=0.1))


@pytest.mark.parametrize("make", [lambda ps: mo.Adam(ps, lr=0.1), lambda ps: mo.AdamW(ps, lr=0.1),
                                  lambda ps: mo.Adam(ps, lr=0.1, amsgrad=True)])
def test_adam_handles_a_scalar_parameter(make):
    """A 0-d parameter (a single learnable number) follows torch too."""
    p = Parameter(np.array(1.5))
    tp = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    topt = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[type(opt).__name__](
        [tp], lr=0.1, amsgrad=getattr(opt, "amsgrad", False), weight_decay=opt.weight_decay)
    for step in range(12):
        g = np.cos(3.0 * step) + p.data
        p.grad[...] = g
        tp.grad = torch.tensor(float(g), dtype=torch.float64)
        opt.step()
        topt.step()
        assert p.data.shape == ()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12)

"""Learning-rate schedules (lecture 06) — like ``torch.optim.lr_scheduler``, epoch for epoch.

A schedule changes ``optimizer.lr`` once per epoch, after that epoch's optimizer steps::

    scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        ...                      # the epoch's optimizer.step() calls
        scheduler.step()         # η for the next epoch

With e the number of ``step()`` calls so far and η₀ the learning rate at construction:

    StepLR             η_e = η₀ · γ^⌊e / step_size⌋
    ExponentialLR      η_e = η₀ · γ^e
    CosineAnnealingLR  η_e = η_min + (η₀ − η_min) · (1 + cos(π e / T_max)) / 2

Like torch, each new rate is computed from the current ``optimizer.lr`` (recursively), so a schedule also
follows a learning rate changed from outside. ``mlkit.optim`` exports these classes too.
"""

from __future__ import annotations

import copy
import math

from ._checks import as_nonnegative, as_positive, as_positive_int


class LRScheduler:
    """Base class: ``step()`` once per epoch sets ``optimizer.lr`` to ``_next_lr(optimizer.lr)``.

    ``last_epoch`` counts the calls of ``step()`` (0 right after construction), ``base_lr`` is η₀, the
    optimizer's learning rate at construction, and ``get_last_lr()`` returns ``[optimizer.lr]`` as set by the
    last ``step()`` (a list, like torch, which has one entry per parameter group).
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):  # e.g. a torch.optim optimizer (its rates live in param_groups)
            raise ValueError(f"optimizer must be an mlkit.optim optimizer (with a learning rate lr), "
                             f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0
        self._last_lr = [float(optimizer.lr)]

    def _next_lr(self, lr: float) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr(float(self.optimizer.lr))
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (which has its own ``state_dict``), deep-copied."""
        return {key: copy.deepcopy(value) for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        expected = set(vars(self)) - {"optimizer"}
        if set(state_dict) != expected:
            raise ValueError(f"scheduler state must have the keys {sorted(expected)}, got {sorted(state_dict)}")
        self.__dict__.update(copy.deepcopy(state_dict))


class StepLR(LRScheduler):
    """Multiply the learning rate by γ every ``step_size`` epochs: η_e = η₀ · γ^⌊e / step_size⌋."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = as_positive_int(step_size, "step_size")
        self.gamma = as_positive(gamma, "gamma")
        super().__init__(optimizer)

    def _next_lr(self, lr):
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by γ every epoch: η_e = η₀ · γ^e."""

    def __init__(self, optimizer, gamma: float):
        self.gamma = as_positive(gamma, "gamma")
        super().__init__(optimizer)

    def _next_lr(self, lr):
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Cosine schedule from η₀ down to η_min over ``T_max`` epochs:

        η_e = η_min + (η₀ − η_min) · (1 + cos(π e / T_max)) / 2

    Computed like torch: η_e from η_{e−1} by the ratio of two consecutive cosine terms, or, at
    e = T_max + 1 (mod 2 T_max) where that ratio is 0/0, by an additive step. After T_max the rate does not
    stay at η_min: it climbs back to η₀ at 2 T_max (period 2 T_max).
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max = as_positive_int(T_max, "T_max")
        self.eta_min = as_nonnegative(eta_min, "eta_min")
        super().__init__(optimizer)

    def _next_lr(self, lr):
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - eta_min) + eta_min


__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]

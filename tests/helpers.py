"""Helpers for comparing mlkit with PyTorch in tests."""

import numpy as np
import torch


def t64(a, grad=False):
    """A float64 torch tensor copy of ``a`` (optionally requiring a gradient)."""
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def away_from(z, kinks, gap=1e-3):
    """Move entries of ``z`` that lie within ``gap`` of a kink by 2·gap, so finite differences are valid."""
    z = np.array(z, dtype=np.float64)
    for k in kinks:
        near = np.abs(z - k) < gap
        z[near] = k + 2 * gap * np.where(z[near] >= k, 1.0, -1.0)
    return z

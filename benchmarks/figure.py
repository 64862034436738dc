"""speed.png: seconds per epoch of every system (top row) and the accuracy recipe's test accuracy (bottom row)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

from accuracy import TARGETS, target_key
from report import speed_rows

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the headless backend


def plot(report: dict, path: Path) -> None:
    """One column per data set: the training time per epoch, grouped by network and threads; below it, the test
    accuracy after every epoch of the accuracy recipe (when it ran)."""
    rows = [r for r in speed_rows(report) if "error" not in r]
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    recipes = [r for r in report["recipe"] if "error" not in r]
    if not datasets:
        return
    n_rows = 2 if recipes else 1
    fig, axes = plt.subplots(n_rows, len(datasets), figsize=(5 * len(datasets), 3.3 * n_rows), squeeze=False)
    systems = list(dict.fromkeys(r["system"] for r in rows))  # the same colours in every panel
    for ax, name in zip(axes[0], datasets):
        speed_panel(ax, name, [r for r in rows if r["dataset"] == name], systems)
    if recipes:
        for ax, name in zip(axes[1], datasets):
            accuracy_panel(ax, name, [r for r in recipes if r["dataset"] == name], TARGETS[target_key(report, name)])
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)


def speed_panel(ax, name: str, rows: list[dict], systems: list[str]) -> None:
    groups = list(dict.fromkeys((r["network"], r["threads"]) for r in rows))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        values = [next((r["seconds"] for r in rows if (r["network"], r["threads"]) == g and r["system"] == system),
                       np.nan) for g in groups]
        ax.bar(np.arange(len(groups)) + (i - (len(systems) - 1) / 2) * width, values, width, label=system)
    ax.set_xticks(np.arange(len(groups)), [f"{n}\n{t} thread{'s' if t > 1 else ''}" for n, t in groups], fontsize=8)
    ax.set_ylabel("seconds per epoch")
    ax.set_title(f"{name}: training time per epoch (lower is better)", fontsize=10)
    ax.legend(fontsize=8)


def accuracy_panel(ax, name: str, runs: list[dict], target: float) -> None:
    for r in runs:
        acc = r["test_accuracy"]
        ax.plot(np.arange(1, len(acc) + 1), acc, label=f"{r['system']} ({acc[-1]:.4f})")
    ax.axhline(target, color="grey", lw=0.8, ls="--", label=f"target {target:.1%}")
    ax.set_ylim(target - 0.06, min(1.0, target + 0.04))
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{name}: accuracy recipe", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")

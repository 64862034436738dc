"""The accuracy recipe: how mlkit trains 784-512-256-10 to reach the course's accuracy targets.

The recipe was chosen by experiment on validation splits of the training sets, never on a test set. Those
experiments are data, in validation.csv: one row per variant, with the validation accuracy after the last epoch
(mlkit, batch 128, Adam lr 1e-3; Fashion-MNIST and the full MNIST: 50,000 train / 10,000 validation; the 4,000
offline digits: 3,000 / 1,000, with a second split's accuracy where one was run). The MNIST rows come from

    python benchmarks/bench.py --validation --datasets mnist --systems mlkit --no-speed --no-course --recipe-shift S

for S = 0, 1, 2. results.md reproduces the table.
"""

from __future__ import annotations

import csv
from pathlib import Path

VALIDATION_CSV = Path(__file__).with_name("validation.csv")

RECIPE = {
    "network": "784-512-256-10",
    "init": "torch",          # nn.Linear's default: W, b ~ U(−1/√fan_in, 1/√fan_in)
    "lr": 1e-3,               # Adam, betas (0.9, 0.999), eps 1e-8, no weight decay
    "schedule": "cosine",     # CosineAnnealingLR(T_max=epochs), stepped after every epoch: lr → 0 at the end
    "dropout": 0.2,           # Dropout after each hidden ReLU
    "label_smoothing": 0.1,   # CrossEntropyLoss(label_smoothing=0.1)
}

# The targets for mlkit's test accuracy; "digits" is the offline fallback's 1,000 held-out digits.
TARGETS = {"fashion": 0.895, "mnist": 0.98, "digits": 0.95}


def recipe_for(dataset: str, n_train: int) -> dict:
    """The recipe with what depends on the data set: the epochs and the random shifts of up to ``shift`` pixels.
    Shifts help MNIST (the full set and the 4,000 digits) but cost Fashion-MNIST about a point (validation.csv)."""
    if dataset == "fashion":
        return dict(RECIPE, epochs=30, shift=0)
    return dict(RECIPE, epochs=100 if n_train <= 10_000 else 30, shift=2)


def target_key(report: dict, dataset: str) -> str:
    """Which target applies: the full MNIST's, or the offline digits' when only those were there."""
    fallback = "fallback" in report["datasets"].get(dataset, {}).get("source", "")
    return "digits" if dataset == "mnist" and fallback else dataset


def validation_table(path: Path = VALIDATION_CSV) -> list[tuple[str, str, str]]:
    """The rows of validation.csv as (data, variant, accuracy) strings, ready for a table: the chosen variant
    of each data set says so, and two splits' accuracies read "a / b"."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [(row["data"], row["variant"] + (" (chosen)" if row["chosen"] == "yes" else ""),
             row["accuracy"] + (f" / {row['second_split']}" if row["second_split"] else ""))
            for row in rows]

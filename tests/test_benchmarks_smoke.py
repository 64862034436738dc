"""The benchmark script end to end in its tiny CI form: `python benchmarks/bench.py --smoke`.

It trains the two networks for one epoch on a few hundred digits in mlkit, PyTorch and scikit-learn (each
in its own process) and writes results.json, results.md and speed.png. mlkit and torch start from the same
weights and see the same batches, so after one epoch their test accuracies must agree.
"""

import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "bench.py"), "--smoke", "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out, json.loads((out / "results.json").read_text())


def test_every_system_and_network_has_sane_numbers(smoke):
    _, report = smoke
    runs = {(r["system"], r["network"]): r for r in report["speed"]}
    assert set(runs) == {(s, n) for s in ("mlkit", "torch", "sklearn") for n in ("784-256-10", "784-512-256-10")}
    for (system, network), r in runs.items():
        assert "error" not in r, (system, network, r.get("error"))
        assert len(r["epoch_seconds"]) == 1 and 0 < r["epoch_seconds"][0] < 30, (system, r["epoch_seconds"])
        assert len(r["test_accuracy"]) == 1
        assert 0.25 <= r["test_accuracy"][0] <= 1.0, (system, network, r["test_accuracy"])  # chance is 0.1
        assert math.isfinite(r["train_loss"][0]) and 0 < r["train_loss"][0] < math.log(10) + 0.5
        assert 20 < r["peak_mb"] < 1500, (system, r["peak_mb"])
        assert r["threads"] == 1


def test_mlkit_and_torch_train_the_same_network_on_the_same_batches(smoke):
    _, report = smoke
    runs = {(r["system"], r["network"]): r for r in report["speed"]}
    n_test = report["datasets"]["mnist"]["n_test"]
    for network in ("784-256-10", "784-512-256-10"):
        mine, theirs = runs["mlkit", network], runs["torch", network]
        assert mine["train_loss"][0] == pytest.approx(theirs["train_loss"][0], rel=1e-4)
        assert abs(mine["test_accuracy"][0] - theirs["test_accuracy"][0]) <= 2 / n_test


def test_report_files(smoke):
    out, report = smoke
    text = (out / "results.md").read_text()
    for word in ("mlkit", "torch", "sklearn", "784-512-256-10", "ratio to torch", "bench.py --smoke"):
        assert word in text
    assert (out / "speed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "speed.png").stat().st_size < 200_000
    assert report["settings"]["smoke"] is True and report["settings"]["epochs"] == 1


def _load_script(path: Path):
    """A benchmark module imported from its file (benchmarks/ is a folder of scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"mlkit_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n, n_val", [(60_000, 10_000), (4_000, 1_000)])
def test_validation_split_holds_out_part_of_the_training_set(n, n_val):
    data_files = _load_script(BENCHMARKS / "data_files.py")
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n) % 10
    X_train, y_train, X_val, y_val = data_files.validation_split(X, y, seed=0)
    assert len(X_val) == n_val and len(X_train) == n - n_val
    assert not set(X_train[:, 0]) & set(X_val[:, 0])  # disjoint, and together all of it
    np.testing.assert_array_equal(np.sort(np.concatenate([X_train, X_val])[:, 0]), X[:, 0])
    np.testing.assert_array_equal(y_val, X_val[:, 0].astype(int) % 10)  # rows keep their labels
    again = data_files.validation_split(X, y, seed=0)
    np.testing.assert_array_equal(again[2], X_val)  # fixed by the seed


@pytest.mark.parametrize("offline", [True, False])
def test_the_offline_digits_are_recognised_by_their_warning_class(monkeypatch, offline):
    from mlkit.data import OfflineFallbackWarning

    data_files = _load_script(BENCHMARKS / "data_files.py")

    def load_mnist(**kwargs):
        warnings.warn("a message that may change", OfflineFallbackWarning if offline else UserWarning)
        return np.zeros((4, 784)), np.zeros(4), np.zeros((2, 784)), np.zeros(2)

    monkeypatch.setattr(data_files, "load_mnist", load_mnist)
    *_, source = data_files.load_dataset("mnist", smoke=True, download=False)
    assert source == (data_files.OFFLINE_DIGITS if offline else data_files.FULL_MNIST)
    accuracy = _load_script(BENCHMARKS / "accuracy.py")
    assert accuracy.target_key({"datasets": {"mnist": {"source": source}}}, "mnist") == (
        "digits" if offline else "mnist")


def test_accuracy_target_follows_the_mnist_that_was_used():
    accuracy = _load_script(BENCHMARKS / "accuracy.py")
    full = {"datasets": {"mnist": {"source": "MNIST (full set: 60,000 train / 10,000 test)"}}}
    fallback = {"datasets": {"mnist": {"source": "MNIST offline fallback: the 5,000 digits"}}}
    assert accuracy.TARGETS[accuracy.target_key(full, "mnist")] == 0.98
    assert accuracy.TARGETS[accuracy.target_key(fallback, "mnist")] == 0.95
    assert accuracy.TARGETS[accuracy.target_key(full, "fashion")] == 0.895


def test_validation_table_names_one_chosen_recipe_per_data_set():
    table = _load_script(BENCHMARKS / "accuracy.py").validation_table()
    assert len(table) == 22
    chosen = [data for data, variant, _ in table if variant.endswith("(chosen)")]
    assert sorted(chosen) == ["digits", "fashion", "mnist"]
    for _, _, accuracy in table:  # one number, or one per validation split
        assert all(0.8 < float(a) < 1.0 for a in accuracy.split(" / "))


def test_profile_step_prints_every_phase(capsys):
    module = _load_script(BENCHMARKS / "profile_step.py")
    assert module.main(["--epochs", "1", "--hidden", "16", "--threads", "1", "--batch-size", "512"]) == 0
    header, columns, row = capsys.readouterr().out.strip().splitlines()
    assert "784-16-10" in header and all(phase in columns for phase in module.PHASES)
    total, *phases = map(float, row.split()[1:])
    assert len(phases) == len(module.PHASES) and 0 < sum(phases) <= total

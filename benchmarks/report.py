"""results.md: the benchmark's numbers (results.json) as tables, with the settings that produced them."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np

from accuracy import RECIPE, TARGETS, target_key, validation_table
from speed import BATCH_SIZE


def fmt(value, spec=".3f", missing="–"):
    return missing if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def median_after_warmup(seconds: list[float]) -> float:
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def progress_line(r: dict) -> str:
    """One finished run, as printed while the benchmark goes on."""
    head = f"{r['dataset']:<8}{r['network']:<16}{r['system']:<10}{r['threads']} thr  "
    if "error" in r:
        return head + "ERROR " + r["error"]
    return (head + f"{median_after_warmup(r['epoch_seconds']):7.3f} s/epoch  "
            f"acc {r['test_accuracy'][-1]:.4f}  peak {r['peak_mb']:.0f} MB  load {r['load_before']:.2f}")


def speed_rows(report: dict) -> list[dict]:
    """One row per (threads, dataset, network, system): s/epoch (median over the repeats of each run's median
    epoch after the warm-up), its range over the repeats, the ratio to torch (median over the rounds of the
    ratio within a round), the final test accuracy (of the first repeat), peak memory (the largest)."""
    cells = {}
    for r in report["speed"]:
        cells.setdefault((r["threads"], r["dataset"], r["network"], r["system"]), []).append(r)
    rows = []
    for (threads, dataset, network, system), runs in cells.items():
        key = dict(threads=threads, dataset=dataset, network=network, system=system)
        good = [r for r in runs if "error" not in r]
        if not good:
            rows.append(dict(key, error=runs[0]["error"]))
            continue
        per_run = {r.get("repeat", 0): median_after_warmup(r["epoch_seconds"]) for r in good}
        torch_runs = {r.get("repeat", 0): median_after_warmup(r["epoch_seconds"])
                      for r in cells.get((threads, dataset, network, "torch"), []) if "error" not in r}
        ratios = [per_run[i] / torch_runs[i] for i in per_run if i in torch_runs]
        rows.append(dict(key, seconds=statistics.median(per_run.values()),
                         spread=(min(per_run.values()), max(per_run.values())), repeats=len(good),
                         ratio=statistics.median(ratios) if ratios else None,
                         accuracy=good[0]["test_accuracy"][-1], peak_mb=max(r["peak_mb"] for r in good),
                         cpu_share=statistics.mean(r["cpu_seconds"] / max(sum(r["epoch_seconds"]), 1e-9)
                                                   for r in good),
                         load=(min(r["load_before"] for r in good), max(r["load_after"] for r in good))))
    return rows


def markdown(report: dict) -> str:
    out = ["# mlkit benchmark: mlkit vs PyTorch (CPU) vs scikit-learn", "",
           f"Command: `{report['command']}` (from the repository root; `make bench` runs "
           f"`python benchmarks/bench.py`). Run {report['started']} – {report['finished']}.", ""]
    out += summary_section(report) + machine_section(report) + data_section(report) + speed_section(report)
    if report["recipe"]:
        out += recipe_section(report)
    if report["course"] is not None:
        out += course_section(report["course"])
    out += grading_scale_section()
    return "\n".join(out) + "\n"


def grading_scale_section() -> list[str]:
    """The latest class-scale grading run (benchmarks/grading_scale.py writes grading_scale.md; it takes a
    quarter of an hour, so bench.py does not run it)."""
    written = Path(__file__).with_name("grading_scale.md")
    if not written.exists():
        return []
    lines = written.read_text().splitlines()
    return ["## " + lines[0].lstrip("# "), *lines[1:], ""]


# mlkit's seconds per epoch ÷ torch's, at most, by number of threads. With two threads torch also spreads its
# element-wise work (the optimizer step, activations) over both cores, which numpy does not: about even is
# the goal there.
SPEED_TARGETS = {1: 0.9, 2: 1.05}


def summary_section(report: dict) -> list[str]:
    """The targets and what this run measured."""
    out = ["## Targets and results", "", "| target | measured | met? |", "|---|---|---|"]
    yes = lambda ok: "yes" if ok else "**no**"  # noqa: E731
    rows = speed_rows(report)
    for r in rows:
        if r["system"] != "mlkit" or r.get("ratio") is None:
            continue
        torch_row = next(t for t in rows if t["system"] == "torch" and "error" not in t
                         and (t["threads"], t["dataset"], t["network"]) == (r["threads"], r["dataset"], r["network"]))
        target = SPEED_TARGETS.get(r["threads"], SPEED_TARGETS[2])
        out.append(f"| mlkit s/epoch ≤ {target:g} × torch's ({r['dataset']}, {r['network']}, {r['threads']} "
                   f"thread{'s' if r['threads'] > 1 else ''}) | {r['ratio']:.2f} × (mlkit {r['seconds']:.3f} s, "
                   f"torch {torch_row['seconds']:.3f} s) | {yes(r['ratio'] <= target)} |")
    label = {"fashion": "Fashion-MNIST", "mnist": "MNIST (full test set)",
             "digits": "the 1,000 held-out offline digits"}
    split = " — validation split, not the test set" if report["settings"].get("validation") else ""
    final = {(r["dataset"], r["system"]): r["test_accuracy"][-1] for r in report["recipe"] if "error" not in r}
    for (dataset, system), acc in final.items():
        key = target_key(report, dataset)
        if system == "mlkit" and key in TARGETS:
            torch_acc = final.get((dataset, "torch"))
            out.append(f"| mlkit test accuracy ≥ {TARGETS[key]:.1%} on {label[key]}{split} (accuracy recipe) | "
                       f"{acc:.2%} (torch, same recipe: {fmt(torch_acc, '.2%')}) | {yes(acc >= TARGETS[key])} |")
    for dataset, title in (("mnist", "MNIST"), ("fashion", "Fashion-MNIST")):
        if report["datasets"].get(dataset, {}).get("n_train", 0) < 50_000:
            continue  # the target is about a full training set
        peaks = {}
        for r in report["speed"] + report["recipe"]:
            if r["dataset"] == dataset and "error" not in r:
                peaks[r["system"]] = max(peaks.get(r["system"], 0.0), r["peak_mb"])
        if "mlkit" in peaks:
            others = ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items() if k != "mlkit")
            out.append(f"| mlkit peak memory ≤ 1.5 GB training on the full {title} | {peaks['mlkit']:.0f} MB "
                       f"({others}) | {yes(peaks['mlkit'] <= 1500)} |")
    return out + [""]


def machine_section(report: dict) -> list[str]:
    """The machine, and whether other work shared it."""
    m = report["machine"]
    out = ["## Machine", "",
           f"- CPU: {m['cpu']}, {m['cores']} cores" + (f", {m['memory_gb']:.0f} GB RAM" if m["memory_gb"] else ""),
           f"- {m['platform']}",
           "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
           f"- load average (1, 5, 15 min) at start: {', '.join(f'{v:.2f}' for v in m['load_at_start'])}; "
           f"at end: {', '.join(f'{v:.2f}' for v in m['load_at_end'])}",
           "- other processes busy at start: " + (", ".join(m["busy_at_start"]) or "none") +
           "; at end: " + (", ".join(m["busy_at_end"]) or "none") +
           f"; time spent waiting for them to finish before runs: {m.get('waited_for_quiet_seconds', 0):.0f} s",
           ""]
    runs = report["speed"] + report["recipe"]
    loads = [v for r in runs for v in (r["load_before"], r["load_after"])]
    others = sorted({p for r in runs for p in r.get("busy_before", [])})
    if not others and not (loads and max(loads) > 0.5 + max(report["settings"]["threads"])):
        return out + ["No other process used the CPU before any run (checked before each run), and the load "
                      "stayed at what this benchmark itself causes.", ""]
    n_busy = sum(bool(r.get("busy_before")) for r in runs)
    return out + [f"**Other work was running on the machine during part of the benchmark**: before {n_busy} of "
                  f"{len(runs)} runs another process was using the CPU ({', '.join(others[:8]) or 'see the load'}; "
                  f"1-minute load up to {max(loads):.1f} on {m['cores']} cores, this benchmark's own share "
                  f"included). OpenBLAS threads spin and thrash when they share the cores with other processes, "
                  "so multi-threaded numbers taken under load are unreliable; the load around each run is in the "
                  "table.", ""]


def data_section(report: dict) -> list[str]:
    out = ["## Data", ""]
    for name, d in report["datasets"].items():
        out.append(f"- {name}: {d['source']}" + (f" (used here: {d['n_train']} train / {d['n_test']} test)"
                                                 if "n_train" in d else ""))
    return out + [""]


def speed_section(report: dict) -> list[str]:
    s = report["settings"]
    out = ["## Speed and accuracy", "",
           f"Every system: batch size {s['batch_size']}, Adam (lr {s['lr']:g}, betas (0.9, 0.999), eps 1e-8), "
           f"float32, ReLU, softmax cross-entropy, {s['epochs']} epoch(s), seed {s['seed']}. Each system ran "
           f"{s['repeats']} time(s) in separate processes, in rounds (mlkit, torch, sklearn in rotated order). "
           "s/epoch = the median over the runs of each run's median epoch after the first (warm-up) epoch; in "
           "brackets the range over the runs. ratio = mlkit's (or sklearn's) s/epoch ÷ torch's in the same "
           "round, median over the rounds. "
           f"Accuracy = test accuracy after epoch {s['epochs']}. Peak MB = the peak resident memory of the "
           "system's own process (VmHWM; ru_maxrss would include the parent's, see `machine.peak_mb`): "
           "interpreter, libraries, the data set and training. CPU = CPU time ÷ wall time while training (≈ the "
           "number of threads when they are kept busy; more than that means spinning threads).", "",
           "| threads | data | network | system | s/epoch (range) | ratio to torch | test acc. | peak MB | CPU "
           "| load min/max |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in speed_rows(report):
        head = f"| {r['threads']} | {r['dataset']} | {r['network']} | {r['system']} | "
        if "error" in r:
            out.append(head + f"error: {r['error'][:120]} | | | | | |")
            continue
        out.append(head + f"{r['seconds']:.3f} ({r['spread'][0]:.3f}–{r['spread'][1]:.3f}) | "
                   f"{fmt(r['ratio'], '.2f')} | {r['accuracy']:.4f} | {r['peak_mb']:.0f} | {r['cpu_share']:.1f} | "
                   f"{r['load'][0]:.2f} / {r['load'][1]:.2f} |")
    return out + ["", "mlkit and torch start from identical weights and see the batches in the identical order, so "
                  "their accuracies differ only through float32 rounding; scikit-learn draws its own initial "
                  "weights (Glorot) and its own shuffling.", "",
                  f"Data loading in the parent (mlkit.data, all data sets): peak "
                  f"{report['machine']['loader_peak_mb']:.0f} MB.", ""]


def recipe_section(report: dict) -> list[str]:
    out = ["## Accuracy recipe", ""]
    out += [f"Network {RECIPE['network']} (ReLU; Dropout(p={RECIPE['dropout']}) after each hidden ReLU), initial "
            "weights U(−1/√fan_in, 1/√fan_in) (torch's nn.Linear default), float32, batch size "
            f"{BATCH_SIZE}, Adam (lr {RECIPE['lr']:g}, betas (0.9, 0.999), eps 1e-8, no weight decay), "
            "CosineAnnealingLR(T_max=epochs, eta_min=0) stepped after every epoch, "
            f"CrossEntropyLoss(label_smoothing={RECIPE['label_smoothing']}); all training samples, the same "
            "per-epoch permutations (and the same augmented images) for mlkit and torch, no early stopping: the "
            "reported accuracy is the one after the last epoch. The test sets played no part in choosing the "
            "recipe (it was chosen on validation splits of the training sets).", ""]
    for name in dict.fromkeys(r["dataset"] for r in report["recipe"]):
        rec = next(r["recipe"] for r in report["recipe"] if r["dataset"] == name)
        shift = (f"random shifts of each training image by up to ±{rec['shift']} pixels in each direction "
                 "(zero fill; drawn anew every epoch)" if rec["shift"] else "no augmentation")
        out.append(f"- {name}: {rec['epochs']} epochs, {shift}")
    out += ["", "| data | system | test acc. after the last epoch | best epoch's test acc. | s/epoch | peak MB |",
            "|---|---|---|---|---|---|"]
    for r in report["recipe"]:
        if "error" in r:
            out.append(f"| {r['dataset']} | {r['system']} | error: {r['error'][:120]} | | | |")
            continue
        acc = r["test_accuracy"]
        best = int(np.argmax(acc))
        out.append(f"| {r['dataset']} | {r['system']} | **{acc[-1]:.4f}** | {acc[best]:.4f} (epoch {best + 1}) | "
                   f"{median_after_warmup(r['epoch_seconds']):.3f} | {r['peak_mb']:.0f} |")
    out += ["", "How the recipe was chosen (mlkit; accuracy on a validation split of the training set after the "
            "last epoch — Fashion-MNIST and MNIST: 50,000 train / 10,000 validation; the 4,000 digits: 3,000 / "
            "1,000, on two different splits where two numbers are given; everything else as above; "
            "benchmarks/validation.csv):", "",
            "| data | variant | validation accuracy |", "|---|---|---|"]
    out += [f"| {data} | {variant} | {acc} |" for data, variant, acc in validation_table()]
    return out + [""]


def course_section(course: dict) -> list[str]:
    out = ["## The course itself", ""]
    if "error" in course:
        return out + [f"error: {course['error']}", ""]
    out += ["Each lecture executed headless with nbclient (scripts/run_lectures.py), one BLAS thread:", "",
            "| lecture | seconds | status |", "|---|---|---|"]
    for lec in course["lectures"]:
        status = lec["status"] + (f" ({lec['message']})" if lec.get("message") else "")
        out.append(f"| {lec['name']} | {fmt(lec['seconds'], '.1f')} | {status} |")
    total = sum(lec["seconds"] for lec in course["lectures"] if not math.isnan(lec["seconds"]))
    out += [f"| **total** | {total:.1f} | |", ""]
    out += ["Autograding (scripts/grade_demo.py: one `nbgrader autograde` call over all the sample submissions "
            "of an assignment — the reference, the untouched release, broken and adversarial ones, including one "
            "that loops forever and costs the 30 s cell timeout — divided by their number), and one "
            "`nbgrader autograde` call over the reference solution alone (an honest submission, including "
            "nbgrader's start-up):", "",
            "| assignment | sample submissions | seconds per sample submission | seconds for the reference alone | "
            "status |", "|---|---|---|---|---|"]
    for g in course["grading"]:
        out.append(f"| {g['name']} | {g.get('submissions', '–')} | {fmt(g.get('seconds_per_submission'), '.1f')} | "
                   f"{fmt(g.get('reference_seconds'), '.1f')} | {g['status']} |")
    return out + [""]

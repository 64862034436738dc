"""Speed and accuracy of mlkit against PyTorch (CPU) and scikit-learn, and the course's own running times.

    python benchmarks/bench.py                      # the full benchmark (what `make bench` runs)
    python benchmarks/bench.py --smoke --out DIR    # a tiny version for CI: a few hundred samples, 1 epoch
    python benchmarks/bench.py --epochs 5 --datasets fashion --threads 2 --no-recipe --no-course

What is compared, and how it is kept fair:

- The same networks (784-256-10 and 784-512-256-10, ReLU), batch size 128, Adam with torch's defaults
  (lr 1e-3, betas (0.9, 0.999), eps 1e-8), float32, softmax cross-entropy. mlkit and PyTorch start from the
  same initial weights and visit the data in the same order; scikit-learn's MLPClassifier uses its own
  initialisation and shuffling (speed.py).
- Every run is a separate process with the same thread settings, one system at a time, in ``--repeats`` rounds
  (rotated order), after waiting (within a budget) for other processes to leave the CPU (machine.py).
- Seconds per epoch is the median over the epochs after the first (warm-up) epoch, then over the rounds; the
  test accuracy is measured after every epoch outside the timed region; peak memory is the high-water mark of
  the worker's resident memory.
- The data are loaded once here and handed to the workers as .npz files (data_files.py). The accuracy recipe
  and the experiments that chose it: accuracy.py and validation.csv. The lectures and the autograding are timed
  by course_timing.py.

Outputs in ``--out`` (default benchmarks/): results.md (tables and the exact command; report.py), results.json
(all raw numbers) and speed.png (seconds per epoch; test accuracy per epoch of the recipe; figure.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import machine
from accuracy import recipe_for
from data_files import DATASETS, load_dataset, validation_split, write_data_file
from figure import plot
from report import markdown, progress_line
from speed import BATCH_SIZE, NETWORKS, SYSTEMS

ROOT = machine.ROOT


def parse_args(argv) -> argparse.Namespace:
    """The options, with the defaults that depend on ``--smoke`` filled in."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true",
                   help="tiny CI run: 512 train / 256 test samples, 1 epoch, 1 thread, no recipe, no course")
    p.add_argument("--epochs", type=int, default=None, help="epochs of the speed runs (default 6; smoke 1)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=None,
                   help="default: fashion mnist (smoke: mnist)")
    p.add_argument("--networks", nargs="+", choices=tuple(NETWORKS), default=list(NETWORKS))
    p.add_argument("--systems", nargs="+", choices=SYSTEMS + ("mlkit-fit",), default=list(SYSTEMS))
    p.add_argument("--threads", nargs="+", type=int, default=None,
                   help="thread counts to run, each for every system (default: all cores, then 1)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    p.add_argument("--repeats", type=int, default=None,
                   help="rounds of speed runs per system (default 3; smoke 1); s/epoch is their median")
    p.add_argument("--wait", type=float, default=None,
                   help="seconds in all to spend waiting for other processes to leave the CPU before runs "
                        "(default 900; smoke 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--no-recipe", dest="recipe", action="store_false", help="skip the accuracy recipe")
    p.add_argument("--recipe-epochs", type=int, default=None,
                   help="override the recipe's epochs (default: 30 for Fashion-MNIST, 100 for the 4,000 digits)")
    p.add_argument("--recipe-shift", type=int, default=None,
                   help="override the recipe's random shifts (pixels; 0 = no augmentation)")
    p.add_argument("--validation", action="store_true",
                   help="choose a recipe: hold out part of each training set (10,000 images of a full set, "
                        "1,000 of the 4,000 offline digits) and report accuracy on it instead of the test set")
    p.add_argument("--no-speed", dest="speed", action="store_false", help="skip the speed runs")
    p.add_argument("--no-course", dest="course", action="store_false",
                   help="skip timing the lectures and the autograding")
    p.add_argument("--assignments", nargs="*", default=None,
                   help="assignments whose autograding is timed (default: 01_perceptron; 'all' for every one in "
                        "solutions/)")
    p.add_argument("--no-download", dest="download", action="store_false",
                   help="never try to download MNIST / Fashion-MNIST")
    args = p.parse_args(argv)
    if args.smoke:
        args.recipe = args.course = args.download = False
    args.epochs = args.epochs or (1 if args.smoke else 6)
    args.repeats = args.repeats or (1 if args.smoke else 3)
    args.wait = args.wait if args.wait is not None else (0 if args.smoke else 900)
    args.datasets = args.datasets or (["mnist"] if args.smoke else list(DATASETS))
    args.threads = args.threads or ([1] if args.smoke else sorted({machine.cores(), 1}, reverse=True))
    return args


def new_report(args, argv) -> dict:
    command = "python benchmarks/bench.py" + "".join(f" {shlex.quote(a)}" for a in (argv or sys.argv[1:]))
    return {
        "command": command,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"cpu": machine.cpu_model(), "cores": machine.cores(), "memory_gb": machine.memory_gb(),
                    "platform": platform.platform(), "load_at_start": list(os.getloadavg()),
                    "busy_at_start": machine.busy_processes(), "versions": machine.versions()},
        "settings": {"epochs": args.epochs, "batch_size": BATCH_SIZE, "lr": args.lr, "threads": args.threads,
                     "repeats": args.repeats, "seed": args.seed, "smoke": args.smoke, "validation": args.validation},
        "datasets": {}, "speed": [], "recipe": [], "course": None,
    }


def prepare_data(args, report: dict, tmp: Path) -> tuple[dict, dict]:
    """Write one data file per available data set; return {name: file} and {name: its accuracy recipe}."""
    files, recipes = {}, {}
    for name in args.datasets:
        loaded = load_dataset(name, args.smoke, args.download)
        if loaded is None:
            report["datasets"][name] = {"source": "not available"}
            continue
        X, y, Xt, yt, what = loaded
        recipes[name] = recipe_for(name, len(X))
        if args.validation:
            X, y, Xt, yt = validation_split(X, y, args.seed)
            what += f"; validation split: {len(X):,} train / {len(Xt):,} validation, from the training set"
        if args.recipe_epochs:
            recipes[name]["epochs"] = args.recipe_epochs
        if args.recipe_shift is not None:
            recipes[name]["shift"] = args.recipe_shift
        files[name] = str(tmp / f"{name}.npz")
        write_data_file(files[name], X, y, Xt, yt, max(args.epochs, recipes[name]["epochs"] if args.recipe else 0),
                        args.seed)
        report["datasets"][name] = {"source": what, "n_train": len(X), "n_test": len(Xt)}
        print(f"{name}: {what}", flush=True)
    return files, recipes


def base_spec(args) -> dict:
    """The speed runs' training settings: no schedule, no dropout, no label smoothing."""
    return {"epochs": args.epochs, "lr": args.lr, "seed": args.seed, "init": "torch", "schedule": None,
            "dropout": 0.0, "label_smoothing": 0.0}


def speed_runs(args, files: dict, wait) -> list[dict]:
    """Every system on every data set, network and thread count, in rounds of rotated order: a slow drift of
    the machine hits every system alike."""
    results = []
    for threads in args.threads:
        for name, data in files.items():
            for network in args.networks:
                for repeat in range(args.repeats):
                    k = repeat % len(args.systems)
                    for system in args.systems[k:] + args.systems[:k]:
                        spec = dict(base_spec(args), system=system, network=network, data=data, threads=threads)
                        result = machine.run_worker("speed.py", spec, threads, wait=wait)
                        result.update(system=system, network=network, dataset=name, threads=threads, repeat=repeat)
                        results.append(result)
                        print(progress_line(result), flush=True)
    return results


def recipe_runs(args, files: dict, recipes: dict, wait) -> list[dict]:
    """The accuracy recipe, trained by mlkit and torch on all the cores."""
    results, cores = [], machine.cores()
    for name, data in files.items():
        for system in [s for s in ("mlkit", "torch") if s in args.systems]:
            spec = dict(base_spec(args), **recipes[name], system=system, data=data, threads=cores)
            result = machine.run_worker("speed.py", spec, cores, wait=wait)
            result.update(system=system, network=recipes[name]["network"], dataset=name, threads=cores,
                          recipe=recipes[name])
            results.append(result)
            print("recipe " + progress_line(result), flush=True)
    return results


def course_run(args, wait) -> dict:
    names = args.assignments if args.assignments is not None else ["01_perceptron"]
    if names == ["all"]:
        names = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*") if p.is_dir())
    print(f"timing the lectures and the autograding of {', '.join(names) or 'no assignment'} ...", flush=True)
    return machine.run_worker("course_timing.py", {"timeout": 600, "assignments": names}, 1, wait=wait)


def write_outputs(report: dict, out: Path) -> None:
    (out / "results.json").write_text(json.dumps(report, indent=1))
    (out / "results.md").write_text(markdown(report))
    try:
        plot(report, out / "speed.png")
    except Exception as err:  # noqa: BLE001 - the numbers matter more than the picture
        print(f"could not draw speed.png: {err}")
    print(f"\nwrote {out / 'results.md'}, results.json and speed.png")


def main(argv=None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    wait = machine.QuietWait(args.wait)
    report = new_report(args, argv)
    m = report["machine"]
    print(f"{m['cpu']}, {m['cores']} cores, load {os.getloadavg()[0]:.2f}; "
          f"busy: {', '.join(m['busy_at_start']) or 'nothing else'}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlkit-bench-") as tmp:
        files, recipes = prepare_data(args, report, Path(tmp))
        m["loader_peak_mb"] = machine.peak_mb()
        if args.speed:
            report["speed"] = speed_runs(args, files, wait)
        if args.recipe:
            report["recipe"] = recipe_runs(args, files, recipes, wait)
    if args.course:
        report["course"] = course_run(args, wait)
    m.update(load_at_end=list(os.getloadavg()), waited_for_quiet_seconds=wait.waited,
             busy_at_end=machine.busy_processes())
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    write_outputs(report, args.out)
    return 0 if all("error" not in r for r in report["speed"] + report["recipe"]) else 1


if __name__ == "__main__":
    sys.exit(main())

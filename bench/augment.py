"""What `--augment` does on the offline sample: held-out accuracy and the smoothness of the fields.

Trains the default preset (`final`, early stopping) on the offline sample with and without
`--augment` for several seeds, one run at a time, then reads each run with the core:
- test accuracy: the manifest's, on the sample's 1,000 held-out digits, at the best snapshot;
- smoothness: the median over dense_1's neurons of the smoothness of their learned change at the
  best snapshot (docs/interpretation.md, "Smoothness of a field"), also for dense_2's expanded
  fields.
Prints one line per run, then mean ± standard deviation and the range per setting, and the load
average before and after (the machine may be shared).

Usage: python -m bench.augment [--seeds 0,1,2] [--data-dir DIR] [--epochs N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import neurons  # noqa: E402
from neurons.smoothness import smoothness  # noqa: E402

SETTINGS = {"plain": [], "augment": ["--augment"]}


def train(data_dir: Path, run_id: str, seed: int, extra: list[str], epochs: int | None) -> None:
    if (data_dir / "runs" / run_id / "manifest.json").is_file():
        return  # kept from an earlier invocation with the same --data-dir
    command = [sys.executable, "-m", "trainer", "train", "--data-dir", str(data_dir), "--run-id", run_id,
               "--dataset", "sample", "--seed", str(seed), *extra]
    if epochs:
        command += ["--epochs", str(epochs)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)


def measure(path: Path) -> dict:
    run = neurons.open_run(path)
    figures = {"accuracy": run.manifest["test"]["accuracy"], "epochs": len(run.history)}
    for layer in run.hidden_layers:
        change = run.layer_fields(layer, run.best_snapshot, kind="change")
        figures[f"smoothness {layer}"] = float(np.nanmedian(smoothness(change, run.live_pixels)))
    return figures


def spread(values: list[float]) -> str:
    deviation = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {deviation:.4f} (range {min(values):.4f}–{max(values):.4f})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--data-dir", type=Path, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--epochs", type=int, help="cap on epochs (default: the preset's, with early stopping)")
    args = parser.parse_args(argv)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="augment-bench-"))
    print(f"load average before: {os.getloadavg()}  runs in {data_dir}")
    results = {name: [] for name in SETTINGS}
    for seed in seeds:
        for name, extra in SETTINGS.items():
            run_id = f"{name}-s{seed}"
            train(data_dir, run_id, seed, extra, args.epochs)
            figures = measure(data_dir / "runs" / run_id)
            results[name].append(figures)
            print(run_id, "  ".join(f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
                                    for key, value in figures.items()), flush=True)
    for name, rows in results.items():
        for key in rows[0]:
            print(f"{name:<8} {key:<20} {spread([float(row[key]) for row in rows])}")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast the core answers the Space tab's questions, against the targets of issue 12.

Writes the reference run of bench/analysis.py (784-128-BN-64-BN-10, 100 snapshots of weights that
drift at random) with 1,000 probe digits into a temporary folder, or times a real run (--run-dir).
Each analysis runs REPEATS times; a line gives the median wall time with its range (min–max) next
to the target, the median CPU time of the process (the computations run on one thread, so on a
busy shared machine this is what an idle one would take), and the load average. "cold" means a
freshly opened Run (no cached results, weights in the OS page cache).

Usage: python -m bench.space [--keep DIR | --run-dir RUN_FOLDER]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import neurons  # noqa: E402
from neurons.runformat import run_path  # noqa: E402
from bench.analysis import times_ms, write_run  # noqa: E402

REPEATS = 3
PROBE_SIZE = 1000
SNAPSHOTS = 100
LAYER = "dense_1"  # the widest layer: every figure here is its worst case


def timed(call, path: Path, *, before=None) -> tuple[list[float], list[float]]:
    """(wall, CPU) times in ms of `call(run)`, REPEATS times, each on a fresh Run (after an untimed `before(run)`)."""
    cpu = []
    return times_ms(call, path=path, repeats=REPEATS, prepare=before, cpu=cpu), cpu


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def report(name: str, times: tuple[list[float], list[float]], target_ms: float) -> None:
    """Median wall time with its range, against the target; then the median CPU time, which other
    load on a shared machine hardly moves (the computations here run on one thread)."""
    wall, cpu = times
    median = statistics.median(wall)
    verdict = "ok" if median <= target_ms else "MISSED"
    scale, unit = (1000, "s") if target_ms >= 1000 else (1, "ms")
    print(f"  {name:<58} wall median {median / scale:7.2f} {unit} (range {min(wall) / scale:.2f}–"
          f"{max(wall) / scale:.2f})  CPU {statistics.median(cpu) / scale:.2f} {unit}  target ≤ {target_ms / scale:g} "
          f"{unit}  {verdict}  (load {load()})", flush=True)


def bench(path: Path) -> None:
    run = neurons.open_run(path)
    middle = run.snapshot_count // 2
    print(f"{path.name}: {run.snapshot_count} snapshots, {len(run.probe_labels)} probe digits, "
          f"layer {LAYER} ({run.units(LAYER)} neurons), {REPEATS} runs each")
    report("PCA map at one snapshot (cold: both forward passes)",
           timed(lambda run: run.projection(LAYER, middle), path), 50)
    report("PCA map at the next snapshot (scrubbing: reference mapped)",
           timed(lambda run: run.projection(LAYER, middle + 1), path, before=lambda run: run.projection(LAYER, middle)), 50)
    report("t-SNE map of 1,000 digits (cold)", timed(lambda run: run.projection(LAYER, middle, method="tsne"), path),
           10_000)
    report("linear probe at one snapshot (cold)", timed(lambda run: run.linear_probe(LAYER, middle), path), 300)
    report(f"probe curve over {run.snapshot_count} snapshots + baselines (cold)",
           timed(lambda run: run.probe_curve(LAYER), path), 20_000)
    report(f"CKA matrix {run.snapshot_count} × {run.snapshot_count} (cold: forward passes included)",
           timed(lambda run: run.cka_matrix(LAYER), path), 2000)
    report("CKA layer × layer at one snapshot (cold)", timed(lambda run: run.cka_matrix(snapshot=middle), path), 2000)
    report(f"layer health, all {run.snapshot_count} snapshots (cold)", timed(lambda run: run.layer_health(LAYER), path), 200)
    report(f"layer health, all {run.snapshot_count} snapshots (warm: computed once before)",
           timed(lambda run: run.layer_health(LAYER), path, before=lambda run: run.layer_health(LAYER)), 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="write the run here and keep it (reused if present)")
    parser.add_argument("--run-dir", type=Path, help="time a real run folder instead (e.g. 20 epochs × 5 snapshots)")
    args = parser.parse_args()
    print(f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, load average {load()} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="space-bench-") as scratch:
        path = args.run_dir or run_path(args.keep or Path(scratch), "space-reference")
        if not path.exists():
            write_run(path.parent.parent, path.name, (128, 64), True, SNAPSHOTS, probe_size=PROBE_SIZE)
        bench(path)


if __name__ == "__main__":
    main()

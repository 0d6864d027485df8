"""How fast the core answers the dashboard's questions, against the targets of issue 3.

Writes two synthetic runs with RunWriter into a temporary folder (removed afterwards):
- reference: 784-128-BN-64-BN-10 (the `final` preset's shape) with 100 snapshots;
- scale: 784-1024-512-10 with 200 snapshots (about 1 GB of weights).
Then times each analysis and prints `figure  target  ratio` lines. "cold" means a freshly opened
Run (no cached results); with "page cache dropped" the weight files were also evicted from the
OS page cache first (posix_fadvise DONTNEED), so the figure includes reading from disk.
Memory: resident memory while the focus table is computed at every snapshot in turn; anonymous
memory (the process's own heap) must stay flat as more snapshots are visited.

BLAS threads: OPENBLAS_NUM_THREADS defaults to 1 here, the recommended setting for serving (the
analyses are small matrix products; on a shared 2-core machine OpenBLAS's thread hand-off made
them 10-100× slower and erratic). Set it in the environment to compare.

Usage: python bench/analysis.py [--keep DIR] [--only reference|neuron-page|scale]
"""
from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import neurons  # noqa: E402
from neurons.runformat import run_path  # noqa: E402
from tests.helpers.runs import write_synthetic_run  # noqa: E402

REPEATS = 7
PROBE_SIZE = 2000


def write_run(folder: Path, run_id: str, units, batchnorm: bool, snapshots: int,
              probe_size: int = PROBE_SIZE) -> Path:
    """A finished synthetic run shaped like the presets: dropout 0.1 after each batch norm."""
    dropout = [0.1] * len(units) if batchnorm else None
    return write_synthetic_run(folder, run_id, units=units, batchnorm=batchnorm, dropout=dropout,
                               snapshots=snapshots, probe_size=probe_size)


def drop_page_cache(path: Path) -> None:
    for file in (path / "weights").iterdir():
        with open(file, "rb") as handle:
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def median_ms(call, **options) -> float:
    """Median of `times_ms(call, **options)`."""
    return statistics.median(times_ms(call, **options))


def times_ms(call, *, path: Path | None = None, drop_cache: bool = False, repeats: int = REPEATS,
             prepare=None, cpu: list | None = None) -> list[float]:
    """Wall times of `call(run)` in ms; with `path`, every repetition gets a freshly opened Run,
    on which `prepare(run)`, if given, runs untimed first. `cpu`, if given, receives the process's
    CPU time of each call in ms (a figure other load on a shared machine hardly moves)."""
    times = []
    run = neurons.open_run(path) if path else None
    for _ in range(repeats):
        if path:
            if drop_cache:
                drop_page_cache(path)
            run = neurons.open_run(path)
            if prepare:
                prepare(run)
        start, start_cpu = time.perf_counter(), time.process_time()
        call(run)
        times.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return times


def memory_mb() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def report(name: str, figure: float, target: float | None, unit: str = "ms") -> None:
    if target is None:
        print(f"  {name:<58} {figure:9.1f} {unit}   (no target)")
    else:
        verdict = "ok" if figure <= target else "MISSED"
        print(f"  {name:<58} {figure:9.1f} {unit}   target ≤ {target:g} {unit}   "
              f"ratio {figure / target:4.2f}  {verdict}")


def bench_reference(path: Path) -> None:
    print(f"reference model 784-128-BN-64-BN-10, 100 snapshots, probe {PROBE_SIZE} digits")
    run = neurons.open_run(path)
    middle, image = 50, run.probe_images[0]
    for layer in run.hidden_layers:
        report(f"focus table {layer} at one snapshot (cold)",
               median_ms(lambda r: r.focus_table(layer, middle), path=path), 20)
        report(f"focus curve {layer} one neuron, all snapshots (cold)",
               median_ms(lambda r: r.focus_curve(layer, 3), path=path), 20)
        report(f"receptive_fields {layer} one neuron (cold)",
               median_ms(lambda r: r.receptive_fields(layer, 3), path=path), 5)
    report("digit chain, weights (cold: snapshot loaded and verified)",
           median_ms(lambda r: r.digit_chain(4, middle), path=path), 5)
    run.digit_chain(4, middle)
    report("digit chain, weights (snapshot already loaded)",
           median_ms(lambda _: run.digit_chain(4, middle)), 5)
    report("digit chain, gated by one example (snapshot loaded)",
           median_ms(lambda _: run.digit_chain(4, middle, example=0)), 5)
    report(f"selectivity dense_1 over {PROBE_SIZE} probe digits (cold)",
           median_ms(lambda r: r.selectivity("dense_1", middle), path=path), 50)
    report("integrated gradients, 64 steps (cold)",
           median_ms(lambda r: r.integrated_gradients(image, 4, middle), path=path), 50)
    report("integrated gradients, 64 steps (snapshot loaded)",
           median_ms(lambda _: run.integrated_gradients(image, 4, middle)), 50)
    report("ablate one dense_2 neuron on the probe set (cold)",
           median_ms(lambda r: r.ablate("dense_2", [3], middle), path=path), None)


def bench_neuron_page(path: Path) -> None:
    """The neuron page's questions (issue 11) on the reference run. "probe pass cached": the
    snapshot's forward pass of the probe set is already done, as it is once the page shows."""
    print(f"neuron page, reference model, probe {PROBE_SIZE} digits")
    middle = 50
    warm = neurons.open_run(path)
    warm.probe_activations(middle)
    for layer in warm.hidden_layers:
        report(f"responds_to {layer} one neuron (probe pass cached)",
               median_ms(lambda _: warm.responds_to(layer, 3, middle)), 5)
    report("responds_to dense_1 one neuron (cold)", median_ms(lambda r: r.responds_to("dense_1", 3, middle), path=path), None)
    report("activation histogram (probe pass cached)", median_ms(lambda _: warm.activation_histogram("dense_1", 3, middle)), 5)
    report("exemplars, 3 bands × 8 (probe pass cached)", median_ms(lambda _: warm.exemplars("dense_1", 3, middle)), 5)
    report("correlated neurons dense_1, k = 5 (probe pass cached)",
           median_ms(lambda _: warm.correlated_neurons("dense_1", 3, middle)), 10)
    for layer in warm.hidden_layers:
        report(f"logit effects {layer} one neuron (probe pass cached)",
               median_ms(lambda _: warm.logit_effects(layer, 3, middle)), 20)
        report(f"maximize {layer} one neuron, 4 seeds × 200 steps (probe pass cached)",
               median_ms(lambda _: warm.maximize(layer, 3, middle), repeats=3), 500)
    prepared = functools.partial(neurons.Run.probe_activations, snapshot=middle)
    report("importance of dense_1, 128 neurons (probe pass cached)",
           median_ms(lambda r: r.importance("dense_1", middle), path=path, prepare=prepared), 300)
    report("importance of dense_2, 64 neurons (probe pass cached)",
           median_ms(lambda r: r.importance("dense_2", middle), path=path, prepare=prepared), None)
    for order in ("importance", "selectivity", "random"):
        report(f"ablation curve dense_1, order {order}, 129 points (probe pass cached)",
               median_ms(lambda r: r.ablation_curve("dense_1", order, middle), path=path, prepare=prepared,
                         repeats=3), 1000)
    for basis in ("change", "responds_to"):
        report(f"focus above noise dense_1, basis {basis} (probe pass cached)",
               median_ms(lambda r: r.focus_above_noise("dense_1", middle, basis), path=path, prepare=prepared,
                         repeats=3), None)
    for layer in warm.hidden_layers:
        report(f"responds_to_frames {layer} one neuron, 100 snapshots (cold)",
               median_ms(lambda r: r.responds_to_frames(layer, 3), path=path, repeats=3), None)


def bench_scale(path: Path) -> None:
    print("scale model 784-1024-512-10, 200 snapshots")
    report("focus table dense_1 at one snapshot (cold)",
           median_ms(lambda r: r.focus_table("dense_1", 120), path=path), 200)
    report("focus table dense_1 at one snapshot (cold, page cache dropped)",
           median_ms(lambda r: r.focus_table("dense_1", 120), path=path, drop_cache=True), 200)
    report("focus table dense_2 (expanded weights) at one snapshot (cold)",
           median_ms(lambda r: r.focus_table("dense_2", 120), path=path), None)
    report("receptive_fields dense_1 one neuron (cold)",
           median_ms(lambda r: r.receptive_fields("dense_1", 700), path=path), 20)
    report("receptive_fields dense_1 one neuron (cold, page cache dropped)",
           median_ms(lambda r: r.receptive_fields("dense_1", 700), path=path, drop_cache=True), 20)
    report("receptive_fields dense_2 one neuron (expanded; reads W1 at every snapshot)",
           median_ms(lambda r: r.receptive_fields("dense_2", 100), path=path, repeats=3), None)
    report("focus curve dense_1 one neuron (cold)",
           median_ms(lambda r: r.focus_curve("dense_1", 700), path=path), None)
    bench_memory(path)


def bench_memory(path: Path) -> None:
    run = neurons.open_run(path)
    start = memory_mb()
    print(f"  memory after open: RSS {start['VmRSS']:.0f} MB (anonymous {start['RssAnon']:.0f} MB, "
          f"file-backed {start['RssFile']:.0f} MB)")
    for snapshot in range(run.snapshot_count):
        run.focus_table("dense_1", snapshot)
        run.receptive_fields("dense_1", snapshot)
        run.digit_chain(snapshot % 10, snapshot)
        run.selectivity("dense_2", snapshot)
        if snapshot + 1 in (25, 50, 100, 200):
            now = memory_mb()
            print(f"  after visiting {snapshot + 1:3d} snapshots (focus table, fields, chain, selectivity each): "
                  f"RSS {now['VmRSS']:.0f} MB, anonymous {now['RssAnon']:.0f} MB, "
                  f"file-backed {now['RssFile']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="write the runs here and keep them (reused if present)")
    parser.add_argument("--only", choices=("reference", "neuron-page", "scale"),
                        help="run one section (neuron-page uses the reference run)")
    args = parser.parse_args()
    print(f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, load average "
          f"{' '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} cores")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="neurons-bench-"))
    try:
        for section, run_id, units, batchnorm, snapshots, bench in (
                ("reference", "reference", (128, 64), True, 100, bench_reference),
                ("neuron-page", "reference", (128, 64), True, 100, bench_neuron_page),
                ("scale", "scale", (1024, 512), False, 200, bench_scale)):
            if args.only not in (None, section):
                continue
            path = run_path(folder, run_id)
            if not path.exists():
                started = time.perf_counter()
                write_run(folder, run_id, units, batchnorm, snapshots)
                print(f"(wrote {run_id} run in {time.perf_counter() - started:.0f} s)")
            bench(path)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

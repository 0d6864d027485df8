"""Dashboard performance (issue 4): start-up time, server callback latency, memory.

    python -m bench.app_latency [--snapshots 100] [--runs 20] [--port 8125] [--rounds 3]

Builds a data folder in a temporary directory: a reference run shaped like the `final` preset
(784-128-64-10 with batch norm, 1,000 probe digits) with --snapshots snapshots, plus smaller runs
up to --runs in all. Then, against `python -m app` in its own process:

- start-up: seconds from launching the process to the first good /healthz answer (target ≤ 3 s);
- callbacks: every server callback the page runs, driven over HTTP through Dash's
  /_dash-update-component endpoint by the headless client in bench/dash_client.py (the same chain
  of requests the browser's renderer sends) for every view at several neurons, snapshots, digits
  and examples. "cold" is the first time each page state is asked for after start-up (nothing
  cached); "warm" repeats the same states. Target: p95 ≤ 50 ms per callback;
- memory: resident set size of the app process after every run was opened (target ≤ 400 MB).

The browser-side scrub redraw (≤ 30 ms a step) has its own benchmark: bench/scrub_latency.py.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import psutil

from bench.dash_client import DashClient

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TARGET_S = 3.0
CALLBACK_TARGET_MS = 50.0
MEMORY_TARGET_MB = 400.0
REFERENCE = "reference"


def build_data(folder: Path, snapshots: int, runs: int) -> None:
    from tests.helpers.runs import write_synthetic_run  # the test suite's writer of realistic run folders

    write_synthetic_run(folder, REFERENCE, units=(128, 64), batchnorm=True, snapshots=snapshots,
                        probe_size=1000)
    for index in range(runs - 1):
        write_synthetic_run(folder, f"other-{index:02d}", units=(128, 64), batchnorm=index % 2 == 0,
                            snapshots=10, seed=index + 1, probe_size=1000)


class TimedClient(DashClient):
    """The headless client, timing each server callback by its output."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.times: dict[str, list[float]] = defaultdict(list)

    def call(self, callback, changed):
        started = time.perf_counter()
        try:
            return super().call(callback, changed)
        finally:
            self.times[callback["output"]].append((time.perf_counter() - started) * 1000)


def page_states(views: list[str], snapshots: int) -> list[str]:
    """Queries a person would open: every view at a few neurons, snapshots, digits and examples."""
    queries = []
    for position in range(4):
        snapshot = (snapshots - 1) * position // 3
        for view in views:
            queries.append(f"?run={REFERENCE}&view={view}&layer=dense_{position % 2 + 1}"
                           f"&neuron={position * 7}&snapshot={snapshot}&digit={position * 3}"
                           f"&example={position * 11}")
    return queries


def start_server(data_dir: Path, port: int) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, NEURON_LENS_ALLOW_TRAINING="0", PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "app", "--data-dir", str(data_dir),
                                "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = started + 60
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if json.load(answer)["status"] == "ok":
                    return process, time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the app exited with code {process.returncode} during start-up")
            time.sleep(0.02)
    process.terminate()
    raise SystemExit("the app did not answer /healthz within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report_callbacks(label: str, times: dict[str, list[float]]) -> float:
    print(f"\n{label}: server callbacks over HTTP (ms)")
    print(f"  {'callback output':<64} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7}")
    worst = 0.0
    for output, values in sorted(times.items(), key=lambda item: -percentile(item[1], 0.95)):
        p95 = percentile(values, 0.95)
        worst = max(worst, p95)
        name = output if len(output) <= 64 else output[:61] + "..."
        print(f"  {name:<64} {len(values):>4} {statistics.median(values):>7.1f} {p95:>7.1f} "
              f"{max(values):>7.1f}")
    everything = [value for values in times.values() for value in values]
    print(f"  all callbacks: n={len(everything)} p95={percentile(everything, 0.95):.1f} ms; "
          f"worst callback p95 {worst:.1f} ms = {worst / CALLBACK_TARGET_MS:.2f}× the "
          f"{CALLBACK_TARGET_MS:.0f} ms target")
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--snapshots", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--port", type=int, default=8125)
    parser.add_argument("--rounds", type=int, default=3, help="warm repetitions of every page state")
    parser.add_argument("--startups", type=int, default=3, help="start-up measurements")
    args = parser.parse_args(argv)

    from app.views import VIEWS
    views = [view.VIEW for view in VIEWS]
    with tempfile.TemporaryDirectory(prefix="neuron-lens-bench-") as folder:
        data_dir = Path(folder) / "data"
        started = time.perf_counter()
        build_data(data_dir, args.snapshots, args.runs)
        print(f"data: reference run with {args.snapshots} snapshots + {args.runs - 1} more runs "
              f"(784-128-64-10, 1,000 probe digits) written in {time.perf_counter() - started:.1f} s")

        startups = []
        for _ in range(args.startups):
            process, seconds = start_server(data_dir, args.port)
            startups.append(seconds)
            stop(process)
        print(f"start-up to first /healthz answer: {', '.join(f'{s:.2f}' for s in startups)} s; "
              f"median {statistics.median(startups):.2f} s = "
              f"{statistics.median(startups) / STARTUP_TARGET_S:.2f}× the {STARTUP_TARGET_S:.0f} s target")

        process, _ = start_server(data_dir, args.port)
        idle_memory = psutil.Process(process.pid).memory_info().rss / 2**20
        try:
            queries = page_states(views, args.snapshots)
            cold = TimedClient("127.0.0.1", args.port)
            for query in queries:
                cold.open_page(query)
            warm = TimedClient("127.0.0.1", args.port)
            for _ in range(args.rounds):
                for query in queries:
                    warm.open_page(query)
            worst_cold = report_callbacks(f"cold ({len(queries)} page states, first visit)", cold.times)
            worst_warm = report_callbacks(f"warm ({args.rounds} more visits of each)", warm.times)

            browse = DashClient("127.0.0.1", args.port)
            for run_id in [REFERENCE] + [f"other-{index:02d}" for index in range(args.runs - 1)]:
                for view in views:
                    browse.open_page(f"?run={run_id}&view={view}")
            memory = psutil.Process(process.pid).memory_info().rss / 2**20
            print(f"\nmemory: app process RSS {idle_memory:.0f} MB after start-up, {memory:.0f} MB "
                  f"after opening every view of all "
                  f"{args.runs} runs = {memory / MEMORY_TARGET_MB:.2f}× the {MEMORY_TARGET_MB:.0f} MB target")
        finally:
            stop(process)
    verdict = (statistics.median(startups) <= STARTUP_TARGET_S and worst_cold <= CALLBACK_TARGET_MS
               and worst_warm <= CALLBACK_TARGET_MS and memory <= MEMORY_TARGET_MB)
    print(f"\nall targets met: {'yes' if verdict else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

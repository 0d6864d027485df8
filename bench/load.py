"""Many viewers: simulated people using the dashboard at once, against gunicorn with 2 workers.

Each viewer is a thread speaking the Dash protocol over its own kept-alive connection
(bench/dash_client.py: the callbacks and their ids come from the app's /_dash-dependencies). It
opens the page on the run, then repeats one of these, pausing between actions like a person looking
at what they got (--think, default 1-3 s):
  scrub  open a neuron, then release the snapshot slider on 4 snapshots 0.3 s apart
  rank   the ranking view of a hidden layer at a snapshot; half the time click a row (a neuron)
  digit  click a digit in the digit view, half the time switching the chain mode too
A click reaches the server as the URL change it causes (the browser-side part of a click costs the
server nothing). Like the browser, every viewer also fires the page's live-refresh tick.

Pass: zero errors (HTTP errors, timeouts, an error message shown by the app); also reported:
requests/s, latency percentiles, and the app's memory (gunicorn master + workers, RSS) over the
last half of the run against its start (flat = at most 5 % growth). Target: p95 <= 250 ms.

    python bench/load.py                 # 50 viewers for 60 s
    python bench/load.py --short         # 10 viewers for 10 s, for CI
    python bench/load.py --data-dir data # use the runs already there instead of training one
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]
from dash_client import DashClient, RequestFailed  # noqa: E402
from neurons.runformat import list_runs, read_manifest  # noqa: E402

TARGET_P95_MS = 250.0
MEMORY_GROWTH_LIMIT = 0.05
# Memory is judged over the last half of a run, so only a run this long has warmed up before it.
MEMORY_JUDGED_FROM_SECONDS = 40
SCRUB_STEPS, SCRUB_PAUSE = 4, 0.3


class Stats:
    """Every request's (kind, seconds, ok, detail), every error's text, and the server samples."""

    def __init__(self):
        self.requests: list[tuple[str, float, bool, str]] = []
        self.errors: list[str] = []
        # (seconds since start, RSS bytes, CPU seconds used so far) of gunicorn and its workers
        self.samples: list[tuple[float, int, float]] = []
        self.machine_busy = 0.0

    def record(self, kind: str, seconds: float, ok: bool, detail: str) -> None:
        self.requests.append((kind, seconds, ok, detail))

    def error(self, text: str) -> None:
        self.errors.append(text)


class RunShape:
    """What a viewer may ask about: the run id, hidden layers and their widths, snapshot count."""

    def __init__(self, run_path: Path):
        manifest = read_manifest(run_path)
        dense = [layer for layer in manifest["layers"] if layer["kind"] == "dense"]
        self.run_id = manifest["run_id"]
        self.hidden = {layer["name"]: layer["units"] for layer in dense[:-1]}
        self.snapshots = len(manifest["snapshots"])
        self.digits = sorted({int(label) for label in np.load(run_path / "probe.npz")["labels"]})

    def link(self, **fields) -> str:
        return "?" + urlencode({"run": self.run_id, **fields})

    def describe(self) -> str:
        layers = ", ".join(f"{name} {units}" for name, units in self.hidden.items())
        return f"run {self.run_id} ({layers}; {self.snapshots} snapshots)"


class Viewer:
    def __init__(self, port: int, run: RunShape, stats: Stats, seed: int, think: tuple[float, float]):
        self.client = DashClient("127.0.0.1", port, record=stats.record)
        self.run, self.stats, self.random, self.think = run, stats, random.Random(seed), think
        self.ticks, self.next_tick, self.tick_seconds = 0, 0.0, 2.0

    def session(self, deadline: float) -> None:
        """Open the page, then act until the deadline; after a failure, reload the page."""
        while time.monotonic() < deadline:
            try:
                self.open()
                while time.monotonic() < deadline:
                    self.random.choice((self.scrub, self.rank, self.digit))()
                    self.pause(self.random.uniform(*self.think), deadline)
            except RequestFailed as failure:
                self.stats.error(str(failure))
                self.pause(1.0, deadline)
        self.client.close()

    def open(self) -> None:
        self.client.open_page(self.run.link())
        self.tick_seconds = (self.client.value("tick", "interval") or 2000) / 1000
        self.next_tick = time.monotonic() + self.tick_seconds
        self.check()

    def navigate(self, **fields) -> None:
        self.client.set("url", "search", self.run.link(**fields))
        self.check()

    def scrub(self) -> None:
        layer, units = self.random.choice(list(self.run.hidden.items()))
        neuron = self.random.randrange(units)
        self.navigate(view="neuron", layer=layer, neuron=neuron)
        start = self.random.randrange(self.run.snapshots)
        for step in range(SCRUB_STEPS):
            time.sleep(SCRUB_PAUSE)
            self.navigate(view="neuron", layer=layer, neuron=neuron,
                          snapshot=(start + step) % self.run.snapshots)

    def rank(self) -> None:
        layer, units = self.random.choice(list(self.run.hidden.items()))
        self.navigate(view="ranking", layer=layer, snapshot=self.random.randrange(self.run.snapshots))
        if self.random.random() < 0.5:
            time.sleep(self.random.uniform(*self.think))
            self.navigate(view="neuron", layer=layer, neuron=self.random.randrange(units))

    def digit(self) -> None:
        self.navigate(view="digit", digit=self.random.choice(self.run.digits))
        if self.random.random() < 0.5:
            time.sleep(self.random.uniform(*self.think))
            self.client.set("digit-mode", "value", self.random.choice(["weights", "raw"]))
            self.check()

    def pause(self, seconds: float, deadline: float) -> None:
        """Wait like an open page does: the live-refresh tick keeps firing meanwhile."""
        until = min(time.monotonic() + seconds, deadline)
        while (now := time.monotonic()) < until:
            if now >= self.next_tick:
                self.next_tick = now + self.tick_seconds
                if not self.client.value("tick", "disabled"):
                    self.ticks += 1
                    self.client.set("tick", "n_intervals", self.ticks)
                    self.check()
            time.sleep(max(0.0, min(until, self.next_tick) - time.monotonic()))

    def check(self) -> None:
        """An error message on the page is a failure too, even when every request said 200."""
        shown = self.client.store.get("callback-error", {})
        if shown.get("hidden") is False:
            self.stats.error(f"the page shows: {shown.get('children')}")
            shown["hidden"] = True
        state = self.client.value("state", "data") or {}
        if state.get("error"):
            self.stats.error(f"state error for {self.client.value('url', 'search')}: {state['error']}")


def train_demo_run(data_dir: Path) -> None:
    print("load: training a run on the offline sample (use --data-dir to skip)...", flush=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    subprocess.run([sys.executable, "-m", "trainer", "train", "--data-dir", str(data_dir),
                    "--run-id", "load", "--epochs", "8"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def pick_run(data_dir: Path) -> RunShape:
    usable = [summary for summary in list_runs(data_dir) if not summary.broken and summary.snapshots]
    if not usable:
        raise SystemExit(f"load: no readable run with snapshots in {data_dir}/runs")
    return RunShape(usable[0].path)


@contextmanager
def gunicorn(data_dir: Path, port: int, workers: int, redis_url: str | None):
    env = {**os.environ, "NEURON_LENS_DATA_DIR": str(data_dir), "NEURON_LENS_WORKERS": str(workers),
           "NEURON_LENS_ALLOW_TRAINING": "0"}
    env.pop("NEURON_LENS_REDIS_URL", None)
    if redis_url:
        env["NEURON_LENS_REDIS_URL"] = redis_url
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "app.wsgi:server"], cwd=ROOT, env=env, stderr=log)
        try:
            wait_for_health(port, process)
            yield process
        finally:
            process.terminate()
            process.wait(10)
            log.seek(0)
            tracebacks = log.read().decode(errors="replace").count("Traceback")
            if tracebacks:
                print(f"load: the server log holds {tracebacks} traceback(s)")


def wait_for_health(port: int, process: subprocess.Popen) -> None:
    probe = DashClient("127.0.0.1", port)
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("load: gunicorn exited while starting")
        try:
            probe.request("GET", "/healthz", "health")
            return
        except RequestFailed:
            time.sleep(0.1)
    raise SystemExit("load: gunicorn did not answer /healthz within 30 s")


def sample_server(process: subprocess.Popen, stats: Stats, stop: threading.Event) -> None:
    """Memory and CPU time of the gunicorn master and its workers, once a second; and how busy
    the whole machine was meanwhile (other people's work slows the server down too)."""
    master = psutil.Process(process.pid)
    started = time.monotonic()
    psutil.cpu_percent()
    while not stop.wait(1.0):
        try:
            processes = [master, *master.children(recursive=True)]
            rss = sum(proc.memory_info().rss for proc in processes)
            cpu = sum(sum(proc.cpu_times()[:2]) for proc in processes)
        except psutil.NoSuchProcess:
            continue
        stats.samples.append((time.monotonic() - started, rss, cpu))
    stats.machine_busy = psutil.cpu_percent() / 100


def run_load(port: int, run: RunShape, viewers: int, seconds: float, think, process) -> Stats:
    stats, stop = Stats(), threading.Event()
    sampler = threading.Thread(target=sample_server, args=(process, stats, stop), daemon=True)
    sampler.start()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=Viewer(port, run, stats, seed, think).session, args=(deadline,))
               for seed in range(viewers)]
    for thread in threads:
        thread.start()
        time.sleep(min(0.05, seconds / 100))  # people arrive over a moment, not in one instant
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    return stats


def memory_growth(samples: list[tuple[float, int, float]], seconds: float) -> tuple[float, float, float]:
    """(MB at the start of the last half, MB at the end, growth): medians of 5 samples each."""
    window_start = seconds / 2
    start = [rss for at, rss, _ in samples if at >= window_start][:5]
    end = [rss for _, rss, _ in samples][-5:]
    before, after = float(np.median(start)), float(np.median(end))
    return before / 2**20, after / 2**20, after / before - 1


def report(stats: Stats, viewers: int, seconds: float, think, workers: int, run: RunShape) -> bool:
    threads = os.environ.get("NEURON_LENS_THREADS", "4")
    print(f"load: {viewers} viewers for {seconds:.0f} s, thinking {think[0]:g}-{think[1]:g} s between actions, "
          f"against gunicorn ({workers} workers x {threads} threads), {run.describe()}")
    total = len(stats.requests)
    print(f"requests: {total} ({total / seconds:.1f}/s), errors: {len(stats.errors)}")
    for text in stats.errors[:10]:
        print(f"  error: {text[:200]}")
    print(f"{'latency ms':<14}{'count':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for kind in ("all", "callback", "page", "layout", "dependencies"):
        print_percentiles(kind, [took for k, took, _, _ in stats.requests if kind in ("all", k)])
    slowest = sorted({detail for kind, _, _, detail in stats.requests if kind == "callback"},
                     key=lambda output: -np.percentile(callback_times(stats, output), 95))[:5]
    print("slowest callbacks (by p95):")
    for output in slowest:
        print_percentiles(f"  {output[:60]}", callback_times(stats, output), width=64)
    p95 = float(np.percentile([took for _, took, _, _ in stats.requests], 95) * 1000) if total else float("inf")
    (first, _, cpu_first), (last, _, cpu_last) = stats.samples[0], stats.samples[-1]
    cores = (cpu_last - cpu_first) / (last - first)
    print(f"server CPU: {cores:.2f} cores busy, {1000 * cores * seconds / max(total, 1):.1f} ms per request; "
          f"the machine ({psutil.cpu_count()} cores) was {stats.machine_busy:.0%} busy, others included")
    before, after, growth = memory_growth(stats.samples, seconds)
    judged = seconds >= MEMORY_JUDGED_FROM_SECONDS
    flat = growth <= MEMORY_GROWTH_LIMIT or not judged
    verdict = ("flat" if flat else "GROWING") if judged else "not judged: too short to warm up"
    print(f"memory (master + workers, RSS): {before:.0f} MB at {seconds / 2:.0f} s -> {after:.0f} MB at "
          f"the end: {growth:+.1%} (limit +{MEMORY_GROWTH_LIMIT:.0%}) {verdict}")
    print(f"p95 {p95:.0f} ms / target {TARGET_P95_MS:.0f} ms = {p95 / TARGET_P95_MS:.2f} "
          f"({'met' if p95 <= TARGET_P95_MS else 'MISSED'})")
    return not stats.errors and flat


def callback_times(stats: Stats, output: str) -> list[float]:
    return [took for kind, took, _, detail in stats.requests if kind == "callback" and detail == output]


def print_percentiles(name: str, times: list[float], width: int = 14) -> None:
    if times:
        p50, p95, p99 = np.percentile(times, [50, 95, 99]) * 1000
        print(f"{name:<{width}}{len(times):>7}{p50:>8.0f}{p95:>8.0f}{p99:>8.0f}{max(times) * 1000:>8.0f}")


def think_range(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX in seconds, e.g. 1,3; got {text!r}") from None
    if not 0 <= low <= high <= 60:
        raise argparse.ArgumentTypeError(f"need 0 <= MIN <= MAX <= 60, got {text!r}")
    return low, high


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="10 viewers for 10 s (CI)")
    parser.add_argument("--viewers", type=int, help="default 50 (--short: 10)")
    parser.add_argument("--seconds", type=float, help="default 60 (--short: 10)")
    parser.add_argument("--think", type=think_range, default=(1.0, 3.0), metavar="MIN,MAX",
                        help="seconds a viewer pauses between actions (default 1,3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8155)
    parser.add_argument("--data-dir", type=Path, help="serve these runs (default: train one in a temporary folder)")
    parser.add_argument("--redis-url", help="share the cache through this Redis (default: in-process cache)")
    args = parser.parse_args(argv)
    viewers = args.viewers if args.viewers is not None else (10 if args.short else 50)
    seconds = args.seconds if args.seconds is not None else (10.0 if args.short else 60.0)
    if viewers < 1 or seconds < 2 or args.workers < 1:
        parser.error("--viewers and --workers need at least 1, --seconds at least 2")
    with tempfile.TemporaryDirectory(prefix="neuron-lens-load-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        if args.data_dir is None:
            train_demo_run(data_dir)
        run = pick_run(data_dir)
        with gunicorn(data_dir, args.port, args.workers, args.redis_url) as process:
            stats = run_load(args.port, run, viewers, seconds, args.think, process)
    passed = report(stats, viewers, seconds, args.think, args.workers, run)
    print("load: PASS" if passed else "load: FAIL (errors or growing memory)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

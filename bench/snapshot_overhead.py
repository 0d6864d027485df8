"""How much does SnapshotCallback slow training down, next to no callback and TensorBoard?

Trains the `final` preset on the offline sample the same number of epochs three ways, interleaved
round by round so that background load hits all three alike: no callback, our SnapshotCallback,
and keras.callbacks.TensorBoard(histogram_freq=1). Prints the median epoch time of each (first
epoch of every fit left out: it includes graph tracing) and the ratio to no callback, in wall
time (the target) and in CPU time of the whole process (a check that holds up on a busy machine).
Target: ours ≤ 1.03 and below TensorBoard's.

    python bench/snapshot_overhead.py [--rounds 6] [--epochs 5]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from trainer import data, presets  # noqa: E402
from trainer.model import build_model  # noqa: E402
from trainer.snapshot_callback import SnapshotCallback  # noqa: E402

TARGET_RATIO = 1.03


class EpochClock(keras.callbacks.Callback):
    """Wall and CPU seconds (all threads of this process) from one epoch end to the next; last
    in the callback list, so every other callback's epoch-end work is inside the measured time.
    CPU time is much less disturbed by other processes' load than wall time."""

    def __init__(self):
        super().__init__()
        self.seconds, self.cpu_seconds, self._last = [], [], None

    def on_train_begin(self, logs=None):
        self._last = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch, logs=None):
        now = (time.perf_counter(), time.process_time())
        self.seconds.append(now[0] - self._last[0])
        self.cpu_seconds.append(now[1] - self._last[1])
        self._last = now


class TimedSnapshotCallback(SnapshotCallback):
    """SnapshotCallback that also adds up the time training spends inside its per-batch and
    per-epoch hooks: the part of its cost that background load cannot blur."""

    hook_seconds: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        started = time.perf_counter()
        super().on_train_batch_end(batch, logs)
        self.hook_seconds.append(time.perf_counter() - started)

    def on_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        self.hook_seconds.append(time.perf_counter() - started)


def callbacks_for(way: str, folder: Path, fit_number: int, dataset) -> list:
    if way == "snapshots":
        return [TimedSnapshotCallback(folder, f"bench-{fit_number}", probe=dataset.probe,
                                      live_pixels=dataset.live_pixels, preset="final")]
    if way == "tensorboard":
        return [keras.callbacks.TensorBoard(log_dir=str(folder / f"tb-{fit_number}"), histogram_freq=1)]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    if importlib.util.find_spec("tensorboard") is None:
        sys.exit("the TensorBoard comparison needs the tensorboard package: pip install tensorboard==2.21.0")
    config = presets.resolve("final", {})
    dataset = data.load("sample", None, digits=config["digits"])
    x, y = data.model_inputs(dataset.train[0]), dataset.train[1]
    validation = (data.model_inputs(dataset.val[0]), dataset.val[1])
    ways = ["none", "snapshots", "tensorboard"]
    epoch_seconds = {way: [] for way in ways}
    cpu_seconds = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(args.rounds):
            order = ways[round_number % 3:] + ways[:round_number % 3]
            for way in order:
                keras.utils.set_random_seed(0)
                model = build_model(config)
                clock = EpochClock()
                model.fit(x, y, validation_data=validation, epochs=args.epochs, batch_size=config["batch_size"],
                          verbose=0, callbacks=[*callbacks_for(way, Path(folder), round_number, dataset), clock])
                epoch_seconds[way] += clock.seconds[1:]
                cpu_seconds[way] += clock.cpu_seconds[1:]
                print(f"round {round_number + 1} {way:<11} "
                      + " ".join(f"{seconds:.3f}" for seconds in clock.seconds[1:]), flush=True)
    baseline = statistics.median(epoch_seconds["none"])
    cpu_baseline = statistics.median(cpu_seconds["none"])
    print(f"\nmedian epoch time over {args.rounds} rounds × {args.epochs - 1} epochs "
          f"({len(x)} digits, batch {config['batch_size']}, preset final):")
    for way in ways:
        median, cpu = statistics.median(epoch_seconds[way]), statistics.median(cpu_seconds[way])
        print(f"  {way:<11} {median * 1000:8.1f} ms   ratio {median / baseline:.3f}      "
              f"CPU {cpu * 1000:8.1f} ms   ratio {cpu / cpu_baseline:.3f}")
    fits = args.rounds * args.epochs
    in_hooks = sum(TimedSnapshotCallback.hook_seconds) / fits
    print(f"  time inside SnapshotCallback's hooks: {in_hooks * 1000:.1f} ms per epoch "
          f"({in_hooks / baseline:.1%} of a no-callback epoch); disk writes run on a background thread")
    ours = statistics.median(epoch_seconds["snapshots"]) / baseline
    board = statistics.median(epoch_seconds["tensorboard"]) / baseline
    verdict = "meets" if ours <= TARGET_RATIO and ours < board else "MISSES"
    print(f"SnapshotCallback {verdict} the target (≤ {TARGET_RATIO} and below TensorBoard's {board:.3f})")


if __name__ == "__main__":
    main()

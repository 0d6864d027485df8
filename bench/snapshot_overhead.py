"""How much does SnapshotCallback slow training down, next to no callback and TensorBoard?

Trains the `final` preset on the offline sample the same number of epochs four ways: no
callback, SnapshotCallback with one snapshot per epoch, SnapshotCallback with K per epoch
(--snapshots-per-epoch, default 10) and keras.callbacks.TensorBoard(histogram_freq=1). A round
trains each way once; the order rotates from round to round and every other round runs backwards,
so no way always comes first or always follows the same one, and background load hits all alike.

An epoch is timed from one epoch end to the next (the first epoch of every fit is left out: it
includes graph tracing), in wall time and in CPU time of the whole process (all threads, so the
background writer's work counts) per training step. A way's ratio is the median of its epochs over
the median of the no-callback epochs; the spread beside it is the lowest and highest ratio of a
single round (that round's medians), which shows how much one short run could be trusted.
The callback's own CPU time (in its hooks and on its writer thread) is printed as well: the
part of its cost that other processes' load hardly blurs.
Targets: ≤ 1.01 (one snapshot per epoch) and ≤ 1.03 (K per epoch), in wall and CPU time, and
below TensorBoard's ratio in the same run.

    python -m bench.snapshot_overhead [--rounds 8] [--epochs 5] [--snapshots-per-epoch 10]
"""
from __future__ import annotations

import argparse
import gc
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

ONE_PER_EPOCH_TARGET = 1.01
MANY_PER_EPOCH_TARGET = 1.03


class EpochClock(keras.callbacks.Callback):
    """Wall and CPU seconds (all threads of this process) from one epoch end to the next; last
    in the callback list, so every other callback's epoch-end work is inside the measured time."""

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


def timed(method, total: str):
    """`method`, adding the CPU time of the thread that runs it to `self.<total>`."""
    def wrapper(self, *args, **kwargs):
        started = time.thread_time()
        try:
            return method(self, *args, **kwargs)
        finally:
            setattr(self, total, getattr(self, total) + time.thread_time() - started)
    return wrapper


class TimedSnapshotCallback(SnapshotCallback):
    """SnapshotCallback that also adds up its own CPU time: inside its hooks on the training
    thread, and writing snapshots on its background thread. Their sum is its direct cost, which
    other processes' load hardly blurs (it is not the whole cost: contention for cores, caches and
    the interpreter lock comes on top, and shows only in the measured ratios)."""

    hook_seconds = writer_seconds = 0.0
    on_epoch_begin = timed(SnapshotCallback.on_epoch_begin, "hook_seconds")
    on_epoch_end = timed(SnapshotCallback.on_epoch_end, "hook_seconds")
    _snapshot_inside_epoch = timed(SnapshotCallback._snapshot_inside_epoch, "hook_seconds")
    _write_snapshot = timed(SnapshotCallback._write_snapshot, "writer_seconds")


def way_names(many: int) -> list[str]:
    return ["none", "snapshots×1", f"snapshots×{many}", "tensorboard"]


def callbacks_for(way: str, folder: Path, fit_number: int, dataset) -> list:
    if way.startswith("snapshots"):
        return [TimedSnapshotCallback(folder, f"bench-{fit_number}", probe=dataset.probe,
                                      live_pixels=dataset.live_pixels, preset="final",
                                      snapshots_per_epoch=int(way.split("×")[1]))]
    if way == "tensorboard":
        return [keras.callbacks.TensorBoard(log_dir=str(folder / f"tb-{fit_number}"), histogram_freq=1)]
    return []


def round_order(ways: list[str], round_number: int) -> list[str]:
    shift = round_number % len(ways)
    order = ways[shift:] + ways[:shift]
    return order[::-1] if (round_number // len(ways)) % 2 else order


def ratio_spread(per_round: dict[str, list[list[float]]], way: str) -> tuple[float, float]:
    ratios = [statistics.median(ours) / statistics.median(base)
              for ours, base in zip(per_round[way], per_round["none"])]
    return min(ratios), max(ratios)


def report(ways, wall, cpu, own_cpu, steps: int, args) -> None:
    every = {name: {way: [value for round_values in table[way] for value in round_values] for way in ways}
             for name, table in (("wall", wall), ("cpu", cpu))}
    base = {name: statistics.median(every[name]["none"]) for name in every}
    ratios = {name: {way: statistics.median(every[name][way]) / base[name] for way in ways} for name in every}
    print(f"\n{args.rounds} rounds × {args.epochs - 1} timed epochs of {steps} steps "
          f"(batch 32, preset final); ratio to no callback, [lowest–highest single round]:")
    for way in ways:
        low, high = ratio_spread(wall, way)
        cpu_low, cpu_high = ratio_spread(cpu, way)
        print(f"  {way:<13} wall {statistics.median(every['wall'][way]) * 1000:7.1f} ms/epoch  "
              f"{ratios['wall'][way]:.3f} [{low:.3f}–{high:.3f}]   "
              f"CPU {statistics.median(every['cpu'][way]) / steps * 1000:6.2f} ms/step  "
              f"{ratios['cpu'][way]:.3f} [{cpu_low:.3f}–{cpu_high:.3f}]")
    for way, target in zip(ways[1:3], (ONE_PER_EPOCH_TARGET, MANY_PER_EPOCH_TARGET)):
        epochs = args.rounds * args.epochs  # the hooks also ran in the untimed first epochs
        hooks, writes = (seconds[way] / epochs for seconds in own_cpu)
        print(f"  {way}: its own CPU time per epoch {hooks * 1000:.2f} ms in hooks + {writes * 1000:.2f} ms "
              f"writing = {1 + (hooks + writes) / base['cpu']:.4f} of a no-callback epoch's CPU")
        met = all(ratios[name][way] <= target and ratios[name][way] < ratios[name]["tensorboard"]
                  for name in ("wall", "cpu"))
        print(f"{way} {'meets' if met else 'MISSES'} the target: ≤ {target} in wall and CPU time and below "
              f"TensorBoard's {ratios['wall']['tensorboard']:.3f} / {ratios['cpu']['tensorboard']:.3f} "
              f"(got {ratios['wall'][way]:.3f} / {ratios['cpu'][way]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5, help="per fit; the first is not timed")
    parser.add_argument("--snapshots-per-epoch", type=int, default=10, metavar="K",
                        help="the second SnapshotCallback case (the first takes one per epoch)")
    args = parser.parse_args()
    if args.rounds < 1 or args.epochs < 2 or args.snapshots_per_epoch < 2:
        parser.error("need --rounds ≥ 1, --epochs ≥ 2 and --snapshots-per-epoch ≥ 2")
    if importlib.util.find_spec("tensorboard") is None:
        sys.exit("the TensorBoard comparison needs the tensorboard package: pip install tensorboard==2.21.0")
    config = presets.resolve("final", {})
    dataset = data.load("sample", None, digits=config["digits"])
    x, y = data.model_inputs(dataset.train[0]), dataset.train[1]
    validation = (data.model_inputs(dataset.val[0]), dataset.val[1])
    ways = way_names(args.snapshots_per_epoch)
    wall = {way: [] for way in ways}
    cpu = {way: [] for way in ways}
    hooks = {way: 0.0 for way in ways}
    writes = {way: 0.0 for way in ways}
    steps = 0
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(args.rounds):
            for way in round_order(ways, round_number):
                keras.backend.clear_session()
                gc.collect()
                keras.utils.set_random_seed(0)
                model = build_model(config)
                clock = EpochClock()
                extra = callbacks_for(way, Path(folder), len(ways) * round_number + ways.index(way), dataset)
                model.fit(x, y, validation_data=validation, epochs=args.epochs, batch_size=config["batch_size"],
                          verbose=0, callbacks=[*extra, clock])
                steps = clock.params["steps"]
                wall[way].append(clock.seconds[1:])
                cpu[way].append(clock.cpu_seconds[1:])
                hooks[way] += sum(getattr(callback, "hook_seconds", 0.0) for callback in extra)
                writes[way] += sum(getattr(callback, "writer_seconds", 0.0) for callback in extra)
                print(f"round {round_number + 1} {way:<13} wall "
                      + " ".join(f"{seconds * 1000:.0f}" for seconds in clock.seconds[1:]) + " ms, CPU "
                      + " ".join(f"{seconds * 1000:.0f}" for seconds in clock.cpu_seconds[1:]) + " ms", flush=True)
    report(ways, wall, cpu, (hooks, writes), steps, args)


if __name__ == "__main__":
    main()

"""The public Keras callback that turns any `model.fit` of an MLP into a Neuron Lens run folder."""
from __future__ import annotations

import math
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import keras
import numpy as np

from neurons.runformat import SNAPSHOT_DTYPES, RunWriter, run_path, validate_run_id
from trainer import data, layer_map
from trainer.background_writer import BackgroundWriter

HEARTBEAT_INTERVAL = 5.0
# An inner snapshot taken sooner than this after the last manifest write is listed with the next
# snapshot (or heartbeat): one flush to disk and one manifest write serve several snapshots.
LISTING_INTERVAL = 1.0


class SnapshotCallback(keras.callbacks.Callback):
    """Stores the model's weights at initialisation and after every epoch, for the dashboard.

        model.fit(x, y, epochs=20, validation_data=(x_val, y_val),
                  callbacks=[keras.callbacks.EarlyStopping(restore_best_weights=True),
                             trainer.SnapshotCallback("data", probe=(x_test, y_test))])

    The model must be a built chain of Dense / BatchNormalization / Dropout layers on 28×28
    digits fed as pixels / 255 (see trainer.layer_map). Arguments:
    - data_dir: the run goes to DATA_DIR/runs/RUN_ID.
    - run_id: default UTC time + preset, e.g. 20261126-221800-custom.
    - probe: (images, labels) the dashboard uses for activations and ablation, e.g. your test
      set; images (N, 28, 28) or (N, 784), uint8 0-255 or float 0-1; up to 2,000 are kept,
      stratified. Default: the 1,000 test digits held out from the offline sample
      (only digits 0 and 1 for a model with one output unit).
    - live_pixels: bool (28, 28) mask of the pixels that vary in your training set. Default:
      the pixels that vary across the probe images.
    - snapshots_per_epoch: K ≥ 1 snapshots per epoch, K − 1 evenly spaced inside it plus its end.
    - snapshot_dtype: "float32", or "float16" for half the disk space (the initialisation is kept
      in float32 and every snapshot as its change since then; see neurons.float16_changes).
    - preset, config, dataset: recorded in the manifest as they are.
    Training only waits for the weights to be copied; the files are written on a background
    thread, and everything is on disk when `fit` returns. Per batch it costs nothing: its batch
    hook is attached only while an epoch has an inner snapshot still to take, and the heartbeat
    comes from a timer. When training ends, the array files are compacted to the snapshots.
    Put it after EarlyStopping in the callback list: the run's best snapshot is the one whose
    weights the model holds when training ends, so it must look after weights are restored.
    """

    def __init__(self, data_dir="data", run_id: str | None = None, *, probe=None, live_pixels=None,
                 snapshots_per_epoch: int = 1, snapshot_dtype: str = "float32", preset: str = "custom",
                 config: dict | None = None, dataset: dict | None = None):
        super().__init__()
        if int(snapshots_per_epoch) < 1:
            raise ValueError("snapshots_per_epoch must be at least 1")
        if snapshot_dtype not in SNAPSHOT_DTYPES:
            raise ValueError(f"snapshot_dtype must be one of {', '.join(SNAPSHOT_DTYPES)}")
        self.snapshot_dtype = snapshot_dtype
        self.data_dir = Path(data_dir)
        self.run_id = validate_run_id(run_id) if run_id is not None else None
        self.probe = probe
        self.live_pixels = live_pixels
        self.snapshots_per_epoch = int(snapshots_per_epoch)
        self.preset = preset
        self.config = dict(config or {})
        self.dataset = dict(dataset or {"name": "custom", "source": "model.fit"})
        self.writer: RunWriter | None = None
        self._layers = None
        self._read_weights = None
        self._inner_steps: list[int] = []
        self._plan: list[int] = []
        self._epoch, self._epoch_started, self._steps_seen = 0, 0.0, 0
        self._steps_per_epoch: int | None = None
        self.background: BackgroundWriter | None = None
        self._listed_at = 0.0
        self._steps_at_beat: int | None = None
        if self.snapshots_per_epoch > 1:
            # Keras decides when `fit` starts whether batch hooks may run on a worker thread
            # (on backends it deems thread-safe); an inner snapshot must read the weights
            # between two steps, so Keras has to see this callback's batch hook then.
            self._use_batch_hook(self._snapshot_inside_epoch)

    @classmethod
    def continuing(cls, writer: RunWriter, *, snapshots_per_epoch: int = 1) -> "SnapshotCallback":
        """A callback that appends to an existing run (resume) instead of creating one."""
        callback = cls(writer.path.parent.parent, writer.manifest["run_id"],
                       snapshots_per_epoch=snapshots_per_epoch, preset=writer.manifest["preset"],
                       snapshot_dtype=writer.manifest.get("snapshot_dtype", "float32"))
        callback.writer = writer
        return callback

    @property
    def path(self) -> Path | None:
        return None if self.writer is None else self.writer.path

    def on_train_begin(self, logs=None):
        self._layers = layer_map.describe(self.model)
        self._read_weights = layer_map.weight_reader(self._layers)
        self._plan_inner_steps(self.params.get("steps"))
        self.background = BackgroundWriter(on_error=self._stop_training)
        if self.writer is None:
            self._create_run()
            self._append("init", epoch=0, step=0)
        self.background.every(HEARTBEAT_INTERVAL, self._beat_while_training)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._epoch_started = epoch, time.monotonic()
        self._plan = list(self._inner_steps)
        counting = self._steps_per_epoch is None and self.snapshots_per_epoch > 1
        self._use_batch_hook(self._snapshot_inside_epoch if self._plan else self._count_steps if counting else None)

    def _snapshot_inside_epoch(self, batch, logs=None):
        """The batch hook, attached only while the epoch has an inner snapshot still to take."""
        step = batch + 1
        if not self._plan or step < self._plan[0]:
            return
        while self._plan and self._plan[0] <= step:  # with steps_per_execution > 1, batches jump
            self._plan.pop(0)
        self._append(f"epoch {self._epoch + 1} · step {step}", epoch=self._epoch, step=step)
        self.background.raise_errors()
        if not self._plan:
            self._use_batch_hook(None)

    def _count_steps(self, batch, logs=None):
        """The batch hook of an epoch whose length is unknown, when inner snapshots need it."""
        self._steps_seen = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        self.background.raise_errors()
        seconds = time.monotonic() - self._epoch_started
        row = {"epoch": epoch + 1, **{key: _finite(value) for key, value in (logs or {}).items()},
               "seconds": round(seconds, 3)}
        self._append(f"epoch {epoch + 1}", epoch=epoch + 1, step=0, history_row=row)
        if self._steps_per_epoch is None:  # a dataset of unknown length: now we know it
            self._plan_inner_steps(self._steps_seen)

    def on_train_end(self, logs=None):
        self.background.close()
        self.writer.set_best_snapshot(self._snapshot_holding_current_weights())
        self.writer.finish("completed")

    def record_test(self, loss: float, accuracy: float) -> None:
        """Store the held-out test loss and accuracy of the weights the model holds now."""
        self.background.flush()
        self.writer.finish(self.writer.manifest["status"],
                           test={"loss": _finite(loss), "accuracy": _finite(accuracy)})

    def _plan_inner_steps(self, steps: int | None) -> None:
        """Steps after which to snapshot inside an epoch: K − 1 evenly spaced, never the last."""
        self._steps_per_epoch = steps or None
        parts = range(1, self.snapshots_per_epoch) if steps else ()
        self._inner_steps = sorted({round(steps * part / self.snapshots_per_epoch) for part in parts} - {0, steps})

    def _beat_while_training(self) -> None:
        """On the writer thread, every HEARTBEAT_INTERVAL: refresh the heartbeat if training took
        a step since the last beat. A `fit` ended by an exception (say in a notebook, where the
        process lives on) thus stops beating, and readers soon show its run as interrupted."""
        steps = int(self.model.optimizer.iterations.numpy())
        if steps != self._steps_at_beat:
            self._steps_at_beat = steps
            self.writer.heartbeat(min_interval=HEARTBEAT_INTERVAL)

    def _use_batch_hook(self, hook) -> None:
        """Keras calls `on_train_batch_end` of every callback after every step, looking the method
        up on the instance each time: with `hook` None the epoch gets Keras's own no-op, so this
        callback costs nothing per batch."""
        if hook is not None:
            self.on_train_batch_end = hook
        else:
            self.__dict__.pop("on_train_batch_end", None)

    def _stop_training(self) -> None:
        """A write failed (on the writer thread): end the epoch at the next step; its end raises."""
        if self.model is not None:
            self.model.stop_training = True

    def _create_run(self) -> None:
        epochs = int(self.params.get("epochs") or 1)
        run_id = self.run_id or new_run_id(self.data_dir, self.preset)
        output_units = self._layers[-1][1]["units"]
        images, labels = _probe(self.probe, output_units)
        config = {"keras_model": self.model.name, "epochs": epochs, "steps_per_epoch": self._steps_per_epoch,
                  "snapshots_per_epoch": self.snapshots_per_epoch, **self.config}
        path = run_path(self.data_dir, run_id)
        try:
            self.writer = RunWriter.create(
                path, run_id=run_id, preset=self.preset, config=config,
                dataset={**self.dataset, "probe": len(labels)},
                layers=[entry for _, entry in self._layers], capacity=1 + epochs * self.snapshots_per_epoch,
                snapshot_dtype=self.snapshot_dtype)
            self.writer.write_probe(images, labels)
            live = self.live_pixels if self.live_pixels is not None else images.min(axis=0) != images.max(axis=0)
            self.writer.write_live_pixels(live)
        except FileExistsError:
            raise
        except OSError:
            shutil.rmtree(path, ignore_errors=True)  # a run without its probe set is of no use
            self.writer = None
            raise
        self.run_id = run_id

    def _append(self, label: str, *, epoch: int, step: int, history_row: dict | None = None) -> None:
        self.background.submit(self._write_snapshot, self._read_weights(),
                               label=label, epoch=epoch, step=step, history_row=history_row)

    def _write_snapshot(self, weights, *, history_row: dict | None, **position) -> None:
        """On the writer thread. An epoch's history row rides on its snapshot's manifest update:
        one manifest write per epoch instead of two, and readers see both at once."""
        if history_row is not None:
            self.writer.manifest["history"].append(history_row)
        now = time.monotonic()
        listed = history_row is not None or now - self._listed_at >= LISTING_INTERVAL
        self.writer.append_snapshot(weights, commit=listed, **position)
        if listed:
            self._listed_at = now

    def _snapshot_holding_current_weights(self) -> int:
        """The newest end-of-epoch snapshot equal to the model's weights (early stopping may have
        restored an earlier epoch); the last snapshot if none matches."""
        crc = self.writer.crc32_as_stored(layer_map.read_weights(self._layers))
        snapshots = self.writer.manifest["snapshots"]
        for snapshot in reversed(snapshots):
            if snapshot["step"] == 0 and snapshot["crc32"] == crc:
                return snapshot["index"]
        return snapshots[-1]["index"]


def new_run_id(data_dir, preset: str) -> str:
    """UTC time + preset, with a counter if a run of that name already exists."""
    stem = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{preset}"
    run_id, count = stem, 1
    while run_path(data_dir, run_id).exists():
        count += 1
        run_id = f"{stem}-{count}"
    return run_id


def _finite(value):
    value = float(value)
    return value if math.isfinite(value) else None


def _probe(probe, output_units: int):
    """Probe images as uint8 (N, 28, 28) and labels, stratified down to data.PROBE_SIZE."""
    if probe is None:
        sample = data.load("sample", None, digits=[0, 1] if output_units == 1 else list(range(10)))
        return sample.probe
    images, labels = (np.asarray(part) for part in probe)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    images = images.reshape(len(images), 28, 28)
    if images.dtype != np.uint8:
        scale = 255.0 if images.max() <= 1.0 else 1.0
        images = np.clip(np.rint(images * scale), 0, 255).astype(np.uint8)
    if len(labels) > data.PROBE_SIZE:
        keep, _ = data.stratified_indices(labels, data.PROBE_SIZE, np.random.default_rng(data.SPLIT_SEED))
        images, labels = images[keep], labels[keep]
    return images, labels.astype(np.uint8)

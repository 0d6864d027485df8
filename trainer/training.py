"""Training jobs behind the command line: a new run, or the continuation of an interrupted one."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from neurons.runformat import (RunWriter, effective_status, open_arrays, read_manifest, run_path,
                               verify_snapshot)
from trainer import augment, data, layer_map, optimizer_state, stop_request
from trainer.model import build_model
from trainer.resumed_early_stopping import ResumedEarlyStopping
from trainer.snapshot_callback import SnapshotCallback
from trainer.space_reserve import SpaceReserve


class CannotResume(Exception):
    """The run cannot be continued; str(error) says why."""


@dataclass
class Outcome:
    """What happened to a run; `writer` is None if no run folder was made."""
    status: str
    writer: RunWriter | None
    error: str | None = None


def train(config: dict, *, data_dir: Path, run_id: str | None) -> Outcome:
    """Train a new run described by `config` (presets.resolve plus dataset, seed, snapshots)."""
    dataset = load_dataset(config, data_dir)
    config = {**config, "dataset": dataset.name}  # what `auto` chose, so that a resume uses it too
    keras.utils.set_random_seed(config["seed"])
    model = build_model(config)
    snapshots = SnapshotCallback(
        data_dir, run_id, probe=dataset.probe, live_pixels=dataset.live_pixels,
        snapshots_per_epoch=config["snapshots_per_epoch"], preset=config["preset"],
        snapshot_dtype=config.get("snapshot_dtype", "float32"), config=config, dataset=dataset.summary())
    stopping = keras.callbacks.EarlyStopping(**early_stopping_options(config)) if config["early_stopping"] else None
    return fit(model, dataset, config, snapshots, stopping, initial_epoch=0)


def resume(data_dir: Path, run_id: str, *, announce=print) -> Outcome:
    """Continue an interrupted or failed run from its last end-of-epoch snapshot.

    Restored: weights (incl. batch-norm statistics), optimizer state saved at that epoch, early
    stopping's best value, patience count and best weights. Not restored: the random state, so
    the order of the remaining batches and the dropout masks differ from an uninterrupted run,
    and the interrupted epoch starts again from its first batch.
    """
    path = run_path(data_dir, run_id)
    manifest = read_manifest(path)
    config = manifest["config"]
    check_resumable(manifest)
    ends = [snapshot for snapshot in manifest["snapshots"] if snapshot["step"] == 0]
    last = ends[-1]
    epochs_done = last["epoch"]
    dataset = load_dataset(config, data_dir)
    keras.utils.set_random_seed(config["seed"] + epochs_done)
    model = build_model(config)
    described = layer_map.describe(model)
    stored = open_arrays(path, manifest)
    verify_snapshot(stored, manifest, last["index"])
    writer = RunWriter.reopen(path)
    writer.manifest["history"] = writer.manifest["history"][:epochs_done]
    writer.truncate(last["index"] + 1)
    writer.reserve(1 + config["epochs"] * config["snapshots_per_epoch"])  # a finished run was compacted
    stopping = None
    if config["early_stopping"]:
        stopping = resumed_early_stopping(model, described, stored, writer.manifest, config)
    layer_map.write_weights(described, keras_layout(stored, last["index"]))
    note = optimizer_state.restore(model, path / optimizer_state.STATE_FILE, epochs_done=epochs_done)
    announce(f"resuming run {run_id} after epoch {epochs_done}; {note}")
    snapshots = SnapshotCallback.continuing(writer, snapshots_per_epoch=config["snapshots_per_epoch"])
    return fit(model, dataset, config, snapshots, stopping, initial_epoch=epochs_done)


def check_resumable(manifest: dict) -> None:
    status = effective_status(manifest)
    if status == "running":
        raise CannotResume(f"run {manifest['run_id']} is still running (pid {manifest.get('pid')}, "
                           f"heartbeat {manifest.get('heartbeat')})")
    if status == "completed":
        raise CannotResume(f"run {manifest['run_id']} has already completed")
    if "seed" not in manifest["config"] or "units" not in manifest["config"]:
        raise CannotResume(f"run {manifest['run_id']} was not made by `python -m trainer train`, "
                           f"so its model cannot be rebuilt")
    if not any(snapshot["step"] == 0 and snapshot["epoch"] > 0 for snapshot in manifest["snapshots"]):
        raise CannotResume(f"run {manifest['run_id']} has no finished epoch: start it again with "
                           f"`python -m trainer train`")


def load_dataset(config: dict, data_dir: Path) -> data.Dataset:
    dataset_file = Path(config["dataset_file"]) if config.get("dataset_file") else None
    return data.load(config["dataset"], data_dir, digits=config["digits"], dataset_file=dataset_file)


def early_stopping_options(config: dict) -> dict:
    return {"monitor": "val_loss", "patience": config["patience"], "restore_best_weights": True,
            "verbose": 1}


def keras_layout(stored: dict, index: int) -> dict:
    """Snapshot `index` of the stored (neuron-major) arrays, in Keras layout."""
    weights = {}
    for name, values in stored.items():
        layer, array = name.split(".", 1)
        slot = np.array(values[index])
        weights.setdefault(layer, {})[array] = slot.T if array == "kernel" else slot
    return weights


def resumed_early_stopping(model, described, stored, manifest, config) -> ResumedEarlyStopping:
    losses = [row.get("val_loss") for row in manifest["history"]]
    losses = [np.inf if loss is None else loss for loss in losses]
    best_epoch = int(np.argmin(losses))
    best_index = next(snapshot["index"] for snapshot in manifest["snapshots"]
                      if snapshot["step"] == 0 and snapshot["epoch"] == best_epoch + 1)
    verify_snapshot(stored, manifest, best_index)
    layer_map.write_weights(described, keras_layout(stored, best_index))
    return ResumedEarlyStopping(best=float(losses[best_epoch]), best_epoch=best_epoch,
                                wait=len(losses) - 1 - best_epoch, best_weights=model.get_weights(),
                                **early_stopping_options(config))


def fit(model, dataset: data.Dataset, config: dict, snapshots: SnapshotCallback,
        stopping, *, initial_epoch: int) -> Outcome:
    """Run model.fit with the snapshot writer; a run folder always ends in a consistent state."""
    reserve = SpaceReserve(lambda: snapshots.path)
    callbacks = [callback for callback in (stopping, snapshots) if callback is not None]
    callbacks += [optimizer_state.OptimizerStateSaver(snapshots), reserve, stop_request.StopRequestCheck()]
    stop_request.clear()
    try:
        model.fit(**training_batches(dataset, config, initial_epoch),
                  validation_data=(data.model_inputs(dataset.val[0]), dataset.val[1]),
                  epochs=config["epochs"], initial_epoch=initial_epoch, callbacks=callbacks, verbose=2)
        loss, accuracy = model.evaluate(data.model_inputs(dataset.test[0]), dataset.test[1],
                                        batch_size=1024, verbose=0,
                                        callbacks=[stop_request.StopRequestCheck()])
        snapshots.record_test(loss, accuracy)
        # A completed run cannot be resumed: its optimizer state would only take up room.
        (snapshots.path / optimizer_state.STATE_FILE).unlink(missing_ok=True)
    except KeyboardInterrupt:
        return close(snapshots, reserve, "interrupted", None)
    except OSError as error:
        reason = f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
        return close(snapshots, reserve, "failed", reason)
    except Exception as error:
        close(snapshots, reserve, "failed", f"{type(error).__name__}: {error}")
        raise
    return Outcome("completed", snapshots.writer)


def training_batches(dataset: data.Dataset, config: dict, initial_epoch: int) -> dict:
    """fit's training data: the arrays, or with `augment` a PyDataset of freshly moved digits."""
    images, labels = dataset.train
    if config.get("augment"):
        return {"x": augment.AugmentedDigits(images, labels, batch_size=config["batch_size"], seed=config["seed"],
                                             to_inputs=data.model_inputs, first_epoch=initial_epoch)}
    return {"x": data.model_inputs(images), "y": labels, "batch_size": config["batch_size"]}


def close(snapshots: SnapshotCallback, reserve: SpaceReserve, status: str, error: str | None) -> Outcome:
    """Record how the run ended; if even that cannot be written, the folder keeps its last
    consistent manifest, which readers show as interrupted once its heartbeat is stale."""
    writer = snapshots.writer
    if writer is not None:
        try:
            if snapshots.background is not None:
                snapshots.background.settle()
            reserve.release()
            writer.finish(status, error=error)
        except OSError as second:
            error = f"{error}; the run's status could not be updated either ({second.strerror})"
    return Outcome(status, writer, error)

"""Saves the optimizer's variables after every epoch so that `resume` can continue the run.

Keras 3 optimizers keep their whole state (step count, Adam's moments) in `optimizer.variables`;
saving their values in order and assigning them back to a freshly built optimizer of the same
configuration restores it exactly. Variable names carry Keras' per-process unique suffixes
(adam_1/…), so the saved state is matched to the optimizer by order and shape.
"""
from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

STATE_FILE = "optimizer.npz"


class OptimizerStateSaver(keras.callbacks.Callback):
    """Writes RUN/optimizer.npz at every epoch end, on the snapshot writer's background thread
    (after that epoch's snapshot); place it after the SnapshotCallback in the callback list."""

    def __init__(self, snapshots):
        super().__init__()
        self.snapshots = snapshots

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.background.submit(write, values(self.model.optimizer),
                                         self.snapshots.path / STATE_FILE, epochs_done=epoch + 1)


def values(optimizer) -> dict[str, np.ndarray]:
    return {f"v{position}": variable.numpy() for position, variable in enumerate(optimizer.variables)}


def save(optimizer, path: Path, *, epochs_done: int) -> None:
    write(values(optimizer), path, epochs_done=epochs_done)


def write(arrays: dict[str, np.ndarray], path: Path, *, epochs_done: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        np.savez(handle, epochs_done=epochs_done, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def restore(model: keras.Model, path: Path, *, epochs_done: int) -> str:
    """Load the saved state into model.optimizer if it belongs to `epochs_done`; say what happened."""
    if not path.exists():
        return "optimizer state not found: the optimizer starts afresh"
    with np.load(path, allow_pickle=False) as saved:
        if int(saved["epochs_done"]) != epochs_done:
            return (f"optimizer state is from epoch {int(saved['epochs_done'])}, not {epochs_done}: "
                    f"the optimizer starts afresh")
        model.optimizer.build(model.trainable_variables)
        variables = model.optimizer.variables
        saved_shapes = [saved[f"v{position}"].shape for position in range(len(saved.files) - 1)]
        if [tuple(variable.shape) for variable in variables] != saved_shapes:
            return "optimizer state does not match this model: the optimizer starts afresh"
        for position, variable in enumerate(variables):
            variable.assign(saved[f"v{position}"])
    return f"optimizer state restored from epoch {epochs_done}"

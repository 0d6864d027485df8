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
    """Writes RUN/optimizer.npz at every epoch end; `run_folder()` gives the run's path."""

    def __init__(self, run_folder):
        super().__init__()
        self.run_folder = run_folder

    def on_epoch_end(self, epoch, logs=None):
        save(self.model.optimizer, Path(self.run_folder()) / STATE_FILE, epochs_done=epoch + 1)


def save(optimizer, path: Path, *, epochs_done: int) -> None:
    arrays = {f"v{position}": variable.numpy()
              for position, variable in enumerate(optimizer.variables)}
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

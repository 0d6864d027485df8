"""Keeps a little disk space in the run folder so a run can still record that it failed.

When the disk fills up in the middle of writing a snapshot, there may be no room left even for
the small manifest that says "failed". The reserve file is deleted first, which frees the room.
"""
from __future__ import annotations

import os
from pathlib import Path

import keras

RESERVE_FILE = ".space-reserve"
RESERVE_BYTES = 1 << 20


class SpaceReserve(keras.callbacks.Callback):
    """Writes RUN/.space-reserve when training starts; `release()` gives the space back."""

    def __init__(self, run_folder):
        super().__init__()
        self.run_folder = run_folder

    def on_train_begin(self, logs=None):
        with open(self._path(), "wb") as handle:
            handle.write(bytes(RESERVE_BYTES))  # real blocks: a sparse file would reserve nothing
            handle.flush()
            os.fsync(handle.fileno())

    def on_train_end(self, logs=None):
        self.release()

    def release(self) -> None:
        folder = self.run_folder()
        if folder is not None:
            Path(folder, RESERVE_FILE).unlink(missing_ok=True)

    def _path(self) -> Path:
        return Path(self.run_folder()) / RESERVE_FILE

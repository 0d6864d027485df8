"""How a `--snapshot-dtype float16` run stores its weights: the initialisation once in float32, and
every snapshot as its change since then in float16.

Why changes and not the weights themselves: float16 keeps 11 significant bits, so rounding moves a
value by up to 2⁻¹¹ of itself. Rounded weights would move a first-layer field's change since init —
the map the neuron view opens on, often a tenth of the weights' size early in training — by up to
a hundredth of its colour range. A rounded change moves by at most 2⁻¹¹ of itself, whatever the
size of the weights, and the weights (init + change) by the same absolute amount. numpy only.
"""
from __future__ import annotations

import numpy as np

FLOAT32 = np.dtype("<f4")
FLOAT16 = np.dtype("<f2")


def encode(values: np.ndarray, init: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(stored float16 change, the float32 values a reader will see) for one array's slot."""
    change = np.subtract(values, init, dtype=FLOAT32).astype(FLOAT16)
    return change, decode(init, change)


def decode(init, change) -> np.ndarray:
    """init + change in float32 (`init` broadcasts over any leading snapshot axis of `change`)."""
    return np.add(init, change, dtype=FLOAT32)


class ChangesFromInit:
    """One float16 run's array as readers see it, indexed like the float32 memory map of a float32
    run (the first index picks snapshots): float32 init + float16 change, computed on each read."""

    dtype = FLOAT32

    def __init__(self, init: np.ndarray, changes: np.memmap):
        self.init = init
        self.changes = changes

    @property
    def shape(self) -> tuple[int, ...]:
        return self.changes.shape

    @property
    def _mmap(self):
        """The change file's mapping, so that readers can hand its pages back as for a memmap."""
        return getattr(self.changes, "_mmap", None)

    def __len__(self) -> int:
        return len(self.changes)

    def __getitem__(self, key) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        return decode(self.init[key[1:]], self.changes[key])

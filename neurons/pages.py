"""Page release for memory-mapped weight arrays.

A bulk read (every snapshot of a kernel, a whole layer) maps its pages into the process; they stay
in the OS page cache after release, so a re-read is still fast, but without releasing them the
process's resident memory would grow with every snapshot ever visited.
"""
from __future__ import annotations

import mmap

import numpy as np


def release(arrays: list[np.ndarray]) -> None:
    """Unmap the pages of these memory-mapped arrays (plain arrays are left alone)."""
    for array in arrays:
        mapping = getattr(array, "_mmap", None)
        if mapping is not None:
            mapping.madvise(mmap.MADV_DONTNEED)

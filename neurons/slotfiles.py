"""The run folder's array files at the byte level: `.npy` files whose leading axis is the snapshot
slot. Written with ordinary file writes, never memory maps, so that a full disk surfaces as an
OSError instead of a crash inside a mapped page. numpy and the standard library only.

A file only ever changes its number of slots by being rewritten whole: a new file is written
beside it, flushed to disk and renamed over it. A reader therefore sees the old file or the new
one, never a mixture; one that holds a memory map of the old file keeps reading the old file
(the system frees it once the last map is gone), whose listed slots hold the same values.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

COPY_CHUNK_BYTES = 16 * 2 ** 20
TEMPORARY_SUFFIX = ".tmp"


def header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, byte offset of the data) of a .npy file, read from its header alone."""
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(handle)
        return shape, dtype, handle.tell()


def temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMPORARY_SUFFIX}")


def rewrite(path: Path, *, slots: int, shape: tuple[int, ...], dtype: np.dtype, keep: int = 0) -> None:
    """(Re)create `path` as a .npy of (slots, *shape), keeping the first `keep` slots of the file
    it replaces; slots past them are a hole (no disk blocks until written). Crash-safe: the new
    file is complete on disk before it takes the old one's name. Call sync_folder afterwards to
    make the rename itself durable."""
    tmp = temporary(path)
    slot_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    try:
        with open(tmp, "wb") as out:
            np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                      "fortran_order": False, "shape": (slots, *shape)})
            start = out.tell()
            if keep:
                _copy_slots(path, out, keep * slot_bytes)
            out.truncate(start + slots * slot_bytes)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _copy_slots(source: Path, out, length: int) -> None:
    """Copy the first `length` data bytes of the .npy `source` to `out`, a bounded chunk at a time."""
    _, _, offset = header(source)
    with open(source, "rb") as handle:
        handle.seek(offset)
        while length:
            chunk = handle.read(min(length, COPY_CHUNK_BYTES))
            if not chunk:
                raise OSError(f"{source} is shorter than its header says")
            out.write(chunk)
            length -= len(chunk)


def sync_folder(folder: Path) -> None:
    """Make renames inside `folder` durable (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def remove_temporaries(folder: Path) -> None:
    """Delete the half-written files a killed rewrite left behind."""
    for leftover in Path(folder).glob(f".*.npy{TEMPORARY_SUFFIX}"):
        leftover.unlink(missing_ok=True)


class SlotWriter:
    """Writes whole slots into one array file through a descriptor kept open between snapshots
    (opening the file and parsing its header for every write cost more than the write)."""

    def __init__(self, path: Path, slot_bytes: int):
        self.path = path
        self.slot_bytes = slot_bytes
        self._offset = header(path)[2]
        self._handle = open(path, "r+b", buffering=0)

    def write(self, index: int, data: bytes) -> None:
        view = memoryview(data)
        position = self._offset + index * self.slot_bytes
        while view:
            written = os.pwrite(self._handle.fileno(), view, position)
            view, position = view[written:], position + written

    def sync(self) -> None:
        """Flush the written slots to disk (data, and the metadata needed to read it back)."""
        (getattr(os, "fdatasync", None) or os.fsync)(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

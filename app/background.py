"""Long computations off the request workers: Dash background callbacks, and what their jobs keep.

A background callback runs in a process of its own (Dash's DiskcacheManager), so a t-SNE map or a
probe curve never holds up the callbacks that draw the rest of the page. The manager's disk cache
sits in the system's temporary folder, one per data folder, shared by every server process on the
machine and every job. A job's memory ends with it, so jobs keep their results there too (`kept`):
a probe score or a t-SNE map is computed once per snapshot, and a run that grows only adds its new
snapshots. Keys are built by `computed.key` from (run id, snapshot count, question…), where the
count is the one at which the snapshot asked about exists (snapshot + 1): that answer never
changes as the run grows.
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import diskcache
from dash import DiskcacheManager

from app.views.computed import key

_MISSING = object()
_store: diskcache.Cache | None = None


def folder_for(data_dir) -> Path:
    """The disk cache of a data folder: the same for every process serving it."""
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"neuron-lens-background-{digest}"


def manager(data_dir) -> DiskcacheManager:
    """The background-callback manager of the app serving `data_dir` (also opens the job store)."""
    global _store
    _store = diskcache.Cache(str(folder_for(data_dir)))
    return DiskcacheManager(_store)


def kept(parts: tuple, compute):
    """The stored answer for key parts (run id, snapshot count, question…), else `compute()`, stored."""
    name = key(*parts)
    value = _store.get(name, default=_MISSING)
    if value is _MISSING:
        value = compute()
        _store.set(name, value)
    return value


def stored(parts: tuple, default=None):
    """The stored answer for key parts, or `default` when no job has computed it yet."""
    return _store.get(key(*parts), default=default)

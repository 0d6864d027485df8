"""Safe, cached access to the runs in the data folder.

Every run id that reaches the app from a URL or a callback goes through `RunRegistry`: it must be
a plain folder name (neurons.runformat.validate_run_id) naming a real folder directly inside
DATA_DIR/runs, so no request can make the app open a file anywhere else. Problems surface as
`RunUnavailable`, whose text is fit to show a user.

The registry re-reads a manifest only when its file changed on disk, which is how a training run's
new snapshots reach the page without a reload.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context

from neurons.runformat import (MANIFEST, BrokenRun, RunSummary, check_run, effective_status,
                               opening_snapshot, read_manifest, runs_dir, validate_run_id)
from app.urlstate import shown

EXTENSION_KEY = "neuron_lens_runs"
MAX_OPEN_RUNS = 4


class RunUnavailable(Exception):
    """The run cannot be shown; str(error) says why in plain words."""


@dataclass(frozen=True)
class RunInfo:
    """What the page frame needs to know about a run, read from its manifest alone."""
    run_id: str
    manifest: dict
    status: str

    @property
    def snapshot_count(self) -> int:
        return len(self.manifest["snapshots"])

    @property
    def revision(self) -> str:
        """Changes with anything a view may show; not with heartbeat-only manifest saves."""
        test = (self.manifest.get("test") or {}).get("accuracy")
        return (f"{self.snapshot_count}:{len(self.history)}:{self.status}:"
                f"{self.manifest.get('best_snapshot')}:{test}")

    @property
    def default_snapshot(self) -> int | None:
        """The snapshot a view opens on (neurons.runformat.opening_snapshot, the one rule)."""
        return opening_snapshot(self.manifest, self.status)

    @property
    def history(self) -> list[dict]:
        return self.manifest["history"]

    @property
    def dense_layers(self) -> list[dict]:
        return [layer for layer in self.manifest["layers"] if layer.get("kind") == "dense"]

    @property
    def hidden_layers(self) -> list[str]:
        return [layer["name"] for layer in self.dense_layers[:-1]]

    @property
    def units(self) -> dict[str, int]:
        return {layer["name"]: int(layer["units"]) for layer in self.dense_layers}

    @property
    def output_classes(self) -> int:
        """Digits the output can name: 10 for softmax, 2 (no / yes) for a single sigmoid unit."""
        units = self.dense_layers[-1]["units"] if self.dense_layers else 0
        return 2 if units == 1 else int(units)

    @property
    def probe_count(self) -> int:
        return int((self.manifest.get("dataset") or {}).get("probe") or 0)

    @property
    def planned_epochs(self) -> int | None:
        epochs = (self.manifest.get("config") or {}).get("epochs")
        return int(epochs) if isinstance(epochs, int) and not isinstance(epochs, bool) else None


class RunRegistry:
    """Per-process cache of run manifests, run summaries and opened runs for one data folder."""

    def __init__(self, data_dir):
        self.data_dir = Path(data_dir)
        self.runs_dir = runs_dir(self.data_dir)
        self._lock = threading.RLock()
        self._infos: dict[str, tuple[tuple, RunInfo]] = {}
        self._summaries: dict[str, tuple[tuple, RunSummary]] = {}
        self._opened: OrderedDict[str, object] = OrderedDict()

    def folder(self, run_id: object) -> Path:
        """The folder of a run id from the outside world, or RunUnavailable."""
        try:
            run_id = validate_run_id(run_id)
        except ValueError:
            raise RunUnavailable(f"{shown(run_id)} is not a valid run id "
                                 "(letters, digits, '.', '_' and '-' only).") from None
        path = self.runs_dir / run_id
        if not self.is_run_folder(path):
            raise RunUnavailable(f"There is no run called {shown(run_id)}.")
        return path

    def is_run_folder(self, path: Path) -> bool:
        """A real folder directly inside runs/: links that lead elsewhere do not count."""
        return path.is_dir() and path.resolve().parent == self.runs_dir.resolve()

    def _stamp(self, path: Path) -> tuple:
        try:
            stat = (path / MANIFEST).stat()
        except OSError:
            return ()
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def info(self, run_id: object) -> RunInfo:
        """The run's manifest-level facts, re-read only when manifest.json changed."""
        path = self.folder(run_id)
        stamp = self._stamp(path)
        with self._lock:
            cached = self._infos.get(path.name)
            if cached and cached[0] == stamp:
                manifest = cached[1].manifest
            else:
                try:
                    manifest = read_manifest(path)
                except BrokenRun as error:
                    raise RunUnavailable(f"Run {path.name} cannot be opened: {error}") from None
            info = RunInfo(path.name, manifest, effective_status(manifest))
            self._infos[path.name] = (stamp, info)
            return info

    def run(self, run_id: object):
        """The opened neurons.Run, refreshed so it holds every snapshot the manifest lists.

        Only the MAX_OPEN_RUNS most recently used runs stay open: each holds its probe digits and
        result caches, and a folder of many runs must not grow the server without bound."""
        from neurons import open_run

        path = self.folder(run_id)
        with self._lock:
            try:
                opened = self._opened.get(path.name)
                if opened is None:
                    opened = self._opened[path.name] = open_run(path)
                else:
                    opened.refresh()
            except BrokenRun as error:
                self._opened.pop(path.name, None)
                raise RunUnavailable(f"Run {path.name} cannot be opened: {error}") from None
            self._opened.move_to_end(path.name)
            while len(self._opened) > MAX_OPEN_RUNS:
                self._opened.popitem(last=False)
            return opened

    def summaries(self) -> list[RunSummary]:
        """Every run folder, newest first, broken ones with their reason; re-checked on change."""
        if not self.runs_dir.is_dir():
            return []
        with self._lock:
            seen = {}
            for entry in self.runs_dir.iterdir():
                if entry.name.startswith(".") or not self.is_run_folder(entry):
                    continue
                try:
                    validate_run_id(entry.name)
                except ValueError:
                    continue
                stamp = self._stamp(entry)
                cached = self._summaries.get(entry.name)
                if cached is None or cached[0] != stamp or cached[1].status == "running":
                    cached = (stamp, check_run(entry))
                seen[entry.name] = cached
            self._summaries = seen
            summaries = [summary for _, summary in seen.values()]
        return sorted(summaries, key=lambda run: (run.created or "", run.run_id), reverse=True)

    def newest(self) -> str | None:
        """The id of the newest run that can be opened, preferring one with a snapshot to show."""
        usable = [summary for summary in self.summaries() if summary.broken is None]
        usable.sort(key=lambda summary: summary.snapshots == 0)  # stable: newest first within each
        return usable[0].run_id if usable else None


_default_registry: RunRegistry | None = None


def install(server, data_dir) -> RunRegistry:
    """Attach a registry for data_dir to a Flask server (and make it the out-of-request default)."""
    global _default_registry
    registry = RunRegistry(data_dir)
    server.extensions[EXTENSION_KEY] = registry
    _default_registry = registry
    return registry


def registry() -> RunRegistry:
    if has_app_context() and EXTENSION_KEY in current_app.extensions:
        return current_app.extensions[EXTENSION_KEY]
    if _default_registry is None:
        raise RuntimeError("no run registry: create the app with app.server.create_app first")
    return _default_registry


def get_run(run_id: object):
    """The neurons.Run for run_id, kept open and refreshed; RunUnavailable with a reason if not."""
    return registry().run(run_id)


def get_info(run_id: object) -> RunInfo:
    return registry().info(run_id)


__all__ = ["RunInfo", "RunRegistry", "RunUnavailable", "get_info", "get_run", "install",
           "registry"]

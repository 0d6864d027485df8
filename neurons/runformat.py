"""The run folder: the contract between the trainer, the core and the dashboard.

The format is documented in docs/run-format.md; this module is its only writer and its reference
reader. numpy and the standard library only.

Crash safety rests on one ordering: a snapshot's arrays are written and flushed to disk before
the manifest lists the snapshot, and the manifest is only ever replaced by an atomic rename. A
reader that trusts the manifest therefore never reads a slot that is still being written.
"""
from __future__ import annotations

import json
import os
import re
import socket
import time
import tokenize
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from neurons import float16_changes, slotfiles
from neurons.float16_changes import FLOAT16

SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
WEIGHTS_DIR = "weights"
PROBE_FILE = "probe.npz"
LIVE_PIXELS_FILE = "live_pixels.npy"
# "imported": made by `python -m trainer import` from model files trained elsewhere; never written to again.
STATUSES = ("running", "completed", "failed", "interrupted", "imported")
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,100}")
ARRAYS_BY_KIND = {
    "dense": ("kernel", "bias"),
    "batchnorm": ("gamma", "beta", "moving_mean", "moving_variance"),
    "dropout": (),
}
# A running trainer refreshes its heartbeat every few seconds; silence this long means it died.
HEARTBEAT_STALE_SECONDS = 60.0
DTYPE = float16_changes.FLOAT32
# How snapshots are stored (manifest key snapshot_dtype; absent means float32). A float16 run
# keeps its initialisation in float32 under weights/init/ (see neurons.float16_changes).
SNAPSHOT_DTYPES = {"float32": DTYPE, "float16": FLOAT16}
INIT_DIR = "init"


class BrokenRun(Exception):
    """A run folder that cannot be read; str(error) is the reason, fit to show a user."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def validate_run_id(run_id: object) -> str:
    """Return run_id if it is a safe folder name, else raise ValueError saying why."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id) or set(run_id) == {"."}:
        raise ValueError(
            f"invalid run id {str(run_id)[:60]!r}: use 1-100 of the characters A-Z a-z 0-9 . _ -"
        )
    return run_id


def runs_dir(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "runs"


def run_path(data_dir: str | os.PathLike, run_id: object) -> Path:
    """The folder of run_id under data_dir; never a path outside data_dir/runs."""
    return runs_dir(data_dir) / validate_run_id(run_id)


def json_text(payload: dict) -> str:
    """JSON with one key, and one list item, per line: readable, and written by json's C encoder
    (its indenting encoder is pure Python: milliseconds for a long run's manifest, which a run
    taking many snapshots an epoch rewrites every second)."""
    def encoded(value) -> str:
        if isinstance(value, list) and value:
            return "[\n  " + ",\n  ".join(json.dumps(item, allow_nan=False) for item in value) + "\n ]"
        return json.dumps(value, allow_nan=False)
    return "{\n" + ",\n".join(f" {json.dumps(key)}: {encoded(value)}" for key, value in payload.items()) + "\n}\n"


def write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(json_text(payload))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def array_shapes(layers: list[dict]) -> dict[str, tuple[int, ...]]:
    """Per-snapshot shape of every stored array, keyed 'LAYER.ARRAY'; kernels are neuron-major."""
    shapes = {}
    for layer in layers:
        for array in ARRAYS_BY_KIND[layer["kind"]]:
            if array == "kernel":
                shapes[f"{layer['name']}.kernel"] = (layer["units"], layer["fan_in"])
            else:
                shapes[f"{layer['name']}.{array}"] = (layer["units"],)
    return shapes


def snapshot_crc32(read_slot, names) -> int:
    """CRC-32 over the bytes of every array's slot as readers see it (float32), in sorted name order."""
    crc = 0
    for name in sorted(names):
        crc = zlib.crc32(np.ascontiguousarray(read_slot(name), dtype=DTYPE).tobytes(), crc)
    return crc


def stored_dtype(manifest: dict) -> np.dtype:
    """The dtype of a run's array files: its snapshot_dtype, float32 when absent (older runs)."""
    name = manifest.get("snapshot_dtype", "float32")
    if not isinstance(name, str) or name not in SNAPSHOT_DTYPES:
        raise BrokenRun(f"manifest.json: unknown snapshot_dtype {str(name)[:20]!r}")
    return SNAPSHOT_DTYPES[name]


class RunWriter:
    """Creates a run folder and appends weight snapshots to it; the trainer's only way to write.

    Arrays are written with ordinary file writes (neurons.slotfiles), not memory maps. A snapshot
    is listed in the manifest only once its slots are on disk: `append_snapshot(commit=False)`
    writes the slots and leaves the flush-and-list to a later `commit()`, so that snapshots taken
    in quick succession share one flush and one manifest write.
    """

    def __init__(self, path: Path, manifest: dict):
        self.path = Path(path)
        self.manifest = manifest
        self.shapes = array_shapes(manifest["layers"])
        self.dtype = stored_dtype(manifest)
        self._last_heartbeat = 0.0
        self._slot_writers: dict[str, slotfiles.SlotWriter] = {}
        self._uncommitted: list[dict] = []
        self._init: dict[str, np.ndarray] | None = None

    @classmethod
    def create(cls, path, *, run_id: str, preset: str, config: dict, dataset: dict,
               layers: list[dict], capacity: int, snapshot_dtype: str = "float32") -> "RunWriter":
        """Make the folder, preallocate `capacity` snapshot slots and write the first manifest."""
        validate_run_id(run_id)
        if snapshot_dtype not in SNAPSHOT_DTYPES:
            raise ValueError(f"snapshot dtype must be one of {', '.join(SNAPSHOT_DTYPES)}, got {snapshot_dtype!r}")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=False)
        (path / WEIGHTS_DIR).mkdir()
        manifest = {
            # A float16 run is schema 2, so that a Neuron Lens older than the format says so.
            "schema_version": 1 if snapshot_dtype == "float32" else 2, "run_id": run_id, "created": utc_now(),
            "preset": preset, "config": config, "dataset": dataset, "layers": layers,
            "snapshot_dtype": snapshot_dtype,
            "capacity": int(max(capacity, 1)), "snapshots": [], "history": [],
            "status": "running", "best_snapshot": None, "test": None, "error": None,
            "pid": os.getpid(), "host": socket.gethostname(), "heartbeat": utc_now(),
        }
        writer = cls(path, manifest)
        for name in writer.shapes:
            writer._rewrite(name, manifest["capacity"])
        writer.save_manifest()
        return writer

    @classmethod
    def reopen(cls, path) -> "RunWriter":
        """Continue writing an existing run (resume): status back to running, this pid. The
        capacity is read from the files themselves: a compaction may have been cut short."""
        manifest = read_manifest(path)
        writer = cls(Path(path), manifest)
        slotfiles.remove_temporaries(writer.path / WEIGHTS_DIR)
        manifest["capacity"] = min(writer._slots_in(name) for name in writer.shapes)
        if writer.dtype == FLOAT16 and manifest["snapshots"]:
            writer._init = {name: np.load(writer._init_file(name)) for name in writer.shapes}
        manifest.update(status="running", pid=os.getpid(), host=socket.gethostname(), error=None)
        writer.save_manifest()
        return writer

    @property
    def snapshot_count(self) -> int:
        """Snapshots written, listed in the manifest or about to be."""
        return len(self.manifest["snapshots"]) + len(self._uncommitted)

    def _file(self, name: str) -> Path:
        return self.path / WEIGHTS_DIR / f"{name}.npy"

    def _init_file(self, name: str) -> Path:
        return self.path / WEIGHTS_DIR / INIT_DIR / f"{name}.npy"

    def _slots_in(self, name: str) -> int:
        return slotfiles.header(self._file(name))[0][0]

    def _rewrite(self, name: str, slots: int) -> None:
        """Give array `name` room for exactly `slots` snapshots, keeping those written so far."""
        writer = self._slot_writers.pop(name, None)
        if writer is not None:
            writer.close()  # it would go on writing into the replaced file
        slotfiles.rewrite(self._file(name), slots=slots, shape=self.shapes[name], dtype=self.dtype,
                          keep=min(self.snapshot_count, slots))

    def reserve(self, capacity: int) -> None:
        """Make every array file hold at least `capacity` slots (resume regrows a compacted run)."""
        grown = [name for name in self.shapes if self._slots_in(name) < capacity]
        for name in grown:
            self._rewrite(name, capacity)
        if grown:
            slotfiles.sync_folder(self.path / WEIGHTS_DIR)
        self.manifest["capacity"] = min(self._slots_in(name) for name in self.shapes)

    def compact(self) -> None:
        """Shrink every array file to exactly the listed snapshots (a run that has ended): copies,
        tar files and sync tools then carry no preallocated holes. A file at a time, each replaced
        atomically; the manifest's capacity follows with the next manifest write."""
        count = self.snapshot_count
        if not count or self._uncommitted:
            return
        slotfiles.remove_temporaries(self.path / WEIGHTS_DIR)
        for name in self.shapes:
            if self._slots_in(name) != count:
                self._rewrite(name, count)
                self.manifest["capacity"] = count  # no file has fewer slots than the snapshots
        slotfiles.sync_folder(self.path / WEIGHTS_DIR)

    def _slot_writer(self, name: str) -> slotfiles.SlotWriter:
        if name not in self._slot_writers:
            slot_bytes = int(np.prod(self.shapes[name])) * self.dtype.itemsize
            self._slot_writers[name] = slotfiles.SlotWriter(self._file(name), slot_bytes)
        return self._slot_writers[name]

    def _write_slot(self, name: str, index: int, values: np.ndarray) -> None:
        self._slot_writer(name).write(index, values.tobytes())

    def _stored(self, layer: str, array: str, values) -> np.ndarray:
        values = np.asarray(values, dtype=DTYPE)
        if array == "kernel":
            values = values.T  # Keras keeps (fan_in, units); we store one neuron per row.
        name = f"{layer}.{array}"
        if values.shape != self.shapes[name]:
            raise ValueError(f"{name}: expected shape {self.shapes[name]}, got {values.shape}")
        return np.ascontiguousarray(values)

    def _neuron_major(self, weights: dict[str, dict]) -> dict[str, np.ndarray]:
        stored = {f"{layer}.{array}": self._stored(layer, array, values)
                  for layer, arrays in weights.items() for array, values in arrays.items()}
        missing = set(self.shapes) - set(stored)
        if missing:
            raise ValueError(f"snapshot lacks arrays: {', '.join(sorted(missing))}")
        return stored

    def _encoded(self, stored: dict[str, np.ndarray]) -> tuple[dict, dict]:
        """(the slots to write, the float32 values readers will see) of one snapshot."""
        if self.dtype == DTYPE:
            return stored, stored
        pairs = {name: float16_changes.encode(values, self._init[name]) for name, values in stored.items()}
        return {name: pair[0] for name, pair in pairs.items()}, {name: pair[1] for name, pair in pairs.items()}

    def crc32_as_stored(self, weights: dict[str, dict]) -> int:
        """The checksum snapshot `weights` (Keras layout) gets, or got, when stored in this run."""
        return snapshot_crc32(self._encoded(self._neuron_major(weights))[1].__getitem__, self.shapes)

    def _write_init(self, stored: dict[str, np.ndarray]) -> None:
        """A float16 run's initialisation, in float32, flushed before snapshot 0 is listed."""
        (self.path / WEIGHTS_DIR / INIT_DIR).mkdir(exist_ok=True)
        for name, values in stored.items():
            with open(self._init_file(name), "wb") as handle:
                np.save(handle, values)
                handle.flush()
                os.fsync(handle.fileno())
        self._init = {name: values.copy() for name, values in stored.items()}

    def append_snapshot(self, weights: dict[str, dict], *, label: str, epoch: int, step: int,
                        commit: bool = True) -> int:
        """Store one snapshot. `weights[layer][array]` is in Keras layout (kernel: fan_in × units).
        With commit=False it is listed by a later commit() (or finish())."""
        stored = self._neuron_major(weights)
        if self.snapshot_count >= self.manifest["capacity"]:
            self.reserve(2 * self.manifest["capacity"])
        index = self.snapshot_count
        if self.dtype != DTYPE and index == 0:
            self._write_init(stored)
        slots, as_read = self._encoded(stored)
        for name, values in slots.items():
            self._write_slot(name, index, values)
        crc = snapshot_crc32(as_read.__getitem__, as_read)
        self._uncommitted.append(
            {"index": index, "label": label, "epoch": int(epoch), "step": int(step), "crc32": crc})
        if commit:
            self.commit()
        return index

    def commit(self) -> None:
        """Flush the slots written since the last commit to disk, then list their snapshots."""
        if not self._uncommitted:
            return
        for writer in self._slot_writers.values():
            writer.sync()
        self.manifest["snapshots"].extend(self._uncommitted)
        self._uncommitted = []
        self.save_manifest()

    def truncate(self, count: int) -> None:
        """Forget every snapshot from `count` on (resume starts again after the last whole epoch)."""
        self.commit()
        self.manifest["snapshots"] = self.manifest["snapshots"][:count]
        self.save_manifest()

    def record_epoch(self, row: dict) -> None:
        self.manifest["history"].append({key: _plain(value) for key, value in row.items()})
        self.save_manifest()

    def set_best_snapshot(self, index: int | None) -> None:
        self.manifest["best_snapshot"] = None if index is None else int(index)
        self.save_manifest()

    def write_probe(self, images: np.ndarray, labels: np.ndarray) -> None:
        images = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
        np.savez(self.path / PROBE_FILE, images=images, labels=np.asarray(labels, dtype=np.uint8))

    def write_live_pixels(self, mask: np.ndarray) -> None:
        np.save(self.path / LIVE_PIXELS_FILE, np.asarray(mask, dtype=bool).reshape(28, 28))

    def heartbeat(self, min_interval: float = 5.0) -> None:
        """Refresh the heartbeat (listing any snapshot written meanwhile), at most once every
        `min_interval` seconds."""
        if time.monotonic() - self._last_heartbeat >= min_interval:
            self.commit()
            self.save_manifest()

    def finish(self, status: str, *, test: dict | None = None, error: str | None = None) -> None:
        """Record how the run ended. A run that has ended is compacted first, as far as the disk
        allows: a compaction cut short leaves a run as readable as a whole one."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.commit()
        if status != "running":
            try:
                self.compact()
            except OSError:
                pass  # e.g. a full disk: the run keeps its preallocated files
        self.manifest.update(status=status, error=error)
        if test is not None:
            self.manifest["test"] = {key: _plain(value) for key, value in test.items()}
        self.save_manifest()

    def save_manifest(self) -> None:
        self.manifest["heartbeat"] = utc_now()
        self._last_heartbeat = time.monotonic()
        write_json_atomic(self.path / MANIFEST, self.manifest)


def _plain(value):
    """numpy scalars to JSON-friendly Python values."""
    return value.item() if isinstance(value, np.generic) else value


REQUIRED_KEYS = {"schema_version": int, "run_id": str, "layers": list, "snapshots": list,
                 "history": list, "status": str, "capacity": int}


def read_manifest(path) -> dict:
    """Parse and sanity-check a run's manifest; raise BrokenRun with a reason if it is unusable."""
    path = Path(path)
    try:
        text = (path / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BrokenRun("no manifest.json") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BrokenRun(f"manifest.json unreadable: {error}") from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise BrokenRun(f"manifest.json is not valid JSON ({error.msg}, line {error.lineno})") from None
    _check_manifest(manifest)
    return manifest


def _check_manifest(manifest) -> None:
    if not isinstance(manifest, dict):
        raise BrokenRun("manifest.json is not a JSON object")
    for key, kind in REQUIRED_KEYS.items():
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise BrokenRun(f"manifest.json: '{key}' missing or not a {kind.__name__}")
    if manifest["schema_version"] > SCHEMA_VERSION:
        raise BrokenRun(f"made by a newer Neuron Lens (schema {manifest['schema_version']}, "
                        f"this one reads up to {SCHEMA_VERSION}); upgrade to open it")
    if manifest["status"] not in STATUSES:
        raise BrokenRun(f"manifest.json: unknown status {manifest['status']!r}")
    for key in ("config", "dataset", "test"):
        if not isinstance(manifest.get(key), (dict, type(None))):
            raise BrokenRun(f"manifest.json: '{key}' is not an object")
    _check_layers(manifest["layers"])
    stored_dtype(manifest)
    _check_snapshots(manifest)
    for row in manifest["history"]:
        if not isinstance(row, dict):
            raise BrokenRun("manifest.json: a history row is not an object")


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_layers(layers: list) -> None:
    names = set()
    for position, layer in enumerate(layers):
        if not isinstance(layer, dict) or layer.get("kind") not in ARRAYS_BY_KIND:
            raise BrokenRun(f"manifest.json: layer {position} has no known kind")
        name = layer.get("name")
        # Layer names become file names: they must be as safe as run ids.
        if not isinstance(name, str) or not RUN_ID_PATTERN.fullmatch(name) or name in names \
                or set(name) == {"."}:
            raise BrokenRun(f"manifest.json: layer {position} has an invalid or repeated name")
        names.add(name)
        needed = {"dense": ("units", "fan_in"), "batchnorm": ("units",), "dropout": ()}[layer["kind"]]
        if not all(_is_count(layer.get(key)) for key in needed):
            raise BrokenRun(f"manifest.json: layer {name} lacks a positive {' / '.join(needed)}")
    if not any(layer["kind"] == "dense" for layer in layers):
        raise BrokenRun("manifest.json: the model has no dense layer")


def _check_snapshots(manifest: dict) -> None:
    if not _is_count(manifest["capacity"]):
        raise BrokenRun("manifest.json: capacity is not a positive integer")
    snapshots = manifest["snapshots"]
    for position, snapshot in enumerate(snapshots):
        if not isinstance(snapshot, dict) or snapshot.get("index") != position \
                or not isinstance(snapshot.get("label"), str) \
                or not isinstance(snapshot.get("crc32", 0), int):
            raise BrokenRun(f"manifest.json: snapshot {position} is malformed")
    if len(snapshots) > manifest["capacity"]:
        raise BrokenRun("manifest.json lists more snapshots than the arrays can hold")
    best = manifest.get("best_snapshot")
    if best is not None and not (isinstance(best, int) and 0 <= best < len(snapshots)):
        raise BrokenRun(f"manifest.json: best snapshot {best!r} is not one of the snapshots")


def process_alive(pid) -> bool:
    """Whether `pid` is a live process on this machine."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def effective_status(manifest: dict, now: float | None = None) -> str:
    """The manifest's status, except that a 'running' run whose writer is gone is 'interrupted'.

    Gone means: its heartbeat went stale, or it was written on this machine by a process that no
    longer exists (a kill -9 shows at once, not a minute later).
    """
    if manifest["status"] != "running":
        return manifest["status"]
    if manifest.get("host") == socket.gethostname() and not process_alive(manifest.get("pid")):
        return "interrupted"
    try:
        beat = datetime.fromisoformat(str(manifest.get("heartbeat")).replace("Z", "+00:00"))
    except ValueError:
        return "interrupted"
    age = (now if now is not None else time.time()) - beat.timestamp()
    return "interrupted" if age > HEARTBEAT_STALE_SECONDS else "running"


def finished_best(manifest: dict, status: str) -> int | None:
    """The best snapshot of a finished run (the weights it ended with: early stopping's pick, else
    its last); None while it trains, since early stopping may still move it."""
    best = manifest.get("best_snapshot")
    count = len(manifest["snapshots"])
    if status == "running" or not count:
        return None
    return best if isinstance(best, int) and 0 <= best < count else count - 1


def opening_snapshot(manifest: dict, status: str) -> int | None:
    """The snapshot a run opens on, the one rule every view and `snapshot=None` follow: a finished
    run's best, a live run's newest (so a view follows training); None while there is none."""
    best = finished_best(manifest, status)
    if best is not None:
        return best
    return len(manifest["snapshots"]) - 1 if manifest["snapshots"] else None


# What numpy raises on a damaged .npy or .npz: I/O errors, truncated data (EOFError, ValueError),
# a mangled header (SyntaxError, tokenize.TokenError from its header parser), a broken zip.
UNREADABLE_ARRAY_ERRORS = (OSError, EOFError, ValueError, SyntaxError, tokenize.TokenError, zipfile.BadZipFile)


def open_arrays(path, manifest: dict) -> dict[str, np.memmap]:
    """Memory-map every array read-only, checking dtype and shape against the manifest. A float16
    run's arrays come as float16_changes.ChangesFromInit, which read like float32 maps."""
    dtype, count = stored_dtype(manifest), len(manifest["snapshots"])
    arrays = {}
    for name, shape in array_shapes(manifest["layers"]).items():
        array = _open_map(Path(path) / WEIGHTS_DIR, f"{name}.npy")
        if array.dtype != dtype or array.shape[1:] != shape or array.shape[0] < count:
            raise BrokenRun(f"weights/{name}.npy has shape {array.shape} {array.dtype}, "
                            f"expected (≥{count}, {', '.join(map(str, shape))}) {dtype.name}")
        if dtype == FLOAT16 and count:
            init = _open_map(Path(path) / WEIGHTS_DIR, f"{INIT_DIR}/{name}.npy")
            if init.dtype != DTYPE or init.shape != shape:
                raise BrokenRun(f"weights/{INIT_DIR}/{name}.npy has shape {init.shape} {init.dtype}, "
                                f"expected ({', '.join(map(str, shape))}) float32")
            array = float16_changes.ChangesFromInit(init, array)
        arrays[name] = array
    return arrays


def _open_map(folder: Path, name: str) -> np.memmap:
    try:
        return np.lib.format.open_memmap(folder / name, mode="r")
    except FileNotFoundError:
        raise BrokenRun(f"missing array weights/{name}") from None
    except UNREADABLE_ARRAY_ERRORS as error:
        raise BrokenRun(f"weights/{name} unreadable ({error})") from None


def read_probe(path) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """((images uint8 (N, 28, 28), labels (N,)), live-pixel mask (28, 28)), read-only; BrokenRun if unusable."""
    path = Path(path)
    try:
        with np.load(path / PROBE_FILE) as probe:
            images, labels = probe["images"], probe["labels"]
        live = np.load(path / LIVE_PIXELS_FILE)
    except FileNotFoundError as error:
        raise BrokenRun(f"missing {Path(error.filename).name}") from None
    except (*UNREADABLE_ARRAY_ERRORS, KeyError) as error:
        raise BrokenRun(f"probe set or live-pixel mask unreadable ({error})") from None
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
        raise BrokenRun(f"probe.npz holds images {images.shape} {images.dtype} and labels "
                        f"{labels.shape}; expected (N, 28, 28) uint8 and (N,)")
    if live.shape != (28, 28) or live.dtype != bool:
        raise BrokenRun(f"live_pixels.npy is {live.shape} {live.dtype}, expected (28, 28) bool")
    labels = labels.astype(np.int64)
    for array in (images, labels, live):
        array.setflags(write=False)
    return (images, labels), live


def verify_snapshot(arrays: dict[str, np.ndarray], manifest: dict, index: int) -> None:
    """Raise BrokenRun if snapshot `index` does not match its checksum, holds NaN/inf or a negative variance."""
    expected = manifest["snapshots"][index].get("crc32")
    if expected is not None and snapshot_crc32(lambda name: arrays[name][index], arrays) != expected:
        raise BrokenRun(f"snapshot {index} does not match its checksum (torn or corrupted write)")
    for name, array in arrays.items():
        if not np.isfinite(array[index]).all():
            raise BrokenRun(f"snapshot {index}: {name} holds NaN or infinite values")
        if name.endswith(".moving_variance") and (array[index] < 0).any():
            raise BrokenRun(f"snapshot {index}: {name} holds a negative variance")


@dataclass(frozen=True)
class RunSummary:
    """One line of the run list; `broken` is None or the reason the run cannot be opened."""
    run_id: str
    path: Path
    status: str
    preset: str = ""
    dataset: str = ""
    epochs: int = 0
    snapshots: int = 0
    test_accuracy: float | None = None
    created: str = ""
    broken: str | None = None
    sweep: str = ""


def check_run(path) -> RunSummary:
    """Summarise a run folder, reading only the manifest, array headers and the newest snapshot."""
    path = Path(path)
    try:
        manifest = read_manifest(path)
        arrays = open_arrays(path, manifest)
        if manifest["snapshots"]:
            verify_snapshot(arrays, manifest, len(manifest["snapshots"]) - 1)
    except BrokenRun as error:
        return RunSummary(run_id=path.name, path=path, status="broken", broken=str(error))
    test = manifest.get("test") or {}
    dataset = manifest.get("dataset") or {}
    return RunSummary(
        run_id=path.name, path=path, status=effective_status(manifest),
        preset=str(manifest.get("preset", "")), dataset=dataset_label(dataset),
        epochs=len(manifest["history"]), snapshots=len(manifest["snapshots"]),
        test_accuracy=test.get("accuracy"), created=str(manifest.get("created", "")),
        sweep=sweep_of(manifest))


def sweep_of(manifest: dict) -> str:
    """The sweep that made the run (`config.sweep`, see neurons.sweeps), or "" for a run of its own."""
    sweep = (manifest.get("config") or {}).get("sweep")
    return sweep if isinstance(sweep, str) else ""


def dataset_label(dataset: dict) -> str:
    """The dataset's name, marked when `--dataset auto` fell back to the offline sample."""
    return str(dataset.get("name", "")) + (" (auto: MNIST unreachable)" if dataset.get("fallback") else "")


def list_runs(data_dir) -> list[RunSummary]:
    """Every run folder under data_dir/runs, newest first; broken ones included with their reason."""
    folder = runs_dir(data_dir)
    if not folder.is_dir():
        return []
    entries = [entry for entry in folder.iterdir()
               if entry.is_dir() and RUN_ID_PATTERN.fullmatch(entry.name) and not entry.name.startswith(".")]
    summaries = [check_run(entry) for entry in entries]
    return sorted(summaries, key=lambda run: (run.created or "", run.run_id), reverse=True)

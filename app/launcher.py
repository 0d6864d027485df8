"""Starts the trainer as a separate background process, at most one at a time.

The command is an argument list run without a shell, built only from validated values. A lock
file in the runs folder (created with O_EXCL, holding the trainer's pid) keeps the limit across
the worker processes of one server; a lock whose process is gone is cleared.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from neurons.runformat import runs_dir, validate_run_id

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCK_FILE = ".training.pid"
LOG_DIR = "logs"
PRESETS = ("final", "relu", "sigmoid", "dropout", "l1", "l1-dropout", "binary01")
DATASETS = ("sample", "mnist", "auto")
EPOCH_RANGE = (1, 30)
SEED_RANGE = (0, 999_999)


class TrainingRefused(Exception):
    """Training cannot start; str(error) says why, fit to show a user."""


@dataclass(frozen=True)
class TrainingRequest:
    preset: str
    dataset: str
    epochs: int
    seed: int

    @classmethod
    def checked(cls, preset, dataset, epochs, seed) -> "TrainingRequest":
        """Validate raw form values; TrainingRefused names the first bad one."""
        if preset not in PRESETS:
            raise TrainingRefused(f"Choose a preset: {', '.join(PRESETS)}.")
        if dataset not in DATASETS:
            raise TrainingRefused(f"Choose a dataset: {', '.join(DATASETS)}.")
        return cls(preset, dataset, bounded("Epochs", epochs, EPOCH_RANGE),
                   bounded("Seed", seed, SEED_RANGE))

    def run_id(self, now: float | None = None) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
        return validate_run_id(f"{self.preset}-{self.dataset}-s{self.seed}-{stamp}")

    def command(self, data_dir: Path, run_id: str) -> list[str]:
        return [sys.executable, "-m", "trainer", "train", "--preset", self.preset,
                "--dataset", self.dataset, "--epochs", str(self.epochs), "--seed", str(self.seed),
                "--data-dir", str(data_dir), "--run-id", run_id]


def bounded(name: str, value, limits: tuple[int, int]) -> int:
    low, high = limits
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise TrainingRefused(f"{name} must be a whole number from {low} to {high}.")
    return value


class Launcher:
    """The one training process this data folder may have, started on request."""

    def __init__(self, data_dir, *, enabled: bool):
        self.data_dir = Path(data_dir).resolve()
        self.enabled = enabled
        # Beside the runs (a dot file, so no listing takes it for one): the page then reads nothing
        # outside DATA_DIR/runs.
        self.lock_path = runs_dir(self.data_dir) / LOCK_FILE
        self._lock = threading.Lock()

    def current_pid(self) -> int | None:
        """The pid of the training process started from the page, if it still runs."""
        try:
            pid = int(self.lock_path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid > 0 and psutil.pid_exists(pid) else None

    def busy(self) -> bool:
        return self.current_pid() is not None

    def start(self, request: TrainingRequest) -> str:
        """Start training; return the new run's id, or raise TrainingRefused."""
        if not self.enabled:
            raise TrainingRefused("Training from the page is turned off on this server.")
        with self._lock:
            if self.busy():
                raise TrainingRefused("A training run started here is still going; "
                                      "wait for it to finish.")
            self.lock_path.unlink(missing_ok=True)
            run_id = request.run_id()
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                raise TrainingRefused("Another training run is starting; try again shortly.") from None
            try:
                process = self._spawn(request.command(self.data_dir, run_id), run_id)
                os.write(descriptor, str(process.pid).encode())
            except OSError as error:
                self.lock_path.unlink(missing_ok=True)
                raise TrainingRefused(f"The trainer could not be started: {error.strerror}") from None
            finally:
                os.close(descriptor)
        threading.Thread(target=self._reap, args=(process,), daemon=True).start()
        return run_id

    def _spawn(self, command: list[str], run_id: str) -> subprocess.Popen:
        logs = self.data_dir / LOG_DIR
        logs.mkdir(exist_ok=True)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                            os.environ.get("PYTHONPATH")])))
        with open(logs / f"{run_id}.log", "wb") as log:
            return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _reap(self, process: subprocess.Popen) -> None:
        """Wait for the trainer so it leaves no zombie, then free the lock it held."""
        process.wait()
        try:
            if int(self.lock_path.read_text().strip()) == process.pid:
                self.lock_path.unlink()
        except (OSError, ValueError):
            pass

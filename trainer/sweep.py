"""`python -m trainer sweep`: every preset × seed as an ordinary run, each in its own child process.

Each run is `python -m trainer train --sweep SWEEP_ID …` (or `resume` on a re-run), so a crash
in one leaves the others going. The children live in their own sessions: a Ctrl-C at the
terminal reaches only the sweep, which sends each child one SIGTERM (a second Ctrl-C, SIGKILL)
and waits while each records itself `interrupted`. The same command again finds the same sweep
(its id comes from its settings): completed runs are skipped, interrupted and failed ones resumed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from neurons.runformat import (BrokenRun, effective_status, process_alive, read_manifest, run_path,
                               sweep_of, utc_now, validate_run_id)
from neurons.sweeps import SWEEP_SCHEMA_VERSION, read_sweep, sweep_path, write_sweep
from trainer import data, presets

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.25


def add_parser(commands, common: argparse.ArgumentParser) -> None:
    from trainer.cli import bounded, checked
    parser = commands.add_parser(
        "sweep", parents=[common], help="train every preset × seed, each as an ordinary run",
        description="Train every combination of --presets and --seeds as an ordinary run tagged with the "
                    "sweep's id, up to --parallel at a time, each in its own process. Run the same command "
                    "again to resume an interrupted or failed sweep: completed runs are skipped.")
    parser.add_argument("--presets", type=name_list(presets.PRESETS), required=True,
                        help=f"comma-separated presets, e.g. relu,dropout,l1 (of: {', '.join(presets.PRESETS)})")
    parser.add_argument("--seeds", type=seed_list, required=True, help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--dataset", choices=data.DATASETS, default="sample",
                        help="as for train (default: sample)")
    parser.add_argument("--epochs", type=bounded(int, 1, presets.MAX_EPOCHS),
                        help="maximum epochs of every run (default: the preset's, with early stopping)")
    parser.add_argument("--parallel", type=bounded(int, 1, 1_024), default=1,
                        help="runs trained at once, at most the number of cores (default 1)")
    parser.add_argument("--sweep-id", type=checked(validate_run_id),
                        help="default: 'sweep-' and a hash of presets, seeds, dataset and epochs, "
                             "so the same command finds the same sweep")
    parser.set_defaults(command=run_sweep_command, parser=parser)


def name_list(known):
    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",")]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown preset {unknown[0]!r} (choose from {', '.join(known)})")
        return unique(names)
    return parse


def seed_list(text: str) -> list[int]:
    from trainer.cli import bounded
    return unique([bounded(int, 0, 2**31 - 1)(part.strip()) for part in text.split(",")])


def unique(values: list) -> list:
    repeated = sorted({str(value) for value in values if values.count(value) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"{repeated[0]} is listed twice")
    return values


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Plan:
    sweep_id: str
    settings: dict
    data_dir: Path

    @classmethod
    def from_args(cls, args) -> "Plan":
        settings = {"presets": args.presets, "seeds": args.seeds, "dataset": args.dataset, "epochs": args.epochs}
        sweep_id = args.sweep_id or f"sweep-{hashlib.sha1(identity(settings).encode()).hexdigest()[:8]}"
        plan = cls(sweep_id, settings, Path(args.data_dir).resolve())
        for run_id in plan.run_ids():
            validate_run_id(run_id)  # a long --sweep-id can make a run id too long
        return plan

    def runs(self) -> list[tuple[str, str, int]]:
        """(run id, preset, seed) for every combination, preset-major."""
        return [(f"{self.sweep_id}-{preset}-s{seed}", preset, seed)
                for preset in self.settings["presets"] for seed in self.settings["seeds"]]

    def run_ids(self) -> list[str]:
        return [run_id for run_id, _, _ in self.runs()]

    def train_command(self, run_id: str, preset: str, seed: int) -> list[str]:
        command = [sys.executable, "-m", "trainer", "train", "--data-dir", str(self.data_dir), "--preset", preset,
                   "--seed", str(seed), "--run-id", run_id, "--sweep", self.sweep_id,
                   "--dataset", self.settings["dataset"]]
        return command + (["--epochs", str(self.settings["epochs"])] if self.settings["epochs"] else [])

    def resume_command(self, run_id: str) -> list[str]:
        return [sys.executable, "-m", "trainer", "resume", "--data-dir", str(self.data_dir), run_id]


def identity(settings: dict) -> str:
    """What makes two sweeps the same: their runs, whatever order presets and seeds were listed in."""
    return json.dumps({**settings, "presets": sorted(settings["presets"]), "seeds": sorted(settings["seeds"])},
                      sort_keys=True)


def run_sweep_command(args) -> int:
    if args.parallel > cores():
        args.parser.error(f"--parallel {args.parallel} is more than the {cores()} cores of this machine; "
                          f"runs on one core each already keep it busy")
    try:
        plan = Plan.from_args(args)
    except ValueError as error:
        args.parser.error(f"--sweep-id is too long for its run ids: {error}")
    existing = read_sweep(plan.data_dir, plan.sweep_id)
    if existing and identity(existing["settings"]) != identity(plan.settings):
        args.parser.error(f"sweep {plan.sweep_id} exists with other settings ({describe(existing['settings'])}); "
                          f"repeat those or choose another --sweep-id")
    if existing:  # listed as first made, whatever the order this time
        plan = Plan(plan.sweep_id, existing["settings"], plan.data_dir)
    if existing and existing.get("host") == socket.gethostname() and existing.get("status") == "running" \
            and process_alive(existing.get("pid")) and existing.get("pid") != os.getpid():
        print(f"python -m trainer: error: sweep {plan.sweep_id} is being run by process {existing['pid']}",
              file=sys.stderr)
        return 1
    return Sweep(plan, args.parallel, existing).run()


def describe(settings: dict) -> str:
    epochs = settings.get("epochs") or "preset"
    return (f"presets {','.join(settings['presets'])}, seeds {','.join(map(str, settings['seeds']))}, "
            f"dataset {settings['dataset']}, epochs {epochs}")


class Sweep:
    """The sweep's main loop: starts children up to `parallel`, records each run's state as it ends."""

    def __init__(self, plan: Plan, parallel: int, existing: dict | None):
        self.plan = plan
        self.parallel = parallel
        self.folder = sweep_path(plan.data_dir, plan.sweep_id)
        self.manifest = {
            "schema_version": SWEEP_SCHEMA_VERSION, "sweep_id": plan.sweep_id,
            "created": (existing or {}).get("created") or utc_now(), "settings": plan.settings,
            "status": "running", "pid": os.getpid(), "host": socket.gethostname(),
            "runs": [{"run_id": run_id, "preset": preset, "seed": seed, "state": "pending", "error": None}
                     for run_id, preset, seed in plan.runs()],
        }
        self.entries = {entry["run_id"]: entry for entry in self.manifest["runs"]}
        self.children: dict[str, tuple[subprocess.Popen, float]] = {}
        self.signals = 0
        self.signalled = threading.Event()

    def run(self) -> int:
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            queue = self._prepare()
            print(f"sweep {self.plan.sweep_id}: {len(self.entries)} runs ({describe(self.plan.settings)}), "
                  f"{len(queue)} to train, {self.parallel} at a time; manifest and logs in {self.folder}", flush=True)
            self._save()
            while (queue or self.children) and not self.signalled.is_set():
                while queue and len(self.children) < self.parallel and not self.signalled.is_set():
                    self._start(*queue.pop(0))
                self.signalled.wait(POLL_SECONDS)
                self._reap()
            if self.signalled.is_set():
                self._stop_children()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self._finish()

    def _on_signal(self, signum, frame):
        self.signals += 1
        self.signalled.set()
        if self.signals > 1:
            for process, _ in self.children.values():
                process.kill()

    def _prepare(self) -> list[tuple[str, list[str]]]:
        """Each run's state from its own folder; the (run id, command) of those still to train."""
        queue = []
        for run_id, preset, seed in self.plan.runs():
            entry = self.entries[run_id]
            path = run_path(self.plan.data_dir, run_id)
            if not path.exists():
                queue.append((run_id, self.plan.train_command(run_id, preset, seed)))
                continue
            try:
                manifest = read_manifest(path)
            except BrokenRun as error:
                entry.update(state="failed", error=f"cannot be read: {error}")
                continue
            status = effective_status(manifest)
            if sweep_of(manifest) != self.plan.sweep_id:
                entry.update(state="failed", error="a run of this id exists and is not part of this sweep")
            elif status in ("completed", "running"):
                entry["state"] = status  # a running one belongs to a process left from an earlier sweep
            elif any(snapshot["step"] == 0 and snapshot["epoch"] > 0 for snapshot in manifest["snapshots"]):
                queue.append((run_id, self.plan.resume_command(run_id)))
            else:  # stopped before its first epoch ended: nothing to resume from
                shutil.rmtree(path)
                queue.append((run_id, self.plan.train_command(run_id, preset, seed)))
        return queue

    def _start(self, run_id: str, command: list[str]) -> None:
        log = self.folder / f"{run_id}.log"
        environment = {**self.thread_share(), **os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
        with open(log, "ab") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=environment, start_new_session=True)
        self.children[run_id] = (process, time.monotonic())
        self.entries[run_id].update(state="running", error=None)
        self._save()
        verb = "resuming" if command[3] == "resume" else "training"
        print(f"{verb} {run_id}", flush=True)

    def thread_share(self) -> dict[str, str]:
        """TensorFlow's threads per child: the cores shared out, so that N children do not each
        start a thread per core and fight over them (variables already set are left alone)."""
        if self.parallel == 1:
            return {}
        share = str(max(1, cores() // self.parallel))
        return {"TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": share}

    def _reap(self) -> None:
        for run_id, (process, started) in list(self.children.items()):
            if process.poll() is None:
                continue
            del self.children[run_id]
            self._record(run_id, process.returncode, time.monotonic() - started)

    def _record(self, run_id: str, returncode: int, seconds: float) -> None:
        entry = self.entries[run_id]
        try:
            manifest = read_manifest(run_path(self.plan.data_dir, run_id))
            state = effective_status(manifest)
            accuracy = (manifest.get("test") or {}).get("accuracy")
        except BrokenRun:
            manifest, state, accuracy = None, "failed", None
        if state == "running":  # its process is gone, so it was killed before it could say so
            state = "interrupted"
        entry.update(state=state, error=None if state in ("completed", "interrupted") else self._why(run_id, manifest))
        self._save()
        done = sum(entry["state"] == "completed" for entry in self.manifest["runs"])
        result = f"test accuracy {accuracy:.4f}" if state == "completed" and accuracy is not None else (
            entry["error"] or f"exit status {returncode}")
        print(f"[{done}/{len(self.entries)} completed] {run_id}: {state}, {result} "
              f"({seconds:.0f} s)", flush=True)

    def _why(self, run_id: str, manifest: dict | None) -> str:
        if manifest and manifest.get("error"):
            return str(manifest["error"])
        lines = (self.folder / f"{run_id}.log").read_text(errors="replace").strip().splitlines()
        return (lines[-1] if lines else "it ended without a word") + f" (log: {self.folder / (run_id + '.log')})"

    def _stop_children(self) -> None:
        print(f"stopping {len(self.children)} runs; each keeps its snapshots and is marked interrupted "
              f"(Ctrl-C again to kill them at once)", flush=True)
        for process, _ in self.children.values():
            process.send_signal(signal.SIGTERM)
        while self.children:
            time.sleep(POLL_SECONDS)
            self._reap()

    def _finish(self) -> int:
        states = [entry["state"] for entry in self.manifest["runs"]]
        if self.signalled.is_set():
            status, exit_status = "interrupted", 130
        elif all(state == "completed" for state in states):
            status, exit_status = "completed", 0
        else:
            status, exit_status = "failed", 1
        self.manifest["status"] = status
        self._save()
        counts = {state: states.count(state) for state in dict.fromkeys(states)}
        print(f"sweep {self.plan.sweep_id} {status}: " + ", ".join(f"{n} {state}" for state, n in counts.items())
              + ("" if status == "completed" else "; run the same command again to resume it"), flush=True)
        return exit_status

    def _save(self) -> None:
        write_sweep(self.plan.data_dir, self.manifest)

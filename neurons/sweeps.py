"""Sweeps: many ordinary runs made by one `python -m trainer sweep`, and their small manifest.

A run belongs to a sweep when its manifest's `config.sweep` names it. The sweep keeps its own
manifest, DATA_DIR/sweeps/SWEEP_ID/manifest.json (written atomically, like a run's), listing its
runs and the state each was last seen in; the run's own manifest stays the authority on the run.
See docs/run-format.md.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from neurons.runformat import MANIFEST, STATUSES, utc_now, validate_run_id, write_json_atomic

SWEEP_SCHEMA_VERSION = 1
RUN_STATES = ("pending", "running", "completed", "interrupted", "failed")


def sweep_path(data_dir: str | os.PathLike, sweep_id: str) -> Path:
    """The folder of sweep_id (its manifest and the runs' logs); never outside data_dir/sweeps."""
    return Path(data_dir) / "sweeps" / validate_run_id(sweep_id)


def read_sweep(data_dir, sweep_id: str) -> dict | None:
    """The sweep's manifest, or None if the sweep was never started."""
    try:
        return json.loads((sweep_path(data_dir, sweep_id) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write_sweep(data_dir, manifest: dict) -> None:
    folder = sweep_path(data_dir, manifest["sweep_id"])
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / MANIFEST, {**manifest, "updated": utc_now()})


def group_by_sweep(summaries: list) -> list[tuple[str | None, list]]:
    """Runs (RunSummary, in list order) as groups: each sweep's runs together, in run-id order, where
    its newest run stands; a run of no sweep is a group of its own with sweep None."""
    groups: list[tuple[str | None, list]] = []
    members: dict[str, list] = {}
    for summary in summaries:
        if not summary.sweep:
            groups.append((None, [summary]))
        elif summary.sweep in members:
            members[summary.sweep].append(summary)
        else:
            members[summary.sweep] = [summary]
            groups.append((summary.sweep, members[summary.sweep]))
    for runs in members.values():
        runs.sort(key=lambda run: run.run_id)
    return groups


def state_counts(runs: list) -> str:
    """'3 completed · 1 interrupted': how many of `runs` (RunSummary) are in each status."""
    order = [*STATUSES, "broken"]
    statuses = sorted((run.status for run in runs), key=lambda status: order.index(status) if status in order else len(order))
    return " · ".join(f"{statuses.count(status)} {status}" for status in dict.fromkeys(statuses))

"""The run folder contract: writing, reading, listing, and refusing broken folders with a reason."""
import json
import multiprocessing
import os
import time

import numpy as np
import pytest

from tests.helpers.runs import dense_layers, random_weights, write_synthetic_run
from neurons.runformat import (
    BrokenRun, RunWriter, check_run, effective_status, finished_best, list_runs, open_arrays,
    opening_snapshot, read_manifest, run_path, validate_run_id, verify_snapshot,
)


def test_round_trip_stores_kernels_neuron_major(tmp_path):
    layers = dense_layers((5,), batchnorm=True)
    writer = RunWriter.create(tmp_path / "run", run_id="run", preset="t", config={}, dataset={},
                              layers=layers, capacity=3)
    weights = random_weights(layers, np.random.default_rng(1))
    writer.append_snapshot(weights, label="init", epoch=0, step=0)

    arrays = open_arrays(writer.path, read_manifest(writer.path))

    assert arrays["dense_1.kernel"].shape == (3, 5, 784)
    np.testing.assert_allclose(arrays["dense_1.kernel"][0, 2], weights["dense_1"]["kernel"][:, 2],
                               rtol=1e-6)
    np.testing.assert_allclose(arrays["batchnorm_1.moving_variance"][0],
                               weights["batchnorm_1"]["moving_variance"], rtol=1e-6)


def test_capacity_grows_and_keeps_earlier_snapshots(tmp_path):
    layers = dense_layers((4,), batchnorm=False)
    writer = RunWriter.create(tmp_path / "run", run_id="run", preset="t", config={}, dataset={},
                              layers=layers, capacity=1)
    rng = np.random.default_rng(0)
    written = [random_weights(layers, rng) for _ in range(5)]
    for index, weights in enumerate(written):
        writer.append_snapshot(weights, label=f"epoch {index}", epoch=index, step=0)

    manifest = read_manifest(writer.path)
    arrays = open_arrays(writer.path, manifest)

    assert manifest["capacity"] >= 5
    for index, weights in enumerate(written):
        verify_snapshot(arrays, manifest, index)
        np.testing.assert_allclose(arrays["output.bias"][index], weights["output"]["bias"], rtol=1e-6)


def test_wrong_shape_is_refused_before_anything_is_written(tmp_path):
    layers = dense_layers((4,), batchnorm=False)
    writer = RunWriter.create(tmp_path / "run", run_id="run", preset="t", config={}, dataset={},
                              layers=layers, capacity=2)
    weights = random_weights(layers, np.random.default_rng(0))
    weights["dense_1"]["kernel"] = weights["dense_1"]["kernel"].T

    with pytest.raises(ValueError, match="dense_1.kernel"):
        writer.append_snapshot(weights, label="init", epoch=0, step=0)
    assert read_manifest(writer.path)["snapshots"] == []


@pytest.mark.parametrize("run_id", ["..", ".", "a/b", "/etc", "%2e%2e", "a" * 101, "", "ü", None, 3])
def test_unsafe_run_ids_are_rejected(tmp_path, run_id):
    with pytest.raises(ValueError, match="invalid run id"):
        run_path(tmp_path, run_id)


def test_safe_run_id_passes():
    assert validate_run_id("2026-11-26T22.14_final") == "2026-11-26T22.14_final"


def _break(path, how):
    manifest_file = path / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    if how == "truncated array":
        kernel = path / "weights" / "dense_1.kernel.npy"
        kernel.write_bytes(kernel.read_bytes()[:1000])
    elif how == "half-written json":
        manifest_file.write_text(manifest_file.read_text()[:200])
    elif how == "missing array":
        (path / "weights" / "output.bias.npy").unlink()
    elif how == "wrong shape":
        np.save(path / "weights" / "dense_1.bias.npy", np.zeros((4, 3), np.float32))
    elif how == "nan weights":  # training diverged: the trainer itself wrote NaN
        writer = RunWriter.reopen(path)
        weights = random_weights(manifest["layers"], np.random.default_rng(0))
        weights["output"]["kernel"][0, 0] = np.nan
        writer.append_snapshot(weights, label="epoch 9", epoch=9, step=0)
        writer.finish("failed", error="loss became NaN")
    elif how == "negative variance":
        writer = RunWriter.reopen(path)
        weights = random_weights(manifest["layers"], np.random.default_rng(0))
        weights["batchnorm_1"]["moving_variance"][0] = -0.5
        writer.append_snapshot(weights, label="epoch 9", epoch=9, step=0)
    elif how == "newer schema":
        manifest["schema_version"] = 99
        manifest_file.write_text(json.dumps(manifest))
    elif how == "corrupted bytes":
        kernel = np.load(path / "weights" / "dense_1.kernel.npy", mmap_mode="r+")
        kernel[len(manifest["snapshots"]) - 1, 0, 0] += 1.0
        kernel.flush()
    elif how == "not an object":
        manifest_file.write_text("[1, 2]")


@pytest.mark.parametrize("how, reason", [
    ("truncated array", "dense_1.kernel"),
    ("half-written json", "not valid JSON"),
    ("missing array", "missing array weights/output.bias.npy"),
    ("wrong shape", "dense_1.bias.npy has shape"),
    ("nan weights", "NaN"),
    ("negative variance", "negative variance"),
    ("newer schema", "newer Neuron Lens"),
    ("corrupted bytes", "checksum"),
    ("not an object", "not a JSON object"),
])
def test_broken_run_is_listed_with_its_reason_beside_healthy_ones(tmp_path, how, reason):
    write_synthetic_run(tmp_path, "healthy", units=(4,), snapshots=2)
    broken = write_synthetic_run(tmp_path, "broken", units=(4,), snapshots=2)
    _break(broken, how)

    runs = {run.run_id: run for run in list_runs(tmp_path)}

    assert runs["healthy"].broken is None and runs["healthy"].status == "completed"
    assert runs["broken"].status == "broken"
    assert reason in runs["broken"].broken


def test_stale_heartbeat_reads_as_interrupted(tmp_path):
    path = write_synthetic_run(tmp_path, "live", units=(4,), snapshots=2, status="running")
    manifest = read_manifest(path)
    beat = time.time()

    assert effective_status(manifest, now=beat) == "running"
    assert effective_status(manifest, now=beat + 3600) == "interrupted"
    assert check_run(path).status == "running"


def _append_snapshots(path, count, seed, start):
    start.wait()
    writer = RunWriter.reopen(path)
    rng = np.random.default_rng(seed)
    for index in range(count):
        weights = random_weights(writer.manifest["layers"], rng)
        writer.append_snapshot(weights, label=f"epoch {index}", epoch=index, step=0)
    writer.finish("completed")


def _read_until_complete(path, results, start):
    """Reopen the run in a loop, verifying every listed snapshot, until the writer finishes."""
    start.wait()
    reads = verified = 0
    while True:
        manifest = read_manifest(path)
        arrays = open_arrays(path, manifest)
        for index in range(len(manifest["snapshots"])):
            verify_snapshot(arrays, manifest, index)
            verified += 1
        reads += 1
        if manifest["status"] == "completed":
            break
    results.put((reads, verified))


def test_readers_racing_a_writer_never_see_a_torn_snapshot(tmp_path):
    path = write_synthetic_run(tmp_path, "race", units=(64, 32), snapshots=1, status="running")
    spawn = multiprocessing.get_context("spawn")
    results, start = spawn.Queue(), spawn.Barrier(3)
    readers = [spawn.Process(target=_read_until_complete, args=(path, results, start)) for _ in range(2)]
    writer = spawn.Process(target=_append_snapshots, args=(path, 40, 1, start))
    for process in readers + [writer]:
        process.start()
    for process in [writer] + readers:
        process.join(120)

    assert [process.exitcode for process in readers + [writer]] == [0, 0, 0], "a reader saw a torn snapshot"
    counts = [results.get(timeout=5) for _ in readers]
    assert all(reads > 1 and verified > reads for reads, verified in counts)
    assert len(read_manifest(path)["snapshots"]) == 41


def test_manifest_is_replaced_atomically(tmp_path):
    path = write_synthetic_run(tmp_path, "atomic", units=(4,), snapshots=2)
    leftovers = [name for name in os.listdir(path) if name.endswith(".tmp")]
    assert leftovers == []
    with pytest.raises(BrokenRun, match="no manifest"):
        read_manifest(tmp_path)


def test_run_whose_writer_died_on_this_machine_is_interrupted_at_once(tmp_path):
    path = write_synthetic_run(tmp_path, "orphan", units=(4,), snapshots=2, status="running")
    manifest = read_manifest(path)
    assert effective_status(manifest) == "running"

    dead = dict(manifest, pid=2 ** 22 + 12345)
    assert effective_status(dead) == "interrupted"
    assert effective_status(dict(dead, host="another-machine")) == "running"


def test_the_opening_snapshot_is_a_finished_runs_best_and_a_live_runs_newest():
    """The one rule (docs/interpretation.md, "Which snapshot a view opens on")."""
    manifest = {"snapshots": [{"index": index} for index in range(5)], "best_snapshot": 2}
    assert (finished_best(manifest, "completed"), opening_snapshot(manifest, "completed")) == (2, 2)
    assert (finished_best(manifest, "interrupted"), opening_snapshot(manifest, "interrupted")) == (2, 2)
    assert (finished_best(manifest, "running"), opening_snapshot(manifest, "running")) == (None, 4)
    without_best = manifest | {"best_snapshot": None}
    assert opening_snapshot(without_best, "completed") == 4, "no recorded best: the run ended on its last"
    empty = {"snapshots": [], "best_snapshot": None}
    assert finished_best(empty, "completed") is None and opening_snapshot(empty, "running") is None

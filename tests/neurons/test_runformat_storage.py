"""How snapshots sit on disk: compaction of a finished run (also under kill -9), regrowth, listing
after the flush, and float16 runs (init in float32, changes in float16)."""
import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.runs import dense_layers, random_weights, write_synthetic_run
from neurons import open_run, slotfiles
from neurons.runformat import (BrokenRun, RunWriter, check_run, open_arrays, read_manifest, run_path,
                               verify_snapshot)

REPO = Path(__file__).resolve().parents[2]
UNITS = (16, 8)


def new_writer(tmp_path, run_id="r", *, capacity=20, snapshot_dtype="float32") -> RunWriter:
    layers = dense_layers(UNITS, batchnorm=True)
    writer = RunWriter.create(run_path(tmp_path, run_id), run_id=run_id, preset="p", config={}, dataset={},
                              layers=layers, capacity=capacity, snapshot_dtype=snapshot_dtype)
    noise = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)  # no view looks at it
    writer.write_probe(noise, np.arange(20) % 10)
    writer.write_live_pixels(np.ones((28, 28), bool))
    return writer


def drifting_weights(count: int, seed: int = 0, drift: float = 0.05) -> list[dict]:
    """`count` snapshots of Keras-layout weights, each a small step from the one before."""
    rng = np.random.default_rng(seed)
    layers = dense_layers(UNITS, batchnorm=True)
    snapshots = [random_weights(layers, rng)]
    while len(snapshots) < count:
        snapshots.append(random_weights(layers, rng, drift=drift, base=snapshots[-1]))
    return snapshots


def append_all(writer: RunWriter, snapshots: list[dict]) -> None:
    for index, weights in enumerate(snapshots):
        writer.append_snapshot(weights, label=f"s{index}", epoch=index, step=0)


def slots_per_file(path) -> set[int]:
    return {slotfiles.header(file)[0][0] for file in Path(path, "weights").glob("*.npy")}


def verified(path) -> tuple[dict, dict]:
    manifest = read_manifest(path)
    arrays = open_arrays(path, manifest)
    for index in range(len(manifest["snapshots"])):
        verify_snapshot(arrays, manifest, index)
    return manifest, arrays


def test_a_finished_run_is_compacted_to_its_snapshots_and_keeps_every_value(tmp_path):
    writer = new_writer(tmp_path)
    snapshots = drifting_weights(5)
    append_all(writer, snapshots)
    reader = open_run(writer.path)
    before = reader.receptive_fields("dense_1", 3)
    assert slots_per_file(writer.path) == {20}

    writer.finish("completed")
    manifest, arrays = verified(writer.path)
    assert slots_per_file(writer.path) == {5} and manifest["capacity"] == 5
    np.testing.assert_array_equal(arrays["dense_1.kernel"][4], snapshots[4]["dense_1"]["kernel"].astype(np.float32).T)
    np.testing.assert_array_equal(reader.receptive_fields("dense_1", 3), before), "old memory maps still read"
    assert reader.refresh() is False and np.array_equal(reader.receptive_fields("dense_1", 3), before)
    assert not list((writer.path / "weights").glob(".*")), "no temporary file left"


def test_resume_regrows_a_compacted_run(tmp_path):
    writer = new_writer(tmp_path)
    snapshots = drifting_weights(6)
    append_all(writer, snapshots[:3])
    writer.finish("interrupted")
    assert slots_per_file(writer.path) == {3}

    resumed = RunWriter.reopen(writer.path)
    resumed.reserve(10)
    assert slots_per_file(writer.path) == {10} and resumed.manifest["capacity"] == 10
    for index in range(3, 6):
        resumed.append_snapshot(snapshots[index], label=f"s{index}", epoch=index, step=0)
    resumed.finish("completed")
    manifest, arrays = verified(writer.path)
    assert len(manifest["snapshots"]) == 6 and slots_per_file(writer.path) == {6}
    for index, weights in enumerate(snapshots):
        np.testing.assert_array_equal(arrays["output.bias"][index], weights["output"]["bias"].astype(np.float32))


def test_a_snapshot_is_listed_only_once_committed(tmp_path):
    writer = new_writer(tmp_path)
    snapshots = drifting_weights(3)
    writer.append_snapshot(snapshots[0], label="init", epoch=0, step=0)
    writer.append_snapshot(snapshots[1], label="inner", epoch=0, step=5, commit=False)
    assert writer.snapshot_count == 2 and len(read_manifest(writer.path)["snapshots"]) == 1
    writer.heartbeat(min_interval=0)
    assert [s["label"] for s in read_manifest(writer.path)["snapshots"]] == ["init", "inner"]
    writer.append_snapshot(snapshots[2], label="epoch 1", epoch=1, step=0, commit=False)
    writer.finish("completed")
    assert len(verified(writer.path)[0]["snapshots"]) == 3


# ---- kill -9 in the middle of a compaction ---------------------------------------------------
# The child writes a run of 5 snapshots into 20 slots, then finishes it; it stops at one point of
# the compaction (the Nth os.replace, or inside the copy into the first new file), says so, and
# waits to be killed. 14 array files: renames 1–14 are theirs, rename 15 is the manifest's.
CHILD = """
import os, sys, time
sys.path[:0] = [{repo!r}, {tests!r}]
from neurons import slotfiles
from tests.neurons.test_runformat_storage import append_all, drifting_weights, new_writer
point = sys.argv[1]
writer = new_writer({data!r})
append_all(writer, drifting_weights(5))
def pause():
    print("paused", flush=True)
    time.sleep(600)
if point.startswith("replace:"):
    replace, calls, stop_at = os.replace, [], int(point.split(":")[1])
    def replace_then_pause(*args):
        calls.append(1)
        if len(calls) == stop_at:
            pause()
        replace(*args)
    os.replace = replace_then_pause
if point == "copying":
    def copy_half_then_pause(source, out, length):
        out.write(bytes(length // 2))
        out.flush()
        pause()
    slotfiles._copy_slots = copy_half_then_pause
writer.finish("completed")
print("finished", flush=True)
"""


@pytest.mark.parametrize("point", ["copying", "replace:1", "replace:2", "replace:8", "replace:14", "replace:15"])
def test_kill_9_mid_compaction_leaves_a_run_that_reads_verifies_and_resumes(tmp_path, point):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(repo=str(REPO), tests=str(REPO / "tests"), data=str(tmp_path)), point],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "paused\n", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    path = run_path(tmp_path, "r")
    summary = check_run(path)
    assert summary.broken is None and summary.snapshots == 5 and summary.status == "interrupted"
    expected = drifting_weights(5)
    _, arrays = verified(path)
    for index, weights in enumerate(expected):
        np.testing.assert_array_equal(arrays["dense_2.kernel"][index],
                                      weights["dense_2"]["kernel"].astype(np.float32).T)
    assert slots_per_file(path) <= {5, 20}

    resumed = RunWriter.reopen(path)
    resumed.reserve(20)
    resumed.append_snapshot(drifting_weights(6)[5], label="s5", epoch=5, step=0)
    resumed.finish("completed")
    assert len(verified(path)[0]["snapshots"]) == 6 and slots_per_file(path) == {6}
    assert not list((path / "weights").glob(".*.tmp"))


# ---- float16 runs ----------------------------------------------------------------------------
def test_a_float16_run_keeps_init_in_float32_and_changes_in_float16(tmp_path):
    snapshots = drifting_weights(6, drift=0.01)
    runs = {}
    for dtype in ("float32", "float16"):
        writer = new_writer(tmp_path, dtype, capacity=6, snapshot_dtype=dtype)
        append_all(writer, snapshots)
        writer.finish("completed")
        runs[dtype] = writer.path
    manifest, arrays = verified(runs["float16"])
    assert manifest["snapshot_dtype"] == "float16" and manifest["schema_version"] == 2
    assert read_manifest(runs["float32"])["schema_version"] == 1, "a float32 run stays readable by older readers"
    assert np.load(runs["float16"] / "weights" / "dense_1.kernel.npy", mmap_mode="r").dtype == np.float16
    np.testing.assert_array_equal(arrays["dense_1.kernel"][0], snapshots[0]["dense_1"]["kernel"].astype(np.float32).T)
    _, exact = verified(runs["float32"])
    for name, values in exact.items():
        change = values[1:6] - values[0]
        rounded = arrays[name][1:6] - arrays[name][0]
        assert np.all(np.abs(rounded - change) <= 2.0 ** -11 * np.abs(change) + 1e-7), name

    size = {dtype: sum(f.stat().st_size for f in (path / "weights").rglob("*.npy")) for dtype, path in runs.items()}
    values = size["float32"] / 6 / 4  # stored values per snapshot (the headers are a rounding error)
    assert size["float16"] == pytest.approx(values * (6 * 2 + 4), rel=0.02)


def test_float16_run_can_be_resumed(tmp_path):
    snapshots = drifting_weights(4)
    writer = new_writer(tmp_path, capacity=2, snapshot_dtype="float16")
    append_all(writer, snapshots[:2])
    writer.finish("interrupted")
    resumed = RunWriter.reopen(writer.path)
    resumed.append_snapshot(snapshots[2], label="s2", epoch=2, step=0)
    resumed.append_snapshot(snapshots[3], label="s3", epoch=3, step=0)
    assert resumed.crc32_as_stored(snapshots[3]) == resumed.manifest["snapshots"][3]["crc32"]
    resumed.finish("completed")
    assert len(verified(writer.path)[0]["snapshots"]) == 4


@pytest.mark.parametrize("damage, reason", [
    (lambda path: (path / "weights" / "init" / "output.bias.npy").unlink(), "missing array weights/init/output.bias.npy"),
    (lambda path: np.save(path / "weights" / "init" / "output.bias.npy", np.zeros(10, np.float16)), "expected (10) float32"),
    (lambda path: np.save(path / "weights" / "init" / "output.bias.npy", np.ones(10, np.float32)), "checksum"),
])
def test_a_damaged_float16_init_is_reported(tmp_path, damage, reason):
    path = write_synthetic_run(tmp_path)
    writer = new_writer(tmp_path, "half", capacity=3, snapshot_dtype="float16")
    append_all(writer, drifting_weights(3))
    writer.finish("completed")
    damage(writer.path)
    assert reason in check_run(writer.path).broken
    assert check_run(path).broken is None


def test_an_unknown_snapshot_dtype_is_refused(tmp_path):
    writer = new_writer(tmp_path)
    append_all(writer, drifting_weights(1))
    manifest = json.loads((writer.path / "manifest.json").read_text())
    (writer.path / "manifest.json").write_text(json.dumps(manifest | {"snapshot_dtype": "int8"}))
    with pytest.raises(BrokenRun, match="unknown snapshot_dtype 'int8'"):
        read_manifest(writer.path)
    with pytest.raises(ValueError, match="float32, float16"):
        new_writer(tmp_path, "other", snapshot_dtype="bfloat16")


def test_temporary_files_of_a_killed_rewrite_are_removed(tmp_path):
    writer = new_writer(tmp_path)
    append_all(writer, drifting_weights(2))
    leftover = slotfiles.temporary(writer.path / "weights" / "output.bias.npy")
    leftover.write_bytes(b"half a file")
    writer.finish("completed")
    assert not leftover.exists()

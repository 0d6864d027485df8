"""Faults: kill -9 and resume, Ctrl-C, a full disk, a read-only data folder."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurons import runformat
from neurons.runformat import (RunWriter, effective_status, list_runs, open_arrays, read_manifest,
                               verify_snapshot)
from tests.helpers.trainer import run_cli

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENT = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


def trainer_process(*argv) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "trainer", *map(str, argv)], cwd=REPO,
                            env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_snapshot(run, prefix: str, process: subprocess.Popen, timeout: float = 120, *,
                      newest: bool = False) -> dict:
    """Poll the manifest (as a reader would) until a snapshot labelled `prefix…` is listed (with
    `newest`, until it is the newest listed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            manifest = read_manifest(run)
        except runformat.BrokenRun:
            manifest = None
        labels = [s["label"] for s in manifest["snapshots"][-1 if newest else 0:]] if manifest else []
        if any(label.startswith(prefix) for label in labels):
            return manifest
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"no snapshot {prefix!r} within {timeout} s")


def finished_snapshots(run) -> tuple[dict, dict]:
    """The manifest and a copy of every listed snapshot, each verified against its checksum."""
    manifest = read_manifest(run)
    arrays = open_arrays(run, manifest)
    for index in range(len(manifest["snapshots"])):
        verify_snapshot(arrays, manifest, index)
    count = len(manifest["snapshots"])
    return manifest, {name: np.array(values[:count]) for name, values in arrays.items()}


@pytest.mark.slow
def test_kill_9_mid_epoch_keeps_snapshots_and_resume_finishes_the_run(tmp_path):
    run = tmp_path / "runs" / "victim"
    # Batches of 2 make epochs of a few seconds, so that an inner snapshot gets listed on its
    # own (snapshots taken within a second of the last listing are listed with the next one).
    trainer = trainer_process("train", "--data-dir", tmp_path, "--run-id", "victim", "--preset", "relu",
                              "--epochs", 3, "--no-early-stopping", "--snapshots-per-epoch", 4, "--batch-size", 2)
    wait_for_snapshot(run, "epoch 2 · step", trainer, timeout=300, newest=True)
    trainer.send_signal(signal.SIGKILL)
    trainer.wait()

    manifest, before = finished_snapshots(run)
    last_end = max(s["index"] for s in manifest["snapshots"] if s["step"] == 0)
    assert manifest["snapshots"][-1]["step"] > 0, "killed inside an epoch"
    assert manifest["status"] == "running"
    assert effective_status(manifest) == "interrupted", "its trainer is dead on this machine"
    elsewhere = dict(manifest, host="another-machine")
    assert effective_status(elsewhere) == "running", "a fresh heartbeat from elsewhere"
    stale = time.time() + runformat.HEARTBEAT_STALE_SECONDS + 1
    assert effective_status(elsewhere, now=stale) == "interrupted"
    assert [summary.status for summary in list_runs(tmp_path)] == ["interrupted"]

    resumed = subprocess.run([sys.executable, "-m", "trainer", "resume", "victim", "--data-dir", tmp_path],
                             cwd=REPO, env=ENVIRONMENT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    epochs_done = manifest["snapshots"][last_end]["epoch"]
    assert f"optimizer state restored from epoch {epochs_done}" in resumed.stdout
    summary = resumed.stdout.strip().splitlines()[-1]
    assert summary.startswith("run victim: 3 epochs") and ", best epoch 3," in summary

    final, after = finished_snapshots(run)
    assert final["status"] == "completed" and final["test"]["accuracy"] > 0.5
    assert len(final["snapshots"]) == 1 + 3 * 4 and final["best_snapshot"] == 12
    assert [row["epoch"] for row in final["history"]] == [1, 2, 3]
    assert [s["label"] for s in final["snapshots"][-4:]] == [
        "epoch 3 · step 400", "epoch 3 · step 800", "epoch 3 · step 1200", "epoch 3"]
    for name, values in before.items():
        np.testing.assert_array_equal(after[name][:last_end + 1], values[:last_end + 1])
    assert not (run / ".space-reserve").exists()


def test_resume_refuses_a_live_or_finished_run(tiny_run, tmp_path, capsys):
    assert run_cli("resume", "tiny", "--data-dir", tiny_run["data_dir"])[0] == 1
    assert "has already completed" in capsys.readouterr().err
    assert run_cli("resume", "ghost", "--data-dir", tmp_path)[0] == 1
    assert "cannot be read: no manifest.json" in capsys.readouterr().err
    live = tmp_path / "runs" / "live"
    shutil.copytree(tiny_run["path"], live)
    manifest = read_manifest(live)
    RunWriter(live, {**manifest, "status": "running", "pid": os.getpid()}).save_manifest()
    assert run_cli("resume", "live", "--data-dir", tmp_path)[0] == 1
    assert f"is still running (pid {os.getpid()}" in capsys.readouterr().err


def test_optimizer_state_round_trip(tmp_path):
    import keras
    from trainer import optimizer_state

    def trained():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        return model

    model = trained()
    model.fit(np.ones((8, 4)), np.zeros((8, 3)), epochs=2, verbose=0)
    optimizer_state.save(model.optimizer, tmp_path / "optimizer.npz", epochs_done=2)
    fresh = trained()
    assert optimizer_state.restore(fresh, tmp_path / "optimizer.npz", epochs_done=1).startswith(
        "optimizer state is from epoch 2")
    assert optimizer_state.restore(fresh, tmp_path / "optimizer.npz", epochs_done=2) == \
        "optimizer state restored from epoch 2"
    assert int(fresh.optimizer.iterations.numpy()) == 2
    for saved, restored in zip(model.optimizer.variables, fresh.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_marks_the_run_interrupted_and_keeps_snapshots(stop, tmp_path):
    run = tmp_path / "runs" / "stopped"
    trainer = trainer_process("train", "--data-dir", tmp_path, "--run-id", "stopped", "--preset", "relu",
                              "--epochs", 50, "--snapshots-per-epoch", 2)
    wait_for_snapshot(run, "epoch 1 · step", trainer)
    trainer.send_signal(stop)
    _, error = trainer.communicate(timeout=60)
    assert trainer.returncode == 130, error
    manifest, _ = finished_snapshots(run)
    assert manifest["status"] == "interrupted" and effective_status(manifest) == "interrupted"
    assert f"interrupted: {len(manifest['snapshots'])} snapshots kept in {run}" in error
    assert manifest["snapshots"][0]["label"] == "init" and len(manifest["snapshots"]) >= 2
    count = len(manifest["snapshots"])
    assert manifest["capacity"] == count < 1 + 50 * 2, "an interrupted run is compacted"
    assert {array.shape[0] for array in open_arrays(run, manifest).values()} == {count}


@pytest.mark.slow
def test_disk_full_while_writing_a_snapshot_fails_cleanly(small_sample, tmp_path, monkeypatch, capsys):
    write_slot = RunWriter._write_slot
    slots_written = []

    def fill_disk_at_third_snapshot(writer, name, index, values):
        if index == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        slots_written.append(index)
        write_slot(writer, name, index, values)

    monkeypatch.setattr(RunWriter, "_write_slot", fill_disk_at_third_snapshot)
    status, _ = run_cli("train", "--data-dir", tmp_path, "--run-id", "full", "--preset", "relu",
                        "--epochs", 5, "--no-early-stopping")
    assert status == 1
    message = capsys.readouterr().err
    assert "training stopped: No space left on device" in message
    assert "marked failed, 2 snapshots kept" in message
    manifest, _ = finished_snapshots(tmp_path / "runs" / "full")
    assert manifest["status"] == "failed" and manifest["error"] == "No space left on device"
    assert [s["label"] for s in manifest["snapshots"]] == ["init", "epoch 1"]


@pytest.fixture
def mount_point(tmp_path):
    """A fresh tmpfs mount (root only); unmounted afterwards."""
    point = tmp_path / "mnt"
    point.mkdir()
    yield point
    subprocess.run(["umount", str(point)], capture_output=True)


def mount_tmpfs(point: Path, options: str) -> None:
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")


@pytest.mark.slow
def test_really_full_disk_leaves_a_failed_consistent_run(small_sample, mount_point, capsys):
    mount_tmpfs(mount_point, "size=3m")
    status, _ = run_cli("train", "--data-dir", mount_point, "--run-id", "cramped", "--preset", "relu",
                        "--epochs", 40, "--no-early-stopping")
    assert status == 1
    assert "No space left on device" in capsys.readouterr().err
    manifest, _ = finished_snapshots(mount_point / "runs" / "cramped")
    assert manifest["status"] == "failed" and "No space left on device" in manifest["error"]
    assert 2 <= len(manifest["snapshots"]) < 41


@pytest.mark.slow
def test_read_only_data_folder_is_refused_with_a_message(small_sample, mount_point, capsys):
    mount_tmpfs(mount_point, "ro,size=1m")
    status, _ = run_cli("train", "--data-dir", mount_point, "--preset", "relu", "--epochs", 1)
    assert status == 1
    assert "Read-only file system" in capsys.readouterr().err
    assert list(mount_point.iterdir()) == []


def test_an_unexpected_error_marks_the_run_failed_and_is_not_hidden(small_sample, tmp_path, monkeypatch):
    from trainer import layer_map
    weight_reader = layer_map.weight_reader
    calls = []

    def reader_breaking_on_second_snapshot(described):
        read = weight_reader(described)

        def read_or_break():
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("weights went missing")
            return read()
        return read_or_break

    monkeypatch.setattr(layer_map, "weight_reader", reader_breaking_on_second_snapshot)
    with pytest.raises(RuntimeError, match="weights went missing"):
        run_cli("train", "--data-dir", tmp_path, "--run-id", "buggy", "--preset", "relu", "--epochs", 2)
    manifest, _ = finished_snapshots(tmp_path / "runs" / "buggy")
    assert manifest["status"] == "failed" and manifest["error"] == "RuntimeError: weights went missing"
    assert [s["label"] for s in manifest["snapshots"]] == ["init"]

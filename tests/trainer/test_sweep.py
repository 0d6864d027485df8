"""`python -m trainer sweep`: real child processes, a SIGTERM mid-sweep, re-runs that resume, bad flags."""
import json
import signal

import pytest

from neurons.runformat import read_manifest
from neurons.sweeps import read_sweep
from tests.helpers.trainer import run_cli
from tests.trainer.test_faults import trainer_process, wait_for_snapshot
from trainer import sweep

PARALLEL = min(2, sweep.cores())


def sweep_args(data_dir, presets: str, seeds: str, epochs: int, *extra):
    return ["sweep", "--data-dir", data_dir, "--presets", presets, "--seeds", seeds, "--epochs", epochs,
            "--parallel", PARALLEL, *extra]


def only_sweep_id(data_dir) -> str:
    (folder,) = (data_dir / "sweeps").iterdir()
    return folder.name


@pytest.mark.slow
def test_a_small_sweep_makes_tagged_runs_and_running_it_again_starts_nothing(tmp_path):
    status, output = run_cli(*sweep_args(tmp_path, "relu,l1", "0,1", 1))
    assert status == 0, output
    sweep_id = only_sweep_id(tmp_path)
    manifest = read_sweep(tmp_path, sweep_id)
    expected = {f"{sweep_id}-{preset}-s{seed}": (preset, seed) for preset in ("relu", "l1") for seed in (0, 1)}
    assert manifest["status"] == "completed"
    assert {run["run_id"]: (run["preset"], run["seed"]) for run in manifest["runs"]} == expected
    assert {run["state"] for run in manifest["runs"]} == {"completed"}
    for run_id, (preset, seed) in expected.items():
        run = read_manifest(tmp_path / "runs" / run_id)
        assert (run["status"], run["preset"], run["config"]["seed"], run["config"]["sweep"]) == \
               ("completed", preset, seed, sweep_id)
        assert len(run["history"]) == 1
    written = {run_id: (tmp_path / "runs" / run_id / "manifest.json").stat().st_mtime_ns for run_id in expected}

    status, output = run_cli(*sweep_args(tmp_path, "l1,relu", "1,0", 1))  # same sweep, any order
    assert status == 0, output
    assert "0 to train" in output and "training " not in output and "resuming " not in output
    assert written == {run_id: (tmp_path / "runs" / run_id / "manifest.json").stat().st_mtime_ns
                       for run_id in expected}

    status, listing = run_cli("list", "--data-dir", tmp_path)
    assert listing.splitlines()[0] == f"sweep {sweep_id}: 4 runs, 4 completed"
    assert all(line.startswith(f"  {sweep_id}-") for line in listing.splitlines()[1:])


# Enough epochs that the first child cannot finish before the second has done its first.
EPOCHS = 5


@pytest.mark.slow
def test_sigterm_interrupts_every_started_run_and_the_same_command_resumes_them(tmp_path):
    args = sweep_args(tmp_path, "relu", "0,1,2", EPOCHS, "--sweep-id", "stopped")
    process = trainer_process(*args)
    started = [f"stopped-relu-s{seed}" for seed in range(PARALLEL)]
    for run_id in started:
        wait_for_snapshot(tmp_path / "runs" / run_id, "epoch 1", process, timeout=300)
    process.send_signal(signal.SIGTERM)
    output, errors = process.communicate(timeout=120)
    assert process.returncode == 130, (output, errors)
    manifest = read_sweep(tmp_path, "stopped")
    states = {run["run_id"]: run["state"] for run in manifest["runs"]}
    assert manifest["status"] == "interrupted"
    assert sorted(path.name for path in (tmp_path / "runs").iterdir()) == started
    for run_id in started:
        run = read_manifest(tmp_path / "runs" / run_id)
        assert states[run_id] == run["status"] == "interrupted"
        assert [snapshot["label"] for snapshot in run["snapshots"]][:2] == ["init", "epoch 1"]
    assert [state for run_id, state in states.items() if run_id not in started] == ["pending"] * (3 - PARALLEL)

    status, output = run_cli(*[str(arg) for arg in args])
    assert status == 0, output
    assert all(f"resuming {run_id}" in output for run_id in started)
    for run_id in states:
        run = read_manifest(tmp_path / "runs" / run_id)
        assert run["status"] == "completed" and len(run["history"]) == EPOCHS
    assert read_sweep(tmp_path, "stopped")["status"] == "completed"


@pytest.mark.parametrize("flags, reason", [
    (["--presets", "relu,nope", "--seeds", "0"], "unknown preset 'nope'"),
    (["--presets", "relu", "--seeds", "0,1,0"], "0 is listed twice"),
    (["--presets", "relu", "--seeds", "zero"], "'zero' is not an integer"),
    (["--presets", "relu", "--seeds", "0", "--parallel", "0"], "0 is outside 1..1024"),
    (["--presets", "relu", "--seeds", "0", "--parallel", str(sweep.cores() + 1)], "cores of this machine"),
    (["--presets", "relu", "--seeds", "0", "--sweep-id", "x" * 95], "too long for its run ids"),
    (["--presets", "relu", "--seeds", "0", "--sweep-id", "../up"], "invalid run id"),
    (["--seeds", "0"], "--presets"),
])
def test_bad_flags_exit_2_with_the_reason_and_start_nothing(tmp_path, capsys, flags, reason):
    with pytest.raises(SystemExit) as stopped:
        run_cli("sweep", "--data-dir", tmp_path, *flags)
    assert stopped.value.code == 2
    assert reason in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_id_reused_with_other_settings_is_refused(tmp_path, capsys):
    (tmp_path / "sweeps" / "mine").mkdir(parents=True)
    (tmp_path / "sweeps" / "mine" / "manifest.json").write_text(json.dumps(
        {"sweep_id": "mine", "status": "completed", "runs": [],
         "settings": {"presets": ["relu"], "seeds": [0], "dataset": "sample", "epochs": 1}}))
    with pytest.raises(SystemExit) as stopped:
        run_cli("sweep", "--data-dir", tmp_path, "--presets", "relu", "--seeds", "0,1", "--sweep-id", "mine")
    assert stopped.value.code == 2
    assert "sweep mine exists with other settings (presets relu, seeds 0, dataset sample, epochs 1)" in \
           capsys.readouterr().err
    assert not (tmp_path / "runs").exists()

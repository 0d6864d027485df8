"""The command line: flags, the summary line, `list`, and datasets that cannot be had."""
import json

import numpy as np
import pytest

from neurons.runformat import read_manifest
from tests.helpers.trainer import run_cli
from trainer import presets


@pytest.mark.parametrize("argv, reason", [
    (["--preset", "convnet"], "binary01"),
    (["--dataset", "cifar"], "'auto', 'sample', 'mnist'"),
    (["--activation", "gelu"], "'relu', 'sigmoid', 'tanh'"),
    (["--units", "128,0"], "outside 1..4096"),
    (["--units", "wide"], "not an integer"),
    (["--epochs", "0"], "outside 1..10000"),
    (["--dropout", "0.1,0.2,0.3"], "one per hidden layer (2)"),
    (["--dropout", "1.5"], "outside 0.0..0.95"),
    (["--lr", "-1"], "outside"),
    (["--run-id", "../escape"], "invalid run id"),
    (["--dataset-file", "/nonexistent/mnist.npz"], "no such file"),
    (["--snapshots-per-epoch", "0"], "outside 1..1000"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_flags_exit_2_and_say_why(argv, reason, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("train", "--data-dir", tmp_path / "data", *argv)
    assert stop.value.code == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("fly")
    assert stop.value.code == 2
    assert "train" in capsys.readouterr().err


def test_dataset_file_and_sample_conflict(tmp_path, capsys):
    archive = tmp_path / "mnist.npz"
    archive.write_bytes(b"")
    with pytest.raises(SystemExit) as stop:
        run_cli("train", "--data-dir", tmp_path, "--dataset", "sample", "--dataset-file", archive)
    assert stop.value.code == 2
    assert "--dataset-file" in capsys.readouterr().err


def test_existing_run_id_is_refused(tiny_run, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("train", "--data-dir", tiny_run["data_dir"], "--run-id", "tiny")
    assert stop.value.code == 2
    assert "already exists" in capsys.readouterr().err


def test_presets_resolve_overrides():
    config = presets.resolve("final", {"units": [32], "dropout": [0.2], "batchnorm": False, "l1": None})
    assert config["units"] == [32] and config["dropout"] == [0.2] and config["batchnorm"] is False
    assert config["lr"] == 1e-3 and config["output_units"] == 10
    binary = presets.resolve("binary01", {})
    assert (binary["output_units"], binary["output_activation"], binary["loss"]) == (1, "sigmoid", "binary_crossentropy")
    assert presets.resolve("final", {"dropout": [0.3]})["dropout"] == [0.3, 0.3]


def test_summary_line_and_epoch_lines(tiny_run):
    lines = tiny_run["output"].strip().splitlines()
    assert sum(line.startswith("Epoch ") for line in lines) == 2
    assert any("val_accuracy" in line for line in lines)
    manifest = read_manifest(tiny_run["path"])
    best_epoch = manifest["snapshots"][manifest["best_snapshot"]]["epoch"]
    assert lines[-1] == (f"run tiny: 2 epochs on the offline sample (3,200 training digits), best epoch "
                         f"{best_epoch}, test accuracy "
                         f"{manifest['test']['accuracy']:.4f}, folder {tiny_run['path']}")


def test_list_shows_runs_and_broken_ones(tiny_run, tmp_path):
    broken = tiny_run["data_dir"] / "runs" / "zz-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    try:
        status, output = run_cli("list", "--data-dir", tiny_run["data_dir"])
    finally:
        (broken / "manifest.json").unlink()
        broken.rmdir()
    assert status == 0
    tiny_line = next(line for line in output.splitlines() if line.startswith("tiny "))
    accuracy = read_manifest(tiny_run["path"])["test"]["accuracy"]
    assert tiny_line.split()[1:5] == ["final", "sample", "completed", "2"]
    assert tiny_line.endswith(f"test accuracy {accuracy:.4f}")
    assert "zz-broken  broken: manifest.json is not valid JSON" in output


def test_list_of_empty_folder(tmp_path):
    assert run_cli("list", "--data-dir", tmp_path) == (0, f"no runs in {tmp_path / 'runs'}\n")


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURON_LENS_DATA_DIR", str(tmp_path / "elsewhere"))
    assert run_cli("list")[1] == f"no runs in {tmp_path / 'elsewhere' / 'runs'}\n"


@pytest.mark.slow
def test_dataset_file_trains_on_a_local_npz(tmp_path):
    from trainer.data import load_sample
    images, labels = load_sample()
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[:600], order[600:800]
    archive = tmp_path / "mnist.npz"
    np.savez(archive, x_train=images[train], y_train=labels[train], x_test=images[test], y_test=labels[test])
    status, output = run_cli("train", "--data-dir", tmp_path / "data", "--dataset-file", archive,
                             "--run-id", "local", "--epochs", 1, "--preset", "relu")
    assert status == 0, output
    manifest = json.loads((tmp_path / "data/runs/local/manifest.json").read_text())
    assert manifest["dataset"] == {"name": "mnist", "source": str(archive), "train": 480, "val": 120,
                                   "test": 200, "probe": 200}
    assert manifest["status"] == "completed" and manifest["test"]["accuracy"] > 0.3


def test_unreadable_dataset_file_is_a_clear_failure(tmp_path, capsys):
    archive = tmp_path / "mnist.npz"
    np.savez(archive, images=np.zeros((3, 28, 28)))
    status, _ = run_cli("train", "--data-dir", tmp_path / "data", "--dataset-file", archive)
    assert status == 1
    assert "x_train, y_train, x_test, y_test" in capsys.readouterr().err
    assert not (tmp_path / "data" / "runs").exists()

"""The whole notebook API on real runs written by the trainer (`final` and `binary01` presets).

On the offline sample the probe set is the whole test set, so the numpy forward pass at the best
snapshot must reproduce the test accuracy Keras reported for the restored best weights.
"""
import contextlib
import io
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import neurons  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trainer_runs(tmp_path_factory):
    from trainer.cli import main
    data_dir = tmp_path_factory.mktemp("trainer") / "data"
    for run_id, flags in (("final", ["--epochs", "2", "--snapshots-per-epoch", "2"]),
                          ("binary", ["--preset", "binary01", "--epochs", "2"])):
        with contextlib.redirect_stdout(io.StringIO()) as output:
            status = main(["train", "--data-dir", str(data_dir), "--run-id", run_id, *flags])
        assert status == 0, output.getvalue()
    return {run_id: neurons.open_run(data_dir / "runs" / run_id) for run_id in ("final", "binary")}


@pytest.mark.parametrize("run_id", ["final", "binary"])
def test_numpy_forward_reproduces_the_keras_test_accuracy(trainer_runs, run_id):
    run = trainer_runs[run_id]
    assert run.manifest["dataset"]["probe"] == run.manifest["dataset"]["test"] == len(run.probe_labels)
    accuracy = run.ablate(run.hidden_layers[0], [0])["overall"]["before"]
    assert accuracy == pytest.approx(run.manifest["test"]["accuracy"], abs=0.5 / len(run.probe_labels))


def test_final_run_answers_every_call(trainer_runs):
    run = trainer_runs["final"]
    assert run.hidden_layers == ["dense_1", "dense_2"] and run.status == "completed"
    assert run.snapshot_count == 5 and run.snapshot_labels[0] == "init"
    assert run.receptive_fields("dense_2", 7).shape == (5, 28, 28)
    assert run.layer_fields("dense_1", kind="change").shape == (128, 28, 28)
    table = run.focus_table("dense_2")
    assert len(table) == 64 and table["focus"].between(0, 1).all()
    assert len(run.focus_curve("dense_1", 3)) == 5
    chain = run.digit_chain(4, example=0)
    assert chain["dense_1"].shape == (128,) and chain["dense_2"].shape == (64,)
    table = run.selectivity("dense_1")
    assert table["best_digit"].dropna().between(0, 9).all()
    assert (table.loc[table["best_digit"].isna(), "active_share"] == 0).all(), "only dead neurons lack one"
    assert 0 <= run.most_differentiated(4, "dense_2") < 64
    assert run.generalized_digit(4)["logits"].argmax() == 4
    assert run.integrated_gradients(0, 4).shape == run.gradient_x_input(0, 4).shape == (28, 28)


def test_binary_run_answers_every_call_for_its_single_output(trainer_runs):
    run = trainer_runs["binary"]
    assert run.output_units == 1 and run.classes == [0, 1]
    assert run.hidden_layers == ["dense_1", "dense_2"] and run.units("dense_1") == 25
    ones = run.probe_labels == 1
    logits = run.forward(run.probe_images)[:, 0]
    assert logits[ones].mean() > 0 > logits[~ones].mean()
    assert set(run.digit_chain(0)) == {"dense_1", "dense_2", "pixels"}
    np.testing.assert_array_equal(run.digit_chain(0)["pixels"], -run.digit_chain(1)["pixels"])
    assert run.selectivity("dense_2").shape == (15, 6)
    assert run.selectivity("dense_2")["active_share"].isna().all(), "sigmoid neurons are never silent"
    assert run.generalized_digit(1)["logits"][0] > 0 > run.generalized_digit(0)["logits"][0]
    gain = run.forward(run.probe_images[:1])[0, 0] - run.forward(np.zeros((1, 784)))[0, 0]
    assert run.integrated_gradients(0, 1).sum() == pytest.approx(gain, rel=0.01)
    assert run.integrated_gradients(0, 0).sum() == pytest.approx(-gain, rel=0.01), "digit 0 reads −z"
    result = run.ablate("dense_2", [0, 1, 2], mode="zero")
    assert list(result["per_class"].index) == [0, 1]

"""The Run facade on synthetic run folders: properties, live refresh, argument checks, broken folders."""
import json

import numpy as np
import pytest

import neurons
from neurons.runformat import BrokenRun, RunWriter
from tests.helpers.runs import grow, random_weights


def test_properties_describe_the_run(synthetic_run):
    run = neurons.open_run(synthetic_run(units=(16, 8), snapshots=4))
    assert run.run_id == "synthetic"
    assert run.snapshot_count == 4
    assert run.snapshot_labels == ["init", "epoch 1", "epoch 2", "epoch 3"]
    assert run.hidden_layers == ["dense_1", "dense_2"]
    assert [run.units("dense_1"), run.units("dense_2"), run.units("output")] == [16, 8, 10]
    assert run.output_units == 10 and run.classes == list(range(10))
    assert run.best_snapshot == 3
    assert run.status == "completed"
    assert len(run.history) == 3 and run.history[0]["epoch"] == 1
    assert run.probe_images.shape == (200, 28, 28) and run.probe_images.dtype == np.uint8
    assert run.probe_labels.shape == (200,)
    assert run.manifest["preset"] == "synthetic"


def test_binary_run_has_one_output_and_two_classes(synthetic_run):
    run = neurons.open_run(synthetic_run(outputs=1, batchnorm=False))
    assert run.output_units == 1 and run.classes == [0, 1]
    assert set(np.unique(run.probe_labels)) == {0, 1}


def test_weights_stay_memory_mapped(synthetic_run):
    run = neurons.open_run(synthetic_run())
    run.receptive_fields("dense_1", 0)
    assert all(isinstance(array, np.memmap) for array in run._arrays.values())


def test_snapshot_none_means_a_live_runs_newest_and_a_finished_runs_best(synthetic_run):
    path = synthetic_run(snapshots=4)
    writer = RunWriter.reopen(path)
    writer.set_best_snapshot(1)
    run = neurons.open_run(path)
    assert run.status == "running" and run.best_snapshot is None and run.default_snapshot == 3
    assert np.array_equal(run.receptive_field("dense_1", 2), run.receptive_field("dense_1", 2, snapshot=3))
    writer.finish("completed")
    run.refresh()
    assert run.best_snapshot == run.default_snapshot == 1
    assert np.array_equal(run.receptive_field("dense_1", 2), run.receptive_field("dense_1", 2, snapshot=1))
    writer.set_best_snapshot(None)
    writer.save_manifest()
    run.refresh()
    assert run.best_snapshot == 3, "a finished run without a recorded best ended on its last snapshot"
    assert np.array_equal(run.forward(run.probe_images[:3]), run.forward(run.probe_images[:3], snapshot=3))


def test_upto_is_the_run_as_it_was_at_that_count(synthetic_run):
    """A live run grows under its reader: a view made by upto() keeps every answer at its count."""
    path = synthetic_run(snapshots=3, status="running")
    run = neurons.open_run(path)
    view = run.upto(2)
    grow(path, 3, seed=6)
    run.refresh()
    assert run.snapshot_count == 4 and view.snapshot_count == 2
    assert view.snapshot_labels == ["init", "epoch 1"] and view.default_snapshot == 1
    assert len(view.receptive_fields("dense_2", 0)) == len(view.focus_curve("dense_2", 0)) == 2
    assert list(view.focus_curve("dense_1", 3)["label"]) == view.snapshot_labels
    np.testing.assert_array_equal(view.receptive_fields("dense_1", 3), run.receptive_fields("dense_1", 3)[:2])
    with pytest.raises(ValueError, match="snapshot 2 does not exist: this run has 2 snapshots"):
        view.focus_table("dense_1", 2)
    with pytest.raises(ValueError, match="0 to 4 snapshots"):
        run.upto(5)
    with pytest.raises(ValueError, match="stays as it was"):
        view.refresh()


def test_refresh_reports_new_snapshots_only(synthetic_run):
    path = synthetic_run(snapshots=2, status="running")
    run = neurons.open_run(path)
    assert run.refresh() is False
    first_fields = run.receptive_fields("dense_2", 1)
    writer = RunWriter.reopen(path)
    weights = random_weights(writer.manifest["layers"], np.random.default_rng(5))
    writer.append_snapshot(weights, label="epoch 2", epoch=2, step=0)
    assert run.refresh() is True
    assert run.snapshot_count == 3 and run.snapshot_labels[-1] == "epoch 2"
    fields = run.receptive_fields("dense_2", 1)
    assert fields.shape == (3, 28, 28)
    np.testing.assert_array_equal(fields[:2], first_fields)
    kernel = np.asarray(weights["dense_1"]["kernel"], np.float32)
    np.testing.assert_allclose(run.receptive_field("dense_1", 4, snapshot=2).ravel(), kernel[:, 4])
    writer.heartbeat(min_interval=0)
    assert run.refresh() is False


def test_refresh_after_truncation_forgets_cached_results(synthetic_run):
    path = synthetic_run(snapshots=3)
    run = neurons.open_run(path)
    before = run.focus_table("dense_1", snapshot=2)
    writer = RunWriter.reopen(path)
    writer.truncate(2)
    weights = random_weights(writer.manifest["layers"], np.random.default_rng(9))
    writer.append_snapshot(weights, label="epoch 2 again", epoch=2, step=0)
    run.refresh()
    assert run.snapshot_labels[-1] == "epoch 2 again"
    assert not before.equals(run.focus_table("dense_1", snapshot=2))


@pytest.mark.parametrize("call, message", [
    (lambda run: run.receptive_field("dense_9", 0), "unknown layer 'dense_9'"),
    (lambda run: run.receptive_field("dense_1", 16), "neuron 16 does not exist"),
    (lambda run: run.receptive_field("dense_1", -1), "neuron -1 does not exist"),
    (lambda run: run.receptive_field("dense_1", 1.5), "neuron 1.5 does not exist"),
    (lambda run: run.receptive_field("dense_1", True), "neuron True does not exist"),
    (lambda run: run.receptive_field("dense_1", 0, snapshot=4), "snapshot 4 does not exist"),
    (lambda run: run.receptive_field("dense_1", 0, kind="grad"), "kind must be one of"),
    (lambda run: run.focus_table("dense_1", snapshot=-1), "snapshot -1 does not exist"),
    (lambda run: run.digit_chain(10), "digit 10 is not a class of this run; choose 0–9"),
    (lambda run: run.digit_chain(1, mode="gated"), "mode must be one of"),
    (lambda run: run.digit_chain(1, mode="raw", example=0), "no example form"),
    (lambda run: run.gradient_x_input(200, 1), "example 200 does not exist"),
    (lambda run: run.gradient_x_input(np.zeros((2, 28, 28), np.uint8), 1), "one example image"),
    (lambda run: run.forward(np.zeros((3, 27, 28))), "must be 28×28"),
    (lambda run: run.forward(np.full((1, 784), 255.0)), "pixels/255"),
    (lambda run: run.integrated_gradients(0, 1, steps=0), "steps must be"),
    (lambda run: run.selectivity("output"), "unknown layer 'output'"),
    (lambda run: run.most_differentiated(11, "dense_1"), "digit 11 is not a class"),
    (lambda run: run.ablate("dense_1", []), "at least one neuron"),
    (lambda run: run.ablate("dense_1", [3, 99]), "neuron 99 does not exist"),
    (lambda run: run.ablate("dense_1", [3], mode="noise"), "mode must be one of"),
])
def test_bad_arguments_raise_clear_value_errors(synthetic_run, call, message):
    run = neurons.open_run(synthetic_run(snapshots=4))
    with pytest.raises(ValueError, match=message):
        call(run)


def test_binary_digits_are_the_classes_and_0_reads_the_negated_output(synthetic_run):
    """One meaning of "digit" everywhere: digit 1 reads the single logit z, digit 0 reads −z."""
    run = neurons.open_run(synthetic_run(outputs=1, batchnorm=False))
    with pytest.raises(ValueError, match="digit 2 is not a class of this run; choose 0–1"):
        run.digit_chain(2)
    one, zero = run.digit_chain(1), run.digit_chain(0)
    for part in one:
        np.testing.assert_array_equal(zero[part], -one[part])
    np.testing.assert_array_equal(run.gradient_x_input(3, 0), -run.gradient_x_input(3, 1))
    np.testing.assert_array_equal(run.integrated_gradients(3, 0), -run.integrated_gradients(3, 1))
    assert (run.output_for(0).logit, run.output_for(1).logit) == ("−z", "z")


def test_run_without_snapshots_opens_but_refuses_snapshot_calls(synthetic_run):
    path = synthetic_run(snapshots=1, status="running")
    writer = RunWriter.reopen(path)
    writer.set_best_snapshot(None)
    writer.truncate(0)
    run = neurons.open_run(path)
    assert run.snapshot_count == 0 and run.best_snapshot is None
    with pytest.raises(ValueError, match="no snapshots yet"):
        run.focus_table("dense_1")


@pytest.mark.parametrize("damage, reason", [
    (lambda path: (path / "manifest.json").unlink(), "no manifest.json"),
    (lambda path: (path / "manifest.json").write_text("{"), "not valid JSON"),
    (lambda path: (path / "weights" / "dense_2.kernel.npy").unlink(), "missing array weights/dense_2.kernel.npy"),
    (lambda path: (path / "probe.npz").unlink(), "missing probe.npz"),
    (lambda path: (path / "live_pixels.npy").write_bytes(b"junk"), "unreadable"),
])
def test_broken_folders_raise_broken_run(synthetic_run, damage, reason):
    path = synthetic_run()
    damage(path)
    with pytest.raises(BrokenRun, match=reason):
        neurons.open_run(path)


def test_unsupported_activation_is_a_broken_run(synthetic_run):
    path = synthetic_run()
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["layers"][0]["activation"] = "softmax"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BrokenRun, match="activation .softmax. is not supported here"):
        neurons.open_run(path)


def test_corrupt_snapshot_is_reported_when_used(synthetic_run):
    path = synthetic_run(snapshots=3)
    kernel = np.load(path / "weights" / "dense_1.kernel.npy", mmap_mode="r+")
    kernel[1, 0, 0] = np.nan
    kernel.flush()
    run = neurons.open_run(path)
    run.forward(run.probe_images[:2], snapshot=2)
    with pytest.raises(BrokenRun, match="snapshot 1"):
        run.forward(run.probe_images[:2], snapshot=1)


def test_missing_folder_is_broken(tmp_path):
    with pytest.raises(BrokenRun, match="no run folder"):
        neurons.open_run(tmp_path / "nowhere")


def test_probe_activations_are_the_activations_of_the_probe_set(synthetic_run):
    run = neurons.open_run(synthetic_run())
    cached = run.probe_activations(snapshot=2)
    direct = run.activations(run.probe_images, snapshot=2)
    assert list(cached) == list(direct)
    for key in direct:
        np.testing.assert_array_equal(cached[key], direct[key])


def test_reading_a_live_run_while_the_trainer_appends(synthetic_run):
    """The trainer keeps appending (and growing the arrays past their capacity) while the app
    refreshes and reads: every read sees whole snapshots, and the new ones arrive."""
    import threading
    path = synthetic_run(snapshots=2, status="running")
    writer = RunWriter.reopen(path)
    run = neurons.open_run(path)
    seen = []

    def train():
        for epoch in range(2, 14):
            writer.append_snapshot(random_weights(writer.manifest["layers"], np.random.default_rng(epoch)),
                                   label=f"epoch {epoch}", epoch=epoch, step=0)

    trainer = threading.Thread(target=train)
    trainer.start()
    while trainer.is_alive() or run.refresh():
        run.refresh()
        count = run.snapshot_count
        assert run.receptive_fields("dense_2", 1).shape[0] >= count
        assert len(run.focus_table("dense_1", snapshot=count - 1)) == 16
        run.forward(run.probe_images[:2], snapshot=count - 1)
        seen.append(count)
    trainer.join()
    assert run.snapshot_count == 14 and seen[-1] == 14
    final = random_weights(writer.manifest["layers"], np.random.default_rng(13))
    np.testing.assert_allclose(run.receptive_field("dense_1", 0, snapshot=13).ravel(),
                               final["dense_1"]["kernel"][:, 0].astype(np.float32))


def test_active_share_is_only_defined_for_relu_layers(synthetic_run):
    path = synthetic_run(units=(16,), batchnorm=False)
    relu = neurons.open_run(path).selectivity("dense_1")
    assert relu["active_share"].between(0, 1).all()

    manifest = json.loads((path / "manifest.json").read_text())
    manifest["layers"][0]["activation"] = "sigmoid"
    (path / "manifest.json").write_text(json.dumps(manifest))
    sigmoid = neurons.open_run(path).selectivity("dense_1")
    assert sigmoid["active_share"].isna().all()
    assert sigmoid["si"].notna().all()

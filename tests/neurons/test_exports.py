"""Taking results away: a neuron's GIF (a frame per snapshot, fixed limits), its fields as .npz,
and the learned change of a run without an initialisation snapshot."""
import json

import numpy as np
from PIL import Image

import neurons
from neurons import colours, exports
from tests.helpers.runs import write_synthetic_run

SNAPSHOTS = 6


def test_animation_has_a_frame_per_snapshot_with_fixed_limits(tmp_path):
    run = neurons.open_run(write_synthetic_run(tmp_path, snapshots=SNAPSHOTS))
    assert run.animation("dense_1", 3, tmp_path / "n3.gif") == SNAPSHOTS
    gif = Image.open(tmp_path / "n3.gif")
    assert gif.n_frames == SNAPSHOTS and gif.info["loop"] == 0
    change = run.receptive_fields("dense_1", 3, kind="change")
    strongest = np.unravel_index(np.argmax(np.where(run.live_pixels, np.abs(change[-1]), 0)), (28, 28))
    extreme = colours.colour_rgb(np.sign(change[-1][strongest]), 1.0).tolist()
    row, column = (exports.HEADER + exports.PIXEL_SIZE * strongest[0] + 4, exports.PIXEL_SIZE * strongest[1] + 4)
    gif.seek(0)  # the initialisation: no change yet, drawn as the scale's zero
    assert gif.convert("RGB").getpixel((column, row)) == tuple(colours.colour_rgb(0.0, 1.0).tolist())
    gif.seek(SNAPSHOTS - 1)  # the largest change of all frames sits at the end of the scale
    assert list(gif.convert("RGB").getpixel((column, row))) == extreme


def test_fields_archive_holds_every_kind_and_the_labels(tmp_path):
    run = neurons.open_run(write_synthetic_run(tmp_path, snapshots=SNAPSHOTS))
    run.save_fields("dense_2", 1, tmp_path / "fields.npz")
    with np.load(tmp_path / "fields.npz") as archive:
        for kind in ("weights", "change", "step"):
            np.testing.assert_allclose(archive[kind], run.receptive_fields("dense_2", 1, kind=kind), rtol=1e-6)
        assert archive["labels"].tolist() == run.snapshot_labels
        assert archive["layer"].item() == "dense_2" and archive["neuron"].item() == 1
        np.testing.assert_array_equal(archive["live_pixels"], run.live_pixels)


def test_without_an_initialisation_snapshot_the_change_is_the_weights(tmp_path):
    path = write_synthetic_run(tmp_path, snapshots=3)
    manifest = json.loads((path / "manifest.json").read_text())
    for snapshot in manifest["snapshots"]:
        snapshot["epoch"] += 5  # checkpoints of epochs 5, 6, 7: the weights at init are unknown
    (path / "manifest.json").write_text(json.dumps(manifest))
    run = neurons.open_run(path)
    assert not run.has_initialisation
    np.testing.assert_array_equal(run.receptive_fields("dense_1", 2, kind="change"),
                                  run.receptive_fields("dense_1", 2, kind="weights"))
    np.testing.assert_allclose(run.layer_fields("dense_2", 0, kind="change"), run.layer_fields("dense_2", 0))
    assert run.focus_table("dense_1", 0)["focus"].notna().all()
    assert neurons.open_run(write_synthetic_run(tmp_path, "trained", snapshots=3)).has_initialisation

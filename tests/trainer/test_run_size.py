"""A run that has ended holds its snapshots and nothing else: compacted array files, no optimizer
state once completed; `trainer resume` regrows a compacted run."""
from pathlib import Path

import numpy as np

from neurons import slotfiles
from neurons.runformat import array_shapes, open_arrays, read_manifest, verify_snapshot
from tests.helpers.trainer import run_cli, stop_silently_at_snapshot

# The scale case: 784-1024(BN)-512(BN)-10, 301 snapshots, 1,000 probe digits.
SCALE_PARAMETERS = 784 * 1024 + 1024 + 4 * 1024 + 1024 * 512 + 512 + 4 * 512 + 512 * 10 + 10
SCALE_SNAPSHOTS = 301
SCALE_PROBE = 1_000


def apparent_bytes(folder: Path) -> dict[str, int]:
    """Every file's size as `du --apparent-size` counts it (holes included), by relative path."""
    return {str(file.relative_to(folder)): file.stat().st_size for file in folder.rglob("*") if file.is_file()}


def test_an_interrupted_run_is_compacted_and_resume_regrows_it(small_sample, tmp_path, monkeypatch):
    stop_silently_at_snapshot(monkeypatch, 2)
    assert run_cli("train", "--data-dir", tmp_path, "--run-id", "grow", "--epochs", 4, "--no-early-stopping")[0] == 130
    monkeypatch.undo()
    run = tmp_path / "runs" / "grow"
    manifest = read_manifest(run)
    assert manifest["status"] == "interrupted" and manifest["capacity"] == 3
    interrupted = {name: np.array(values[:3]) for name, values in open_arrays(run, manifest).items()}
    assert {values.shape[0] for values in open_arrays(run, manifest).values()} == {3}, "compacted"

    status, output = run_cli("resume", "grow", "--data-dir", tmp_path)
    assert status == 0, output
    manifest = read_manifest(run)
    arrays = open_arrays(run, manifest)
    assert manifest["status"] == "completed" and len(manifest["snapshots"]) == manifest["capacity"] == 5
    for index in range(5):
        verify_snapshot(arrays, manifest, index)
    for name, values in interrupted.items():
        np.testing.assert_array_equal(arrays[name][:3], values)

    files = apparent_bytes(run)
    parameters = sum(int(np.prod(shape)) for shape in array_shapes(manifest["layers"]).values())
    headers = {name: slotfiles.header(run / name)[2] for name in files if name.startswith("weights/")}
    assert set(files) == {"manifest.json", "probe.npz", "live_pixels.npy", *headers}, "no optimizer state, reserve or leftovers"
    assert sum(files[name] - headers[name] for name in headers) == 5 * parameters * 4
    assert max(headers.values()) <= 128
    overhead = sum(files.values()) - 5 * parameters * 4
    assert overhead == sum(headers.values()) + files["manifest.json"] + files["probe.npz"] + files["live_pixels.npy"]

    probe_digits = manifest["dataset"]["probe"]
    at_scale = (len(headers) * 128 + files["probe.npz"] / probe_digits * SCALE_PROBE + files["live_pixels.npy"]
                + files["manifest.json"] / 5 * SCALE_SNAPSHOTS)
    assert at_scale < 0.01 * SCALE_SNAPSHOTS * SCALE_PARAMETERS * 4, "the issue's scale run: < 1% over its weights"

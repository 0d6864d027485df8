"""Fuzzing the readers: whatever bytes a run folder holds, listing it yields a run or a reason."""
import json
import shutil

from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.helpers.runs import write_synthetic_run
from neurons import open_run
from neurons.runformat import BrokenRun, check_run, read_manifest

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                       max_size=4),
    max_leaves=12)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _template(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "template"
    if not folder.exists():
        write_synthetic_run(folder, "run", units=(3,), snapshots=2)
    return folder / "runs" / "run"


def _fresh_copy(template, tmp_path_factory):
    target = tmp_path_factory.mktemp("fuzz") / "run"
    shutil.copytree(template, target)
    return target


@FUZZ
@given(key=st.sampled_from(["schema_version", "run_id", "layers", "snapshots", "history",
                            "status", "capacity", "best_snapshot", "test"]),
       value=JSON_VALUES)
def test_any_manifest_field_value_gives_a_run_or_a_reason(tmp_path_factory, key, value):
    run = _fresh_copy(_template(tmp_path_factory), tmp_path_factory)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest[key] = value
    (run / "manifest.json").write_text(json.dumps(manifest))

    summary = check_run(run)

    assert summary.broken is None or summary.status == "broken"


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_manifest_bytes_are_refused_with_a_reason(tmp_path_factory, data):
    run = _fresh_copy(_template(tmp_path_factory), tmp_path_factory)
    (run / "manifest.json").write_bytes(data)
    try:
        read_manifest(run)
    except BrokenRun as error:
        assert str(error)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=5000), junk=st.binary(max_size=64))
@example(cut=116, junk=b"\x00" * 11 + b"[")  # numpy's header parser raised tokenize.TokenError
def test_any_damaged_array_file_is_reported_not_raised(tmp_path_factory, cut, junk):
    run = _fresh_copy(_template(tmp_path_factory), tmp_path_factory)
    array = run / "weights" / "dense_1.kernel.npy"
    array.write_bytes(array.read_bytes()[:cut] + junk)

    summary = check_run(run)

    assert summary.status == "broken" and summary.broken


@FUZZ
@given(name=st.sampled_from(["probe.npz", "live_pixels.npy"]), cut=st.integers(min_value=0, max_value=3000),
       junk=st.binary(max_size=64))
@example(name="probe.npz", cut=10, junk=b"")  # a truncated zip: zipfile.BadZipFile
@example(name="live_pixels.npy", cut=116, junk=b"\x00" * 11 + b"[")
def test_any_damaged_probe_file_is_reported_not_raised(tmp_path_factory, name, cut, junk):
    run = _fresh_copy(_template(tmp_path_factory), tmp_path_factory)
    damaged = run / name
    damaged.write_bytes(damaged.read_bytes()[:cut] + junk)

    try:
        opened = open_run(run)
        opened.probe_labels, opened.live_pixels
    except BrokenRun as error:
        assert str(error)

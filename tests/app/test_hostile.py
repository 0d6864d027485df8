"""Issue 6, hostile input: nothing a URL or a forged callback request sends can read outside
DATA_DIR/runs, and no traceback ever reaches the browser.

Every file the app opens during these requests is recorded with a Python audit hook (builtins.open,
io.open, os.open and numpy's loads all raise the "open" audit event), so the tests check what the
app actually touched, not what it printed. A canary file and a complete, valid run folder sit
beside the data folder: following any `..` would open them.
"""
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.server import build_state, create_app
from bench.dash_client import clean_property, split_outputs
from tests.helpers.runs import write_synthetic_run

ENDPOINT = "/_dash-update-component"
OPENED: list[str] = []
RECORDING = threading.Event()


def record_open(event, args):
    if event == "open" and RECORDING.is_set() and isinstance(args[0], (str, bytes, Path)):
        OPENED.append(str(args[0]))


sys.addaudithook(record_open)

HOSTILE_RUN_IDS = [
    "..", "../outside", "../../canary.txt", "..%2Foutside", "%2e%2e%2foutside", "%252e%252e%252foutside",
    "..%c0%afoutside", "/etc/passwd",
    str(Path("/") / "tmp"), "alpha/../../outside", "alpha/../alpha", "alpha\x00", "~root",
    "\\..\\outside", "outside", "a" * 5000, "", " ", "CON", "ａｌｐｈａ",
]
HOSTILE_NUMBERS = ["-1", "-0", "99999999999999999999999", "1e9", "0x10", "NaN", "inf", "3.5", "",
                   "٣", "1" * 300, "0;rm -rf /", "<script>alert(1)</script>"]
HOSTILE_RUN_LISTS = [",".join(HOSTILE_RUN_IDS[:12]), "alpha,alpha,alpha", "broken,alpha,linked",
                     ",".join(["alpha"] * 7 + ["x"] * 7), ",,,", "%2C", ",".join(["b" * 99] * 19)]
HOSTILE_VALUES = [None, -1, 10**12, -10**12, 3.5, float("inf"), "../../canary.txt", "/etc/passwd",
                  "x" * 20_000, [], {}, [1, 2, 3], {"run": "../outside"}, True]


@pytest.fixture
def hostile_app(tmp_path):
    """An app over data/ with one good run; a canary file and a good run folder lie outside it."""
    data_dir = tmp_path / "data"
    write_synthetic_run(data_dir, "alpha", snapshots=3)
    (write_synthetic_run(data_dir, "broken", snapshots=2) / "manifest.json").write_text("{")
    (tmp_path / "canary.txt").write_text("secret")
    (data_dir / "canary.txt").write_text("secret")
    write_synthetic_run(tmp_path / "elsewhere", "outside", snapshots=2)
    (tmp_path / "outside").symlink_to(tmp_path / "elsewhere" / "runs" / "outside")
    (data_dir / "runs" / "linked").symlink_to(tmp_path / "elsewhere" / "runs" / "outside")
    app = create_app(data_dir, allow_training=True)  # its callbacks get forged values too
    return app, tmp_path


def opened_outside_runs(tmp_path):
    runs = (tmp_path / "data" / "runs").resolve()
    outside = []
    for name in OPENED:
        path = Path(name)
        if not path.is_absolute():
            path = Path.cwd() / path
        resolved = path.resolve()
        if resolved.is_relative_to(tmp_path.resolve()) and not resolved.is_relative_to(runs):
            outside.append(name)
        if "canary" in name or "elsewhere" in str(resolved):
            outside.append(name)
    return outside


def post_all(client, requests):
    """Send every request; return (status, body) pairs, recording the files opened meanwhile."""
    OPENED.clear()
    RECORDING.set()
    try:
        return [(response.status_code, response.get_data(as_text=True))
                for response in (client.post(ENDPOINT, json=body) for body in requests)]
    finally:
        RECORDING.clear()


def server_callbacks(app) -> list[dict]:
    return [spec for spec in app._callback_list if not spec.get("clientside_function")]


def payload(spec: dict, values: dict, changed: list[str] | None = None) -> dict:
    """The renderer's request body for one callback, with `values` ('id.property' → value) sent."""
    def filled(items):
        return [item | {"value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    outputs = [{"id": component, "property": clean_property(prop)}
               for component, prop in split_outputs(spec["output"])]
    inputs = filled(spec["inputs"])
    return {"output": spec["output"], "inputs": inputs, "state": filled(spec.get("state", [])),
            "outputs": outputs if spec["output"].startswith("..") else outputs[0],
            "changedPropIds": changed or [f"{item['id']}.{item['property']}" for item in inputs[:1]]}


def assert_plain(responses):
    for status, body in responses:
        assert status in (200, 204), body[:300]
        assert "Traceback" not in body and 'File "' not in body, body[:300]


def test_hostile_urls_get_plain_messages_and_open_nothing_outside(hostile_app):
    app, tmp_path = hostile_app
    client = app.server.test_client()
    views = [spec for spec in server_callbacks(app) if spec["output"] == "state.data"]
    searches = [f"?run={run}" for run in HOSTILE_RUN_IDS]
    searches += [f"?run=alpha&{field}={value}" for field in ("neuron", "snapshot", "digit", "example")
                 for value in HOSTILE_NUMBERS]
    searches += ["?run=alpha&layer=../../canary.txt", "?run=alpha&layer=output",
                 "?run=alpha&view=__proto__", "?" + "&".join(f"k{i}=v" for i in range(5000)),
                 "?run=%2e%2e%2f%2e%2e%2fcanary.txt", "?run=alpha&run=../outside", "?%ZZ=%"]
    searches += [f"?run=alpha&view=training&runs={runs}" for runs in HOSTILE_RUN_LISTS]
    responses = post_all(client, [payload(views[0], {"url.search": search}) for search in searches])
    assert_plain(responses)
    assert any("runs/alpha/" in name for name in OPENED)  # the hook does see the app's reads
    assert opened_outside_runs(tmp_path) == []
    for search, (_, body) in zip(searches, responses):
        assert '"run":"alpha"' in body, (search, body[:300])  # always falls back to the good run
        assert '"runs":[]' in body or '"runs"' not in body, (search, body[:300])  # no run to overlay but alpha


@pytest.mark.parametrize("run_id", ["../outside", "linked", "/etc/passwd", "..", "a" * 500])
def test_bad_run_ids_are_refused_with_a_reason(hostile_app, run_id):
    app, _ = hostile_app
    with app.server.app_context():
        state = build_state(app.server.extensions["neuron_lens_runs"], f"?run={run_id}", ["training"])
    assert state["run"] == "alpha"
    assert "run" in state["error"] and ("newest run" in state["error"] or "too long" in state["error"])
    assert len(state["error"]) < 200


def forged_states(valid):
    """States no honest page sends: bad runs, out-of-range fields, wrong types."""
    states = [None, {}, "state", [1, 2], valid | {"run": None}]
    states += [valid | {"run": run} for run in HOSTILE_RUN_IDS[:10]]
    states += [valid | {field: value} for field in ("layer", "neuron", "snapshot", "digit", "example",
                                                    "view", "snapshot_count")
               for value in HOSTILE_VALUES]
    return states


def test_forged_callback_requests_never_leak_a_traceback_or_a_file(hostile_app):
    """Every server callback of every view, fed forged states and hostile input values."""
    app, tmp_path = hostile_app
    client = app.server.test_client()
    with app.server.app_context():
        valid = build_state(app.server.extensions["neuron_lens_runs"], "?run=alpha", ["training"])
    requests = []
    for spec in server_callbacks(app):
        keys = [f"{item['id']}.{item['property']}" for item in spec["inputs"] + spec.get("state", [])]
        base = {key: valid for key in keys if key == "state.data"}
        if "state.data" in keys:
            requests += [payload(spec, base | {"state.data": state}) for state in forged_states(valid)]
        for key in keys:
            if key != "state.data":
                requests += [payload(spec, base | {key: value}, changed=[key]) for value in HOSTILE_VALUES]
    responses = post_all(client, requests)
    assert len(responses) > 100
    assert_plain(responses)
    assert opened_outside_runs(tmp_path) == []


def test_healthz_and_unknown_paths_reveal_nothing(hostile_app):
    app, _ = hostile_app
    client = app.server.test_client()
    assert set(client.get("/healthz").json) == {"status", "runs", "broken", "training"}
    for path in ("/../canary.txt", "/assets/../../canary.txt", "/_dash-component-suites/../../canary.txt",
                 "/assets/%2e%2e/%2e%2e/canary.txt"):
        response = client.get(path)
        assert response.status_code < 500 and b"secret" not in response.data  # the page, or 404


def test_the_server_binds_loopback_without_debug_by_default():
    from app.__main__ import parse_args
    args = parse_args(["--data-dir", "somewhere"])
    assert (args.host, args.port, args.debug) == ("127.0.0.1", 8050, False)


@pytest.mark.parametrize("flag", [["--port", "http"], ["--port", "70000"], ["--colour", "red"]])
def test_bad_flags_exit_2_with_the_reason(flag):
    result = subprocess.run([sys.executable, "-m", "app", *flag], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_runs_shown_together_are_each_checked_like_run(hostile_app):
    """Duplicates, unknown ids, escapes, a broken run and more than six ids: each says why it was
    left out, and only real, readable runs of the data folder are kept."""
    app, tmp_path = hostile_app
    write_synthetic_run(tmp_path / "data", "beta", snapshots=2)
    registry = app.server.extensions["neuron_lens_runs"]
    state = build_state(registry, "?run=alpha&view=training&runs=beta,broken,../outside,beta,linked,nope",
                        ["training"])
    assert state["runs"] == ["beta"]
    for reason in ("Run broken cannot be opened", "'../outside' is not a valid run id", "no run called 'linked'",
                   "no run called 'nope'", "names a run twice"):
        assert reason in state["error"], (reason, state["error"])

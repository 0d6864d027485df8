"""Every view left open on a run that is really training (a trainer subprocess), as a user would.

For each view the page stays open while at least MIN_NEW_SNAPSHOTS snapshots land; then the
trainer is paused (SIGSTOP), and once the page has refreshed every panel must name the run's newest
snapshot: the header's count, the slider, the curves and every snapshot-labelled title. No error
banner, no callback failure in the server log, no console error.
"""
import json
import os
import signal
import subprocess
import sys
import time
from typing import NamedTuple

import pytest
from dash.testing.wait import until

from app.server import create_app

pytestmark = pytest.mark.slow
MIN_NEW_SNAPSHOTS = 20
MIN_OPEN_SECONDS = 6  # three refresh ticks of a busy page (layout.BUSY_TICK_MILLISECONDS)
RUN_ID = "live"


def plotted(dash_duo, graph: str, script: str):
    """Evaluate `script` with `gd` bound to the Plotly div inside `#graph` (None if not drawn)."""
    return dash_duo.driver.execute_script(
        f"const gd = document.querySelector('#{graph} .js-plotly-plot'); if (!gd || !gd.data) return null; {script}")


def title_of(dash_duo, graph: str) -> str:
    return plotted(dash_duo, graph, "return gd.layout.title && gd.layout.title.text || '';") or ""


def text_of(dash_duo, selector: str) -> str:
    return dash_duo.driver.execute_script(
        f"const node = document.querySelector({json.dumps(selector)}); return node ? node.textContent : '';")


def slider_max(dash_duo, slider: str) -> int | None:
    value = dash_duo.driver.execute_script(
        f"const node = document.querySelector('#{slider} [role=\"slider\"]'); "
        "return node ? node.getAttribute('aria-valuemax') : null;")
    return None if value is None else int(value)


def neuron_panels(dash_duo, newest: "Newest") -> dict:
    count, label = newest.count, newest.label
    return {"caption": f"Snapshot {count - 1} of 0–{count - 1}: {label}" in text_of(dash_duo, "#neuron-snapshot-label"),
            "slider": slider_max(dash_duo, "neuron-slider") == count - 1,
            "curve": plotted(dash_duo, "neuron-curve", "return gd.data[0].y.length;") == count,
            "curve marker": plotted(dash_duo, "neuron-curve", "return gd.data[1].x[0];") == count - 1,
            "class means": title_of(dash_duo, "neuron-means").endswith(f"at {label}"),
            "top digits": label in (plotted(dash_duo, "neuron-top", "return gd.layout.title.subtitle.text;") or "")}


def layer_panels(dash_duo, newest: "Newest") -> dict:
    return {"mosaic": f"at {newest.label}" in title_of(dash_duo, "layer-mosaic"),
            "slider": slider_max(dash_duo, "layer-snapshot") == newest.count - 1}


def ranking_panels(dash_duo, newest: "Newest") -> dict:
    return {"caption": f"at {newest.label}." in text_of(dash_duo, "#ranking-caption"),
            "slider": slider_max(dash_duo, "ranking-snapshot") == newest.count - 1}


def digit_panels(dash_duo, newest: "Newest") -> dict:
    return {"pixels": title_of(dash_duo, "digit-pixels").endswith(f"at {newest.label}")}


def example_panels(dash_duo, newest: "Newest") -> dict:
    return {"caption": f"at {newest.label} ·" in text_of(dash_duo, "#example-caption")}


def training_panels(dash_duo, newest: "Newest") -> dict:
    return {"curves": plotted(dash_duo, "training-curves", "return gd.data[0].x.length;") == newest.epochs}


VIEWS = {
    "training": ("view=training", training_panels),
    "layer": ("view=layer&layer=dense_2", layer_panels),
    "neuron dense_1": ("view=neuron&layer=dense_1&neuron=3", neuron_panels),
    "neuron dense_2": ("view=neuron&layer=dense_2&neuron=5", neuron_panels),
    "ranking": ("view=ranking&layer=dense_1", ranking_panels),
    "digit": ("view=digit&digit=4", digit_panels),
    "example": ("view=example&example=7", example_panels),
}


@pytest.fixture
def trainer(tmp_path):
    """A real training run, long enough to outlast the test; ended by the test with SIGTERM."""
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "trainer", "train", "--preset", "relu", "--epochs", "500",
               "--no-early-stopping", "--snapshots-per-epoch", "8", "--run-id", RUN_ID, "--data-dir", str(data_dir)]
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    process.data_dir = data_dir
    try:
        yield process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=60)


class Newest(NamedTuple):
    """What the run's manifest lists: snapshots, the newest one's label, finished epochs."""
    count: int
    label: str
    epochs: int


def newest(trainer) -> Newest:
    try:
        manifest = json.loads((trainer.data_dir / "runs" / RUN_ID / "manifest.json").read_text())
    except (OSError, ValueError):
        return Newest(0, "", 0)
    snapshots = manifest["snapshots"]
    return Newest(len(snapshots), snapshots[-1]["label"] if snapshots else "", len(manifest["history"]))


def test_every_view_follows_a_run_that_is_really_training(dash_duo, trainer, app_port, caplog):
    until(lambda: newest(trainer).count >= 2 or trainer.poll() is not None, timeout=120)
    assert trainer.poll() is None, trainer.stderr.read().decode()[-2000:]
    dash_duo.start_server(create_app(trainer.data_dir, allow_training=False), port=app_port)
    for name, (query, panels_of) in VIEWS.items():
        dash_duo.driver.get(f"{dash_duo.server_url}/?run={RUN_ID}&{query}")
        opened, start = time.monotonic(), newest(trainer).count
        until(lambda: newest(trainer).count >= start + MIN_NEW_SNAPSHOTS and time.monotonic() > opened + MIN_OPEN_SECONDS,
              timeout=180, msg=f"{name}: the run stopped growing")
        trainer.send_signal(signal.SIGSTOP)
        try:
            shown = newest(trainer)
            dash_duo.wait_for_contains_text("#run-title", f"{shown.count} snapshots", timeout=30)
            until(lambda: all(panels_of(dash_duo, shown).values()), timeout=30,
                  msg=f"{name}: panels disagree at {shown}: {panels_of(dash_duo, shown)}")
            assert not dash_duo.find_element("#callback-error").is_displayed(), name
        finally:
            trainer.send_signal(signal.SIGCONT)
    failures = [record.getMessage() for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
    assert failures == []
    assert dash_duo.get_logs() == []

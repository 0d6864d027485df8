"""Journey 1 (open the dashboard) and the shell's plumbing: run picker, live runs, empty folder."""
import json
import os
import subprocess
import sys

import numpy as np
from selenium.webdriver.common.by import By

from app.server import create_app, format_duration, training_progress
from app.runs import RunInfo
from tests.helpers.browser import screenshot
from tests.helpers.runs import random_weights
from neurons.runformat import RunWriter


def set_created(path, created):
    manifest_file = path / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["created"] = created
    manifest_file.write_text(json.dumps(manifest))


def make_runs(synthetic_run):
    """alpha (older, completed), beta (newest, completed) and a broken folder."""
    set_created(synthetic_run("alpha", units=(12, 6)), "2026-01-01T10:00:00Z")
    set_created(synthetic_run("beta"), "2026-01-02T10:00:00Z")
    broken = synthetic_run.data_dir / "runs" / "gamma"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"schema_version": 1, "run_id": ')
    return synthetic_run.data_dir


def test_importing_the_app_never_loads_tensorflow():
    code = ("import sys; import app.server, app.views, app.launcher, app.runs\n"
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_wsgi_entry_point_is_configured_from_the_environment(synthetic_run):
    data_dir = make_runs(synthetic_run)
    code = ("from app.wsgi import server\n"
            "print(server.extensions['neuron_lens_runs'].data_dir, "
            "server.extensions['neuron_lens_launcher'].enabled, server.test_client().get('/healthz').json['runs'])")
    env = dict(os.environ, NEURON_LENS_DATA_DIR=str(data_dir), NEURON_LENS_ALLOW_TRAINING="0")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(data_dir), "False", "3"]


def test_healthz_reports_runs_found(synthetic_run):
    data_dir = make_runs(synthetic_run)
    response = create_app(data_dir).server.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "runs": 3, "broken": 1, "training": False}


def test_progress_counts_epochs_and_estimates_time_left():
    manifest = {"config": {"epochs": 10}, "snapshots": [],
                "history": [{"epoch": 1, "seconds": 30.0}, {"epoch": 2, "seconds": 50.0}]}
    progress = training_progress(RunInfo("a", manifest, "running"))
    assert progress == {"fraction": 0.2, "text": "Training · epoch 3 of 10 · about 5 min 20 s left"}
    assert format_duration(0.2) == "1 s" and format_duration(7300) == "2 h 01 min"
    manifest["config"]["early_stopping"] = True
    assert training_progress(RunInfo("a", manifest, "running"))["text"] == (
        "Training · epoch 3 of at most 10 · at most 5 min 20 s left")


def test_newest_run_opens_and_the_picker_lists_every_run(dash_duo, synthetic_run, app_port):
    data_dir = make_runs(synthetic_run)
    dash_duo.start_server(create_app(data_dir), port=app_port)
    dash_duo.wait_for_text_to_equal(".nl-run-id", "beta")
    dash_duo.wait_for_contains_text(".nl-run-title", "COMPLETED")
    dash_duo.wait_for_contains_text("#training-summary", "Best epoch 3")

    dash_duo.find_element("#run-picker").click()
    dash_duo.wait_for_element(".dash-dropdown-option")
    options = [option.text for option in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")]
    assert [text.split("\n")[0] for text in options] == ["beta", "alpha", "gamma"]
    details = {text.split("\n")[0]: text for text in options}
    assert "COMPLETED" in details["alpha"].upper()
    assert "synthetic · sample · 3 epochs · test accuracy 90.0%" in details["alpha"]
    assert "BROKEN" in details["gamma"].upper() and "not valid JSON" in details["gamma"]
    screenshot(dash_duo, "shell-picker")

    alpha = [option for option in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
             if option.text.startswith("alpha")][0]
    alpha.click()
    dash_duo.wait_for_text_to_equal(".nl-run-id", "alpha")
    assert "run=alpha" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_broken_run_cannot_break_the_page(dash_duo, synthetic_run, app_port):
    data_dir = make_runs(synthetic_run)
    dash_duo.start_server(create_app(data_dir), port=app_port)
    dash_duo.driver.get(dash_duo.server_url + "/?run=gamma&view=training")
    dash_duo.wait_for_contains_text("#message", "Run gamma cannot be opened: manifest.json is not valid JSON")
    dash_duo.wait_for_text_to_equal(".nl-run-id", "beta")
    assert dash_duo.get_logs() == []


def test_a_training_run_advances_on_the_page_without_reload(dash_duo, synthetic_run, app_port):
    path = synthetic_run("live", status="running", snapshots=3)
    writer = RunWriter.reopen(path)
    writer.manifest["config"]["epochs"] = 5
    writer.save_manifest()
    dash_duo.start_server(create_app(synthetic_run.data_dir), port=app_port)
    dash_duo.wait_for_contains_text(".nl-run-title", "3 snapshots")
    dash_duo.wait_for_text_to_equal("#progress-text", "Training · epoch 3 of 5 · about 2 s left")
    dash_duo.driver.execute_script("window.notReloaded = true")
    screenshot(dash_duo, "shell-live-before")

    weights = random_weights(writer.manifest["layers"], np.random.default_rng(1))
    writer.record_epoch({"epoch": 3, "loss": 0.3, "accuracy": 0.9, "val_loss": 0.35,
                         "val_accuracy": 0.88, "seconds": 0.5})
    writer.append_snapshot(weights, label="epoch 3", epoch=3, step=0)
    dash_duo.wait_for_contains_text(".nl-run-title", "4 snapshots", timeout=10)
    dash_duo.wait_for_text_to_equal("#progress-text", "Training · epoch 4 of 5 · about 1 s left")
    points = dash_duo.driver.execute_script(
        "return document.querySelector('#training-curves .js-plotly-plot').data[0].x.length")
    assert points == 3

    writer.finish("completed", test={"loss": 0.3, "accuracy": 0.91})
    dash_duo.wait_for_contains_text(".nl-run-title", "COMPLETED", timeout=10)
    dash_duo.wait_for_style_to_equal("#progress", "display", "none")
    assert dash_duo.driver.execute_script("return window.notReloaded") is True
    screenshot(dash_duo, "shell-live-after")
    assert dash_duo.get_logs() == []


def test_empty_data_folder_says_how_to_make_a_run(dash_duo, tmp_path, app_port):
    dash_duo.start_server(create_app(tmp_path / "nothing-here"), port=app_port)
    dash_duo.wait_for_contains_text("#empty-state", "No runs yet")
    assert "python -m trainer train --preset final" in dash_duo.find_element("#empty-state").text
    assert dash_duo.find_element("#train-panel").get_attribute("open") == "true"
    assert dash_duo.find_element("#train-start").is_displayed()
    assert dash_duo.find_element(".nl-run-title").text == "no run open"
    screenshot(dash_duo, "shell-empty")
    assert dash_duo.get_logs() == []


def test_polling_is_brisk_only_while_something_trains():
    from app.layout import BUSY_TICK_MILLISECONDS, IDLE_TICK_MILLISECONDS
    from app.server import tick_interval
    assert tick_interval({"status": "completed"}, None) == IDLE_TICK_MILLISECONDS
    assert tick_interval({"status": "running"}, None) == BUSY_TICK_MILLISECONDS
    assert tick_interval({"status": "completed"}, {"run": "x", "opened": False}) == BUSY_TICK_MILLISECONDS
    assert tick_interval(None, None) == IDLE_TICK_MILLISECONDS

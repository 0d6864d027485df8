"""Journey 9: train from the page — bounded form, one process at a time, no shell, can be off."""
import os
import subprocess
import sys
import time

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

from app import launcher as launcher_module
from app.launcher import Launcher, TrainingRefused, TrainingRequest
from app.server import create_app
from tests.helpers.browser import screenshot


def request(**changes):
    values = {"preset": "final", "dataset": "sample", "epochs": 2, "seed": 0} | changes
    return TrainingRequest.checked(**values)


@pytest.mark.parametrize("changes, reason", [
    ({"preset": "../../bin/sh"}, "Choose a preset"),
    ({"dataset": "/etc/passwd"}, "Choose a dataset"),
    ({"epochs": 0}, "Epochs must be a whole number from 1 to 30"),
    ({"epochs": 31}, "Epochs"),
    ({"epochs": 2.5}, "Epochs"),
    ({"epochs": None}, "Epochs"),
    ({"epochs": "3; rm -rf /"}, "Epochs"),
    ({"epochs": True}, "Epochs"),
    ({"seed": -1}, "Seed must be a whole number from 0 to 999999"),
    ({"seed": 10**12}, "Seed"),
])
def test_form_values_are_bounded(changes, reason):
    with pytest.raises(TrainingRefused, match=reason):
        request(**changes)


def test_the_trainer_presets_are_the_forms_presets():
    from trainer.presets import PRESETS
    assert set(launcher_module.PRESETS) == set(PRESETS)


def test_command_is_an_argument_list_started_without_a_shell(tmp_path, monkeypatch):
    started = []

    class FakeProcess:
        pid = os.getpid()

        def wait(self):
            return 0

    def fake_popen(command, **options):
        started.append((command, options))
        return FakeProcess()

    monkeypatch.setattr(launcher_module.subprocess, "Popen", fake_popen)
    run_id = Launcher(tmp_path, enabled=True).start(request(epochs=3, seed=7))
    [(command, options)] = started
    assert command == [sys.executable, "-m", "trainer", "train", "--preset", "final", "--dataset",
                       "sample", "--epochs", "3", "--seed", "7", "--data-dir", str(tmp_path.resolve()),
                       "--run-id", run_id]
    assert options.get("shell", False) is False and options["start_new_session"] is True
    assert run_id.startswith("final-sample-s7-")


def test_only_one_training_process_at_a_time(tmp_path):
    launcher = Launcher(tmp_path, enabled=True)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / ".training.pid").write_text(str(os.getpid()))  # a live process holds the lock
    assert launcher.busy()
    with pytest.raises(TrainingRefused, match="still going"):
        launcher.start(request())


def test_a_lock_left_by_a_dead_process_is_cleared(tmp_path, monkeypatch):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / ".training.pid").write_text(str(dead.pid))
    launcher = Launcher(tmp_path, enabled=True)
    assert not launcher.busy()


def test_training_can_be_turned_off(tmp_path, monkeypatch):
    with pytest.raises(TrainingRefused, match="turned off"):
        Launcher(tmp_path, enabled=False).start(request())
    monkeypatch.setenv("NEURON_LENS_ALLOW_TRAINING", "0")
    app = create_app(tmp_path)
    page = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert "turned off on this server" in page and "train-start" not in page
    assert not any("train-status" in spec["output"] for spec in app._callback_list)


@pytest.mark.slow
def test_a_run_started_from_the_form_appears_and_trains_live(dash_duo, tmp_path, app_port):
    data_dir = tmp_path / "data"
    app = create_app(data_dir, allow_training=True)
    launcher = app.server.extensions["neuron_lens_launcher"]
    dash_duo.start_server(app, port=app_port)
    dash_duo.wait_for_contains_text("#empty-state", "No runs yet")
    epochs = dash_duo.find_element("#train-epochs")
    epochs.clear()
    epochs.send_keys("3")
    dash_duo.find_element("#train-start").click()
    dash_duo.wait_for_contains_text("#train-status", "Started final-sample-s0-")
    try:
        dash_duo.wait_for_contains_text(".nl-run-id", "final-sample-s0-", timeout=90)
        # The run can be listed (and shown, as the only run) before its first snapshot; the link
        # to it is written once that snapshot lands.
        until(lambda: "run=final-sample-s0-" in dash_duo.driver.current_url, timeout=60)
        screenshot(dash_duo, "form-run-live")
        dash_duo.wait_for_contains_text(".nl-run-title", "COMPLETED", timeout=120)
        dash_duo.wait_for_contains_text("#training-summary", "test accuracy")
        dash_duo.wait_for_style_to_equal("#progress", "display", "none")
        dash_duo.wait_for_contains_text("#train-status", "completed, test accuracy", timeout=60)
        assert dash_duo.find_element("#train-start").is_enabled()
        screenshot(dash_duo, "form-run-done")
        assert dash_duo.get_logs() == []
    finally:
        stop_training(launcher)


def stop_training(launcher):
    """Wait for the trainer this test started; end it (by its own pid) if it overstays."""
    deadline = time.monotonic() + 30
    while launcher.busy() and time.monotonic() < deadline:
        time.sleep(0.5)
    pid = launcher.current_pid()
    if pid:
        os.kill(pid, 15)


@pytest.mark.parametrize("typed", ["50", "0", "2.5"])
def test_an_out_of_range_epoch_count_is_refused_not_replaced(dash_duo, tmp_path, app_port, monkeypatch, typed):
    """The browser drops a number outside an input's min/max; the form must not then train with the
    last valid value while the box shows the typed one."""
    started = []
    monkeypatch.setattr(launcher_module.subprocess, "Popen", lambda command, **options: started.append(command))
    dash_duo.start_server(create_app(tmp_path / "data", allow_training=True), port=app_port)
    dash_duo.wait_for_contains_text("#empty-state", "No runs yet")
    epochs = dash_duo.find_element("#train-epochs")
    epochs.send_keys(Keys.CONTROL, "a")
    epochs.send_keys(typed)
    dash_duo.find_element("#train-start").click()
    dash_duo.wait_for_contains_text("#train-status", "Epochs must be a whole number from 1 to 30.")
    assert started == []
    assert dash_duo.get_logs() == []

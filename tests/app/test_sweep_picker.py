"""The run picker groups the runs of a sweep under a heading, where its newest run stands."""
import json
from pathlib import Path

from selenium.webdriver.common.by import By

from app import layout
from app.server import create_app
from neurons.runformat import RunSummary
from tests.helpers.browser import screenshot


def summary(run_id, created, sweep="", status="completed"):
    return RunSummary(run_id=run_id, path=Path(run_id), status=status, preset="relu", dataset="sample",
                      epochs=3, test_accuracy=0.9, created=created, sweep=sweep)


def test_a_sweeps_runs_stand_together_under_its_heading():
    runs = [summary("solo-new", "4"), summary("sw-relu-s1", "3", "sw"), summary("other", "2"),
            summary("sw-relu-s0", "1", "sw", status="interrupted")]
    options = layout.picker_options(runs)
    assert [option["value"] for option in options] == ["solo-new", "sweep:sw", "sw-relu-s0", "sw-relu-s1", "other"]
    heading = options[1]
    assert heading["disabled"] and "sw-relu-s0" in heading["search"] and "sw-relu-s1" in heading["search"]
    assert "2 runs · 1 completed · 1 interrupted" in str(heading["label"])
    assert not any(option["disabled"] for option in options if option is not heading)


def make_sweep_runs(synthetic_run):
    """A two-run sweep 'sw-demo' made between two ordinary runs."""
    for run_id, created, sweep in [("before", "2026-01-01T10:00:00Z", ""), ("sw-demo-relu-s0", "2026-01-02T10:00:00Z", "sw-demo"),
                                   ("sw-demo-relu-s1", "2026-01-02T10:01:00Z", "sw-demo"), ("after", "2026-01-03T10:00:00Z", "")]:
        manifest_file = synthetic_run(run_id) / "manifest.json"
        manifest = json.loads(manifest_file.read_text())
        manifest["created"] = created
        if sweep:
            manifest["config"]["sweep"] = sweep
        manifest_file.write_text(json.dumps(manifest))
    return synthetic_run.data_dir


def test_the_picker_shows_a_sweep_as_a_group_and_opens_its_runs(dash_duo, synthetic_run, app_port):
    dash_duo.start_server(create_app(make_sweep_runs(synthetic_run)), port=app_port)
    dash_duo.wait_for_text_to_equal(".nl-run-id", "after", timeout=30)
    dash_duo.find_element("#run-picker").click()
    dash_duo.wait_for_element(".dash-dropdown-option")
    options = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
    assert [option.text.split("\n")[:2] for option in options] == [
        ["after", "COMPLETED"], ["SWEEP", "sw-demo"], ["sw-demo-relu-s0", "COMPLETED"],
        ["sw-demo-relu-s1", "COMPLETED"], ["before", "COMPLETED"]]
    assert "2 runs · 2 completed" in options[1].text
    screenshot(dash_duo, "picker-sweep")

    options[1].click()  # the heading is no run: nothing opens
    assert dash_duo.find_element(".nl-run-id").text == "after" and "sweep" not in dash_duo.driver.current_url
    if not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
        dash_duo.find_element("#run-picker").click()
    dash_duo.wait_for_element(".dash-dropdown-option")
    options = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
    next(option for option in options if option.text.startswith("sw-demo-relu-s1")).click()
    dash_duo.wait_for_text_to_equal(".nl-run-id", "sw-demo-relu-s1", timeout=30)
    assert "run=sw-demo-relu-s1" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []

"""Journey 4 in a real browser: watch a neuron form by scrubbing, playing and ablating."""
import time

import numpy as np
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from app.server import create_app
from neurons import open_run
from neurons.runformat import RunWriter, run_path
from tests.helpers.browser import open_view, screenshot, seen
from tests.helpers.runs import dense_layers, grow, mnist_sample, random_weights

FIELD = "#neuron-field .js-plotly-plot"
LABEL = "#neuron-snapshot-label"


def shown_field(dash_duo) -> np.ndarray:
    return np.array(dash_duo.driver.execute_script(
        f"return document.querySelector('{FIELD}').data[0].z;"), dtype=float)


def shown_limit(dash_duo) -> float:
    return dash_duo.driver.execute_script(f"return document.querySelector('{FIELD}').data[0].zmax;")


def shown_colour_bar(dash_duo) -> tuple[float, float]:
    """The numbers at the ends of the HTML colour bar beside the field."""
    return tuple(float(dash_duo.find_element(f"#neuron-limit-{end}").text.replace("−", "-"))
                 for end in ("high", "low"))


def curve_marker(dash_duo):
    """The snapshot the metric curve's marker sits on."""
    return dash_duo.driver.execute_script("return document.querySelector('#neuron-curve .js-plotly-plot').data[1].x[0];")


def show_weights(dash_duo, run) -> np.ndarray:
    """Switch neuron 3 of dense_1 to its weights; its fields at every snapshot, as the app draws them."""
    dash_duo.find_element("#neuron-kind input[value='weights']").click()
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 3 of dense_1 · weights")
    return seen(run, run.receptive_fields("dense_1", 3))


def step_slider(dash_duo, key):
    dash_duo.find_element('#neuron-slider [role="slider"]').send_keys(key)


@pytest.fixture
def neuron_page(dash_duo, synthetic_run, app_port):
    path = synthetic_run("synthetic", units=(16, 8), snapshots=6)
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=synthetic&view=neuron&layer=dense_1&neuron=3")
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 5 of 0–5: epoch 5", timeout=15)
    return open_run(path)


def test_scrubbing_redraws_the_field_in_the_browser_with_fixed_limits(dash_duo, neuron_page):
    run = neuron_page
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 3 of dense_1 · change since init")  # the default
    shown_change = shown_field(dash_duo)
    fields = show_weights(dash_duo, run)
    change = fields - fields[0]
    np.testing.assert_allclose(shown_change, change[5], atol=1e-6)
    np.testing.assert_allclose(shown_field(dash_duo), fields[5], atol=1e-6)
    assert shown_limit(dash_duo) == pytest.approx(np.nanmax(np.abs(fields)), rel=1e-5)

    step_slider(dash_duo, Keys.ARROW_LEFT)
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 4 of 0–5: epoch 4")
    np.testing.assert_allclose(shown_field(dash_duo), fields[4], atol=1e-6)
    assert shown_limit(dash_duo) == pytest.approx(np.nanmax(np.abs(fields)), rel=1e-5)
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 3 of dense_1 · weights")
    dash_duo.wait_for_contains_text(LABEL, "largest |value| over all 6 snapshots")
    until(lambda: curve_marker(dash_duo) == 4, timeout=5)

    # Releasing the slider writes the snapshot into the URL; the server panels follow it.
    dash_duo.wait_for_contains_text("#neuron-means", "Class means at epoch 4", timeout=10)
    assert "snapshot=4" in dash_duo.driver.current_url

    dash_duo.find_element("#neuron-kind input[value='change']").click()
    dash_duo.wait_for_contains_text("#neuron-field", "Learned change")
    np.testing.assert_allclose(shown_field(dash_duo), change[4], atol=1e-6)
    assert shown_limit(dash_duo) == pytest.approx(np.nanmax(np.abs(change)), rel=1e-5)

    dash_duo.find_element("#neuron-kind input[value='step']").click()
    dash_duo.find_element("#neuron-scaling input[value='frame']").click()
    dash_duo.wait_for_contains_text(LABEL, "this snapshot's largest |value|")
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 3 of dense_1 · change since previous snapshot")
    step = fields[4] - fields[3]
    np.testing.assert_allclose(shown_field(dash_duo), step, atol=1e-6)
    assert shown_limit(dash_duo) == pytest.approx(np.nanmax(np.abs(step)), rel=1e-5)
    high, low = shown_colour_bar(dash_duo)
    assert high == pytest.approx(np.nanmax(np.abs(step)), rel=1e-2) and low == -high

    screenshot(dash_duo, "neuron-view")
    assert dash_duo.get_logs() == []


def test_a_burst_of_key_presses_ends_on_the_snapshot_the_slider_shows(dash_duo, neuron_page):
    fields = show_weights(dash_duo, neuron_page)
    handle = dash_duo.find_element('#neuron-slider [role="slider"]')
    handle.send_keys(Keys.ARROW_LEFT * 4 + Keys.ARROW_RIGHT)
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 2 of 0–5: epoch 2")
    assert handle.get_attribute("aria-valuenow") == "2"
    np.testing.assert_allclose(shown_field(dash_duo), fields[2], atol=1e-6)
    until(lambda: curve_marker(dash_duo) == 2, timeout=5)
    assert dash_duo.get_logs() == []


def test_dragging_the_slider_with_the_mouse_shows_each_snapshot_it_passes(dash_duo, neuron_page):
    fields = show_weights(dash_duo, neuron_page)
    handle = dash_duo.find_element('#neuron-slider [role="slider"]')
    track = dash_duo.find_element("#neuron-slider .dash-slider-track")
    drag = ActionChains(dash_duo.driver).click_and_hold(handle)
    for _ in range(3):
        drag = drag.move_by_offset(-track.size["width"] // 5, 0).pause(0.2)
    drag.perform()
    until(lambda: handle.get_attribute("aria-valuenow") == "2", timeout=5)
    np.testing.assert_allclose(shown_field(dash_duo), fields[2], atol=1e-6)
    ActionChains(dash_duo.driver).release().perform()
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 2 of 0–5: epoch 2")
    np.testing.assert_allclose(shown_field(dash_duo), fields[2], atol=1e-6)
    assert dash_duo.get_logs() == []


def test_play_advances_the_snapshots_and_pause_stops(dash_duo, neuron_page):
    dash_duo.find_element("#neuron-play").click()
    dash_duo.wait_for_text_to_equal("#neuron-play", "❚❚ Pause")
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 0 of 0–5: init", timeout=5)
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 2 of 0–5: epoch 2", timeout=5)
    dash_duo.find_element("#neuron-play").click()
    dash_duo.wait_for_text_to_equal("#neuron-play", "▶ Play")
    paused_at = dash_duo.find_element(LABEL).text
    time.sleep(1.0)  # more than two ticks of the player
    assert dash_duo.find_element(LABEL).text == paused_at
    assert dash_duo.get_logs() == []


def test_ablate_shows_per_class_accuracy_before_and_after(dash_duo, neuron_page):
    dash_duo.wait_for_contains_text("#neuron-top", "Probe digits that excite it most")
    dash_duo.find_element("#neuron-ablate").click()
    dash_duo.wait_for_element("#neuron-ablation-graph", timeout=10)
    dash_duo.wait_for_contains_text("#neuron-ablation-graph", "before → after ablating neuron 3")
    dash_duo.wait_for_contains_text("#neuron-ablation-graph", "mean-ablation")
    dash_duo.find_element("#neuron-ablate-mode input[value='zero']").click()  # redraws what is shown
    dash_duo.wait_for_contains_text("#neuron-ablation-graph", "zero-ablation (activation → 0)", timeout=10)
    assert dash_duo.get_logs() == []


def test_choosing_a_deeper_neuron_shows_expanded_weights(dash_duo, neuron_page):
    run = neuron_page
    dash_duo.select_dcc_dropdown("#neuron-layer", value="dense_2")
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 0 of dense_2")
    dash_duo.wait_for_contains_text("#neuron-field", "expanded weights")
    np.testing.assert_allclose(shown_field(dash_duo), seen(run, run.receptive_field("dense_2", 0, 5, kind="change")), atol=1e-5)
    assert "layer=dense_2" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_a_live_run_s_new_snapshot_reaches_the_scrubber(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=neuron&layer=dense_1&neuron=2", LABEL,
                     "Snapshot 2 of 0–2: epoch 2", run_id="live", units=(16, 8), snapshots=3, status="running")

    grow(path, 3)
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 3 of 0–3: epoch 3", timeout=15)
    run = open_run(path)
    np.testing.assert_allclose(shown_field(dash_duo), seen(run, run.receptive_field("dense_1", 2, 3, kind="change")),
                               atol=1e-6)
    assert dash_duo.get_logs() == []


def test_a_run_without_snapshots_says_so_until_the_first_one_lands(dash_duo, tmp_path, app_port):
    data_dir = tmp_path / "data"
    layers = dense_layers((16, 8), batchnorm=True)
    writer = RunWriter.create(run_path(data_dir, "fresh"), run_id="fresh", preset="synthetic",
                              config={"epochs": 3}, layers=layers, capacity=4,
                              dataset={"name": "sample", "source": "test", "train": 0, "val": 0, "test": 50,
                                       "probe": 50})
    images, labels = mnist_sample(50)
    writer.write_probe(images, labels)
    writer.write_live_pixels(images.reshape(50, -1).std(axis=0).reshape(28, 28) > 0)
    dash_duo.start_server(create_app(data_dir, allow_training=False), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=fresh&view=neuron")
    dash_duo.wait_for_contains_text("#neuron-waiting", "no snapshot yet", timeout=15)
    assert dash_duo.find_element("#neuron-body").get_attribute("hidden")

    writer.append_snapshot(random_weights(layers, np.random.default_rng(1)), label="init", epoch=0, step=0)
    dash_duo.wait_for_contains_text(LABEL, "Snapshot 0 of 0–0: init · no change yet", timeout=15)
    assert dash_duo.find_element("#neuron-limit-high").text == "0", "no meaningless ±1e-9 limit"
    assert dash_duo.find_element("#neuron-waiting").get_attribute("hidden")
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("typed", ["99", "-3", "2.5"])
def test_a_neuron_number_out_of_range_is_refused_with_a_message(dash_duo, neuron_page, typed):
    box = dash_duo.find_element("#neuron-index")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(typed + "\n")
    dash_duo.wait_for_contains_text("#message", "dense_1 has neurons 0 to 15; still showing neuron 3.")
    dash_duo.wait_for_text_to_equal("#neuron-index", "3")
    assert "neuron=3" in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 3 of dense_1")

    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("7\n")
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 7 of dense_1", timeout=10)
    assert dash_duo.find_element("#message").get_attribute("hidden") == "true"
    assert dash_duo.get_logs() == []


def test_an_import_without_initialisation_says_its_change_is_the_weights():
    from app.views.neuron import field_subtitle

    class Imported:
        hidden_layers = ["dense_1", "dense_2"]
        has_initialisation = False

    for layer in Imported.hidden_layers:
        assert "RF₀ = 0" in field_subtitle(Imported, layer)["change"]
        assert len(field_subtitle(Imported, layer)["change"]) <= 70  # as every subtitle above the field
    Imported.has_initialisation = True
    assert field_subtitle(Imported, "dense_1")["change"].startswith("Learned change")

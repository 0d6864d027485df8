"""The neuron page's "responds to and does" panels in a real browser (issue 11): the responds-to
picture scrubbing with the field's slider, histogram, exemplars, logit effects, correlated neurons
and the dream, also on a run that grows while the page is open."""
import numpy as np
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

from app.server import create_app
from neurons import open_run
from tests.helpers.browser import seen
from tests.helpers.runs import grow

LABEL = "#neuron-snapshot-label"
RESPONDS = "#neuron-responds"


def shown_picture(dash_duo) -> np.ndarray:
    return np.array(dash_duo.driver.execute_script(
        f"return document.querySelector('{RESPONDS} .js-plotly-plot').data[0].z;"), dtype=float)


def trace_names(dash_duo, graph: str) -> list[str]:
    return dash_duo.driver.execute_script(
        f"return document.querySelector('{graph} .js-plotly-plot').data.map(trace => trace.name);")


def open_neuron(dash_duo, synthetic_run, port, run_id="synthetic", query="", **options):
    path = synthetic_run(run_id, units=(16, 8), **options)
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run={run_id}&view=neuron&layer=dense_1&neuron=3{query}")
    return open_run(path)


@pytest.fixture
def page(dash_duo, synthetic_run, app_port):
    run = open_neuron(dash_duo, synthetic_run, app_port, snapshots=6)
    dash_duo.wait_for_contains_text(LABEL, ": epoch 5 ·", timeout=15)
    dash_duo.wait_for_contains_text(RESPONDS, "Neuron 3 responds to", timeout=15)
    return run


def test_responds_to_scrubs_with_the_field_slider_and_shows_as_ink(dash_duo, page):
    run = page
    pictures = seen(run, run.responds_to_frames("dense_1", 3))
    until(lambda: np.allclose(shown_picture(dash_duo), pictures[5], atol=1e-6, equal_nan=True), timeout=5)
    dash_duo.find_element('#neuron-slider [role="slider"]').send_keys(Keys.ARROW_LEFT)
    dash_duo.wait_for_contains_text(LABEL, ": epoch 4 ·")
    until(lambda: np.allclose(shown_picture(dash_duo), pictures[4], atol=1e-6, equal_nan=True), timeout=5)

    dash_duo.find_element("#neuron-responds-kind input[value='ink']").click()
    dash_duo.wait_for_contains_text(RESPONDS, "activation-weighted mean probe digit Σ")
    ink = pictures[4] + seen(run, run.probe_images.mean(axis=0) / 255)
    until(lambda: np.allclose(shown_picture(dash_duo), ink, atol=1e-5, equal_nan=True), timeout=5)
    assert dash_duo.get_logs() == []


def test_histogram_logit_effects_and_exemplars_follow_the_neuron(dash_duo, page):
    run = page
    dash_duo.wait_for_contains_text("#neuron-histogram", "Activation histogram at epoch 5", timeout=10)
    assert trace_names(dash_duo, "#neuron-histogram") == [str(digit) for digit in run.classes]
    dash_duo.find_element("#neuron-histogram-scale input[value='density']").click()
    dash_duo.wait_for_contains_text("#neuron-histogram", "density, log axis")
    assert dash_duo.driver.execute_script(
        "return document.querySelector('#neuron-histogram .js-plotly-plot')._fullLayout.yaxis.type;") == "log"

    dash_duo.wait_for_contains_text("#neuron-logit-effects", "What it does to each digit's logit")
    effects = run.logit_effects("dense_1", 3)
    shown = dash_duo.driver.execute_script(
        "return Array.from(document.querySelector('#neuron-logit-effects .js-plotly-plot')._fullData[1].y);")
    np.testing.assert_allclose(shown, effects["measured"], atol=1e-5)

    bands = dash_duo.find_elements("#neuron-exemplars .nl-band")
    assert [band.find_element("css selector", ".nl-band-label").text for band in bands] == [
        "top 1%", "1–10% from the top", "10–50% from the top"]
    exemplars = run.exemplars("dense_1", 3)
    first = int(exemplars["example"].iloc[0])
    bands[0].find_element("css selector", "a").click()
    until(lambda: "view=example" in dash_duo.driver.current_url and f"example={first}" in dash_duo.driver.current_url,
          timeout=10)
    assert dash_duo.get_logs() == []


def test_a_correlated_neuron_chip_opens_that_neuron(dash_duo, page):
    run = page
    table = run.correlated_neurons("dense_1", 3)
    chips = dash_duo.find_elements("#neuron-correlated .nl-chip")
    assert len(chips) == len(table)
    first = table.iloc[0]
    assert chips[0].text.startswith(f"{first['layer']} · {first['neuron']}")
    chips[0].click()
    until(lambda: f"neuron={first['neuron']}" in dash_duo.driver.current_url, timeout=10)
    dash_duo.wait_for_contains_text(RESPONDS, f"Neuron {first['neuron']} responds to", timeout=30)
    assert dash_duo.get_logs() == []


def test_the_dream_is_computed_on_request_and_kept_in_the_link(dash_duo, page):
    run = page
    assert dash_duo.find_element("#neuron-dream").text == ""
    dash_duo.find_element("#neuron-dream-button").click()
    dash_duo.wait_for_contains_text("#neuron-dream", "Dream of neuron 3 at epoch 5", timeout=20)
    dream = run.maximize("dense_1", 3)
    dash_duo.wait_for_contains_text("#neuron-dream", f"seed 0 · h {dream['activations'][0]:.2f}")
    dash_duo.wait_for_contains_text("#neuron-dream", f"h {dream['best_activation']:.2f}")
    until(lambda: "dream=on" in dash_duo.driver.current_url, timeout=5)
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#neuron-dream", "Dream of neuron 3 at epoch 5", timeout=20)
    assert dash_duo.get_logs() == []


def test_the_panels_take_in_a_live_run_s_new_snapshot(dash_duo, synthetic_run, app_port):
    run = open_neuron(dash_duo, synthetic_run, app_port, run_id="live", query="&dream=on", snapshots=3,
                      status="running")
    dash_duo.wait_for_contains_text(LABEL, ": epoch 2 ·", timeout=15)
    dash_duo.wait_for_contains_text("#neuron-dream", "Dream of neuron 3 at epoch 2", timeout=20)
    grow(run.path, 3)
    dash_duo.wait_for_contains_text(LABEL, ": epoch 3 ·", timeout=15)
    dash_duo.wait_for_contains_text("#neuron-histogram", "Activation histogram at epoch 3", timeout=15)
    dash_duo.wait_for_contains_text("#neuron-dream", "Dream of neuron 3 at epoch 3", timeout=20)
    grown = open_run(run.path)
    until(lambda: np.allclose(shown_picture(dash_duo), seen(grown, grown.responds_to("dense_1", 3, 3)), atol=1e-6,
                              equal_nan=True), timeout=10)
    assert dash_duo.get_logs() == []

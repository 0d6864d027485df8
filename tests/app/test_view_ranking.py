"""Journey 5 in a real browser: rank a layer's neurons, sort, open one, download the table."""
import time
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.keys import Keys
from tests.app.browser_helpers import open_view

from neurons import open_run

TABLE = "#ranking-table"


def first_row_neuron(dash_duo) -> int:
    return int(dash_duo.find_element(f"{TABLE} td[data-dash-column='neuron']").text)


def test_table_sorts_opens_a_neuron_and_downloads_csv(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=ranking&layer=dense_1&snapshot=3",
                     "#ranking-caption", "16 neurons of dense_1 at epoch 3", units=(16, 8), snapshots=4)
    run = open_run(path)
    focus = run.focus_table("dense_1", 3)["focus"]
    selectivity = run.selectivity("dense_1", 3)["si"]
    assert first_row_neuron(dash_duo) == int(focus.idxmax())  # default: focus, highest first
    assert dash_duo.find_element(f"{TABLE} td[data-dash-column='field'] img").get_attribute("src").startswith(
        "data:image/png")

    sort = f"{TABLE} th[data-dash-column='si'] .column-header--sort"
    dash_duo.find_element(sort).click()
    dash_duo.wait_for_text_to_equal(f"{TABLE} td[data-dash-column='neuron']", str(int(selectivity.idxmin())))
    dash_duo.find_element(sort).click()
    dash_duo.wait_for_text_to_equal(f"{TABLE} td[data-dash-column='neuron']", str(int(selectivity.idxmax())))
    dash_duo.driver.save_screenshot("/tmp/ranking-view-test.png")

    download_dir = Path(dash_duo.download_path)
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": str(download_dir)})
    dash_duo.find_element("#ranking-download-button").click()
    deadline = time.time() + 10
    while not list(download_dir.glob("*.csv")) and time.time() < deadline:
        time.sleep(0.2)
    [csv] = download_dir.glob("*.csv")
    assert csv.name == "synthetic-dense_1-epoch-3-neurons.csv"
    table = pd.read_csv(csv)
    assert list(table["neuron"]) == list(range(16))
    assert table["focus"].to_numpy() == pytest.approx(focus.to_numpy())

    top = int(selectivity.idxmax())
    dash_duo.find_element(f"{TABLE} td[data-dash-column='focus']").click()
    dash_duo.wait_for_contains_text("#neuron-field", f"Neuron {top} of dense_1", timeout=10)
    assert f"neuron={top}" in dash_duo.driver.current_url and "view=neuron" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_a_row_opens_its_neuron_again_after_the_back_button(dash_duo, synthetic_run, app_port):
    open_view(dash_duo, synthetic_run, app_port, "view=ranking&layer=dense_1&snapshot=3",
              "#ranking-caption", "16 neurons of dense_1 at epoch 3", units=(16, 8), snapshots=4)
    top = first_row_neuron(dash_duo)
    for _ in range(2):
        dash_duo.find_element(f"{TABLE} td[data-dash-column='focus']").click()
        dash_duo.wait_for_contains_text("#neuron-field", f"Neuron {top} of dense_1", timeout=10)
        assert f"neuron={top}" in dash_duo.driver.current_url
        dash_duo.driver.back()
        dash_duo.wait_for_text_to_equal(".nl-tab-active", "Ranking")
        assert "view=ranking" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_neurons_that_never_fire_are_filtered_out_at_first_and_can_be_shown(dash_duo, synthetic_run, app_port):
    silent = (2, 9)
    open_view(dash_duo, synthetic_run, app_port, "view=ranking&layer=dense_1&snapshot=3",
              "#ranking-caption", "16 neurons of dense_1 at epoch 3", units=(16, 8), snapshots=4, silent=silent)
    dash_duo.wait_for_contains_text("#ranking-caption", "2 of them fire on fewer than 1% of probe digits")
    filter_cell = dash_duo.find_element(f"{TABLE} th.dash-filter[data-dash-column='active_share'] input")
    assert filter_cell.get_attribute("value") == ">= 0.01"
    dash_duo.find_element(f"{TABLE} .previous-next-container .next-page").click()
    shown = {int(cell.text) for cell in dash_duo.find_elements(f"{TABLE} td[data-dash-column='neuron']")}
    dash_duo.find_element(f"{TABLE} .previous-next-container .first-page").click()
    shown |= {int(cell.text) for cell in dash_duo.find_elements(f"{TABLE} td[data-dash-column='neuron']")}
    assert shown == set(range(16)) - set(silent)

    filter_cell.click()
    filter_cell.send_keys(Keys.CONTROL + "a", Keys.BACKSPACE, Keys.ENTER)
    dash_duo.find_element(f"{TABLE} th[data-dash-column='active_share'] .column-header--sort").click()
    dash_duo.wait_for_text_to_equal(f"{TABLE} td[data-dash-column='active_share']", "0.0%")
    assert int(dash_duo.find_element(f"{TABLE} td[data-dash-column='neuron']").text) in silent
    assert dash_duo.get_logs() == []


def test_quiet_neurons_are_counted_only_where_silence_means_something():
    from app.views import ranking

    rows = [{"active_share": share} for share in (0.0, 0.5, 0.0099, 0.01)]
    assert ranking.quiet_neurons(rows) == 2
    assert ranking.quiet_neurons([{"active_share": None}] * 3) is None, "a sigmoid layer: no share"

"""Journey 5 in a real browser: rank a layer's neurons, sort, open one, download the table."""
import time
from pathlib import Path

import pandas as pd
import pytest
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

"""Journey 5 in a real browser: rank a layer's neurons in the AG Grid, sort, filter, open one,
download the table; and the grid's rows, columns and file name as plain functions."""
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from selenium.webdriver.common.keys import Keys
from tests.helpers.browser import open_view
from tests.helpers.runs import grow

from app.server import create_app
from app.views import ranking
from neurons import open_run

TABLE = "#ranking-table"
READY = "16 neurons of dense_1 at epoch 3"
# Every row that passes the grid's filter, in its sort order (all pages, not only the one shown).
GRID_ROWS = """const rows = [];
dash_ag_grid.getApi('ranking-table').forEachNodeAfterFilterAndSort(node => rows.push(node.data.neuron));
return rows;"""


def open_ranking(dash_duo, synthetic_run, app_port, **run_options):
    return open_view(dash_duo, synthetic_run, app_port, "view=ranking&layer=dense_1&snapshot=3",
                     "#ranking-caption", READY, units=(16, 8), snapshots=4, **run_options)


def grid_rows(dash_duo) -> list[int]:
    return dash_duo.driver.execute_script(GRID_ROWS)


def first_row_neuron(dash_duo) -> int:
    """The neuron in the grid's first shown row (read from the page, as a user sees it)."""
    return int(dash_duo.find_element(f"{TABLE} .ag-row[row-index='0'] [col-id='neuron']").text)


def wait_for_first_row(dash_duo, neuron: int) -> None:
    dash_duo.wait_for_text_to_equal(f"{TABLE} .ag-row[row-index='0'] [col-id='neuron']", str(neuron))


def sort_by(dash_duo, column: str) -> None:
    dash_duo.find_element(f"{TABLE} .ag-header-cell[col-id='{column}'] .ag-header-cell-label").click()


def filter_box(dash_duo, column: str):
    return dash_duo.find_element(f"{TABLE} .ag-floating-filter[col-id='{column}'] input")


def type_filter(dash_duo, column: str, text: str) -> None:
    box = filter_box(dash_duo, column)
    box.click()
    box.send_keys(Keys.CONTROL + "a")  # one call each: a modifier stays down until its call ends
    box.send_keys(Keys.BACKSPACE)
    if text:
        box.send_keys(text)


def wait_for_rows(dash_duo, expected, timeout=10) -> None:
    deadline = time.time() + timeout
    while sorted(grid_rows(dash_duo)) != sorted(expected) and time.time() < deadline:
        time.sleep(0.1)
    assert sorted(grid_rows(dash_duo)) == sorted(expected)


def test_the_grid_sorts_filters_and_shows_each_field(dash_duo, synthetic_run, app_port):
    path = open_ranking(dash_duo, synthetic_run, app_port)
    run = open_run(path)
    focus = run.focus_table("dense_1", 3)["focus"]
    selectivity = run.selectivity("dense_1", 3)["si"].round(3)
    wait_for_first_row(dash_duo, int(focus.idxmax()))  # default: focus, highest first
    thumbnail = dash_duo.find_element(f"{TABLE} .ag-row[row-index='0'] [col-id='field'] img")
    assert thumbnail.get_attribute("src").startswith("data:image/png")
    assert thumbnail.get_attribute("alt") == f"field of neuron {int(focus.idxmax())}"
    assert dash_duo.find_element(f"{TABLE} .ag-header-cell[col-id='focus']").get_attribute("aria-sort") == "descending"

    sort_by(dash_duo, "si")
    wait_for_first_row(dash_duo, int(selectivity.idxmax()))
    assert grid_rows(dash_duo) == list(selectivity.sort_values(ascending=False, kind="stable").index)
    sort_by(dash_duo, "si")
    wait_for_first_row(dash_duo, int(selectivity.idxmin()))

    type_filter(dash_duo, "si", "lots")
    assert filter_box(dash_duo, "si").get_attribute("aria-invalid") == "true", "said to be no comparison"
    wait_for_rows(dash_duo, range(16))
    type_filter(dash_duo, "si", "> 0.5")
    wait_for_rows(dash_duo, selectivity.index[selectivity > 0.5])
    assert filter_box(dash_duo, "si").get_attribute("aria-invalid") == "false"
    assert first_row_neuron(dash_duo) == int(selectivity[selectivity > 0.5].idxmin())
    type_filter(dash_duo, "si", "0.2 to 0.6")
    wait_for_rows(dash_duo, selectivity.index[(selectivity >= 0.2) & (selectivity <= 0.6)])
    type_filter(dash_duo, "neuron", "≤ 3")
    wait_for_rows(dash_duo, [neuron for neuron in range(4) if 0.2 <= selectivity[neuron] <= 0.6])
    type_filter(dash_duo, "si", "")
    type_filter(dash_duo, "neuron", "")
    wait_for_rows(dash_duo, range(16))
    assert dash_duo.get_logs() == []


def test_a_row_opens_its_neuron_again_after_the_back_button(dash_duo, synthetic_run, app_port):
    open_ranking(dash_duo, synthetic_run, app_port)
    top = first_row_neuron(dash_duo)
    for _ in range(2):
        dash_duo.find_element(f"{TABLE} .ag-row[row-index='0'] [col-id='focus']").click()
        dash_duo.wait_for_contains_text("#neuron-field", f"Neuron {top} of dense_1", timeout=10)
        assert f"neuron={top}" in dash_duo.driver.current_url and "view=neuron" in dash_duo.driver.current_url
        dash_duo.driver.back()
        dash_duo.wait_for_text_to_equal(".nl-tab-active", "Ranking")
        assert "view=ranking" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_the_csv_holds_every_neuron_whatever_the_filter_hides(dash_duo, synthetic_run, app_port):
    path = open_ranking(dash_duo, synthetic_run, app_port, silent=(2, 9))
    type_filter(dash_duo, "si", "> 0.5")
    run = open_run(path)
    focus, selectivity = run.focus_table("dense_1", 3), run.selectivity("dense_1", 3)
    wait_for_rows(dash_duo, [neuron for neuron in range(16) if round(selectivity["si"][neuron], 3) > 0.5
                             and neuron not in (2, 9)])

    download_dir = Path(dash_duo.download_path)
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    dash_duo.find_element("#ranking-download-button").click()
    deadline = time.time() + 10
    while not list(download_dir.glob("*.csv")) and time.time() < deadline:
        time.sleep(0.2)
    [csv] = download_dir.glob("*.csv")
    assert csv.name == "synthetic-dense_1-epoch-3-neurons.csv"
    table = pd.read_csv(csv)
    assert list(table.columns) == list(ranking.COLUMNS)
    assert list(table["neuron"]) == list(range(16))
    assert table["focus"].to_numpy() == pytest.approx(focus["focus"].to_numpy())  # unrounded
    assert table["active_share"].to_numpy() == pytest.approx(selectivity["active_share"].to_numpy())
    assert dash_duo.get_logs() == []


def test_neurons_that_never_fire_are_filtered_out_at_first_and_can_be_shown(dash_duo, synthetic_run, app_port):
    silent = (2, 9)
    open_ranking(dash_duo, synthetic_run, app_port, silent=silent)
    dash_duo.wait_for_contains_text("#ranking-caption", "2 of them fire on fewer than 1% of probe digits")
    assert "the filter ≥ 1% under “active” hides them" in dash_duo.find_element("#ranking-caption").text
    dash_duo.wait_for_text_to_equal(f"{TABLE} .ag-floating-filter[col-id='active_share'] input", "≥ 1%")
    assert filter_box(dash_duo, "active_share").get_attribute("value") == "≥ 1%"
    wait_for_rows(dash_duo, set(range(16)) - set(silent))
    assert "1 to 10 of 14" in dash_duo.find_element(f"{TABLE} .ag-paging-row-summary-panel").text

    type_filter(dash_duo, "active_share", "")
    wait_for_rows(dash_duo, range(16))
    sort_by(dash_duo, "active_share")
    sort_by(dash_duo, "active_share")  # the second click sorts lowest first
    dash_duo.wait_for_text_to_equal(f"{TABLE} .ag-row[row-index='0'] [col-id='active_share']", "0.0%")
    assert first_row_neuron(dash_duo) in silent

    # The filter row is now the user's: scrubbing to another snapshot keeps it cleared.
    dash_duo.find_element('#ranking-snapshot [role="slider"]').send_keys(Keys.ARROW_LEFT)
    dash_duo.wait_for_contains_text("#ranking-caption", "16 neurons of dense_1 at epoch 2")
    assert filter_box(dash_duo, "active_share").get_attribute("value") == ""
    wait_for_rows(dash_duo, range(16))
    assert dash_duo.get_logs() == []


def test_an_open_grid_follows_a_run_that_is_still_training(dash_duo, synthetic_run, app_port):
    path = synthetic_run("live", units=(16, 8), snapshots=3, status="running")
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=live&view=ranking&layer=dense_1")
    dash_duo.wait_for_contains_text("#ranking-caption", "16 neurons of dense_1 at epoch 2", timeout=20)
    sort_by(dash_duo, "si")
    type_filter(dash_duo, "focus", "> 0")

    grow(path, 3)
    dash_duo.wait_for_contains_text("#ranking-caption", "16 neurons of dense_1 at epoch 3", timeout=15)
    selectivity = open_run(path).selectivity("dense_1", 3)["si"].round(3)
    wait_for_first_row(dash_duo, int(selectivity.idxmax()))  # the user's sort, on the new snapshot's numbers
    assert grid_rows(dash_duo) == list(selectivity.sort_values(ascending=False, kind="stable").index)
    assert filter_box(dash_duo, "focus").get_attribute("value") == "> 0"
    assert dash_duo.get_logs() == []


def test_quiet_neurons_are_counted_only_where_silence_means_something():
    rows = [{"active_share": share} for share in (0.0, 0.5, 0.0099, 0.01)]
    assert ranking.quiet_neurons(rows) == 2
    assert ranking.quiet_neurons([{"active_share": None}] * 3) is None, "a sigmoid layer: no share"


def test_grid_rows_round_to_the_places_shown_and_keep_undefined_blank():
    frame = pd.DataFrame({"neuron": [0, 1], "focus": [0.12345, np.nan], "effective_pixels": [12.34, 50.0],
                          "top20_share": [0.5, 0.25], "spread": [3.14159, 2.0], "blobs": [2.0, 1.0],
                          "si": [0.98765, 0.1], "best_digit": [4.0, np.nan], "d_prime": [1.234, 0.0],
                          "active_share": [0.123456, 0.0]})
    first, second = ranking.grid_rows(frame, ["data:image/png;base64,A", "data:image/png;base64,B"])
    assert first == {"neuron": 0, "focus": 0.123, "effective_pixels": 12.3, "top20_share": 0.5, "spread": 3.14,
                     "blobs": 2, "si": 0.988, "best_digit": 4, "d_prime": 1.23, "active_share": 0.123,
                     "field": "data:image/png;base64,A", "id": "0"}
    assert second["focus"] is None and second["best_digit"] is None and second["id"] == "1"
    assert isinstance(first["blobs"], int) and isinstance(first["best_digit"], int)


def test_every_metric_column_is_a_grid_column_with_its_definition():
    definitions = ranking.column_defs()
    assert [column["field"] for column in definitions] == ["field", *ranking.COLUMNS]
    assert definitions[0]["cellRenderer"] == "FieldThumbnail" and definitions[0]["sortable"] is False
    for column in definitions[1:]:
        assert column["headerTooltip"] == ranking.COLUMNS[column["field"]].definition
    [sorted_column] = [column["field"] for column in definitions if column.get("sort")]
    assert sorted_column == "focus"
    percents = [column for column in definitions if "filterValueGetter" in column]
    assert [column["field"] for column in percents] == ["active_share", "importance"]
    assert all(column["floatingFilterComponentParams"] == {"unit": "%"} for column in percents)
    assert ranking.QUIET_FILTER["active_share"]["filter"] == pytest.approx(100 * ranking.QUIET_SHARE)


@pytest.mark.parametrize("label, name", [("epoch 3", "run-1-dense_1-epoch-3-neurons.csv"),
                                         ("epoch 2 · step 50", "run-1-dense_1-epoch-2-step-50-neurons.csv"),
                                         ("init", "run-1-dense_1-init-neurons.csv")])
def test_the_csv_file_name_has_only_plain_characters(label, name):
    assert ranking.csv_name("run-1", "dense_1", label) == name

"""Journey 3 in a real browser: a layer's mosaic at a snapshot; clicking a tile opens the neuron."""
from tests.helpers.browser import click_plot_at, open_view, screenshot, shown_matrix

from app import figures

MOSAIC = "#layer-mosaic"


def test_mosaic_shows_every_neuron_and_a_click_opens_one(dash_duo, synthetic_run, app_port):
    open_view(dash_duo, synthetic_run, app_port, "view=layer&layer=dense_1&snapshot=2", MOSAIC,
              "All 16 neurons of dense_1 at epoch 2", units=(16, 8), snapshots=4)
    shown = dash_duo.driver.execute_script(
        f"return document.querySelector('{MOSAIC} .js-plotly-plot').data.length;")
    assert shown == 1  # one figure, one trace, every tile in it

    dash_duo.find_element("#layer-order input[value='focus']").click()
    dash_duo.wait_for_contains_text(MOSAIC, "sorted by focus")
    dash_duo.find_element("#layer-scale input[value='tile']").click()
    dash_duo.wait_for_contains_text(MOSAIC, "each tile scaled")
    screenshot(dash_duo, "layer-view")

    columns = figures.mosaic_columns(16)
    tile = 5
    neuron_map = shown_matrix(dash_duo, MOSAIC, "customdata")
    pitch = 28 + figures.TILE_GAP
    x, y = (tile % columns) * pitch + 14, (tile // columns) * pitch + 14
    expected = int(neuron_map[y, x])
    click_plot_at(dash_duo, MOSAIC, x, y)
    dash_duo.wait_for_contains_text("#neuron-field", f"Neuron {expected} of dense_1", timeout=10)
    assert "view=neuron" in dash_duo.driver.current_url and f"neuron={expected}" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []

"""The layer mosaic's "responds to" tiles (issue 11), a choice the link keeps."""
import numpy as np

from neurons import open_run
from tests.helpers.browser import open_view, seen, shown_matrix
from app import figures


def test_the_mosaic_shows_what_each_neuron_responds_to(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=layer&layer=dense_1", "#layer-mosaic",
                     "All 16 neurons of dense_1", units=(16, 8), snapshots=3)
    dash_duo.find_element("#layer-kind input[value='responds_to']").click()
    dash_duo.wait_for_contains_text("#layer-mosaic", "what each responds to", timeout=15)
    assert "tiles=responds_to" in dash_duo.driver.current_url
    run = open_run(path)
    expected, _ = figures.tile_fields(seen(run, run.layer_responds_to("dense_1")), figures.mosaic_columns(16))
    np.testing.assert_allclose(shown_matrix(dash_duo, "#layer-mosaic"), expected, atol=1e-5, equal_nan=True)
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#layer-mosaic", "what each responds to", timeout=20)
    assert dash_duo.find_element("#layer-kind input[value='responds_to']").is_selected()
    assert dash_duo.get_logs() == []

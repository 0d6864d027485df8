"""Layer health on the Training tab, in a real browser: a figure per hidden layer that follows a
run while it trains."""
from dash.testing.wait import until

from app.server import create_app
from tests.helpers.runs import grow

HEALTH = "#health-figures"


def drawn_snapshots(dash_duo, position: int) -> int:
    """Snapshots on the update-ratio line of the `position`-th layer's figure."""
    return dash_duo.driver.execute_script(
        "const plots = document.querySelectorAll('#health-figures .js-plotly-plot');"
        "const data = plots[arguments[0]].data;"
        "return data[data.length - 1].x.length;", position)


def test_health_of_every_layer_follows_a_training_run(dash_duo, synthetic_run, app_port):
    path = synthetic_run("live", units=(16, 8), snapshots=3, status="running", silent=(0, 1))
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=live&view=training")
    dash_duo.wait_for_contains_text(HEALTH, "dense_1 (relu): health over training", timeout=20)
    dash_duo.wait_for_contains_text(HEALTH, "dense_2 (relu): health over training")
    assert "dead neurons (silent on every probe digit)" in dash_duo.find_element(HEALTH).text
    shares = dash_duo.driver.execute_script(
        "const data = document.querySelector('#health-figures .js-plotly-plot').data;"
        "return data.find(trace => (trace.name || '').startsWith('dead')).y;")
    assert min(shares) >= 2 / 16, "the two silenced neurons count as dead"
    assert drawn_snapshots(dash_duo, 0) == 3

    grow(path, 3)
    until(lambda: drawn_snapshots(dash_duo, 0) == 4, timeout=20)
    assert drawn_snapshots(dash_duo, 1) == 4
    assert dash_duo.get_logs() == []

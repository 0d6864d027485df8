"""The ranking's importance and noise panels (issue 11): the focus basis in the link, the caption's
count of neurons clear of noise, the selectivity-vs-importance scatter (click → neuron) and the
ablation curves, also on a run that grows while the page is open; the caption as a plain function."""
import numpy as np
import pandas as pd
from dash.testing.wait import until

from app.server import create_app
from app.views import ranking_importance
from neurons import open_run
from tests.helpers.browser import click_plot_at
from tests.helpers.runs import grow

CAPTION = "#ranking-caption"


def open_ranking(dash_duo, synthetic_run, port, run_id="synthetic", **options):
    path = synthetic_run(run_id, units=(16, 8), **options)
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run={run_id}&view=ranking&layer=dense_1")
    dash_duo.wait_for_contains_text(CAPTION, "stand clear of noise", timeout=20)
    return open_run(path)


def test_noise_caption_counts_neurons_at_or_above_the_threshold():
    table = pd.DataFrame({"focus_z": [5.0, 3.0, 2.9, np.nan]})
    assert ranking_importance.noise_caption(table, "change").startswith("2 of 4 neurons stand clear of noise")
    assert "shuffled across the probe digits" in ranking_importance.noise_caption(table, "responds_to")


def test_the_basis_is_chosen_in_the_link_and_the_caption_counts_neurons_clear_of_noise(dash_duo, synthetic_run,
                                                                                        app_port):
    run = open_ranking(dash_duo, synthetic_run, app_port, snapshots=4)
    change = run.focus_above_noise("dense_1")
    clear = int((change["focus_z"] >= 3).sum())
    dash_duo.wait_for_contains_text(CAPTION, f"{clear} of 16 neurons stand clear of noise")
    dash_duo.find_element("#ranking-basis input[value='responds_to']").click()
    dash_duo.wait_for_contains_text(CAPTION, "computed on the responds-to picture", timeout=15)
    assert "basis=responds_to" in dash_duo.driver.current_url
    responds = run.focus_above_noise("dense_1", basis="responds_to")
    dash_duo.wait_for_contains_text(CAPTION, f"{int((responds['focus_z'] >= 3).sum())} of 16 neurons stand clear")
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text(CAPTION, "computed on the responds-to picture", timeout=20)
    assert dash_duo.find_element("#ranking-basis input[value='responds_to']").is_selected()
    assert dash_duo.get_logs() == []


def test_the_scatter_opens_a_neuron_and_the_curves_show_three_orders(dash_duo, synthetic_run, app_port):
    run = open_ranking(dash_duo, synthetic_run, app_port, snapshots=4)
    dash_duo.wait_for_contains_text("#ranking-curves", "ablated", timeout=15)
    names = dash_duo.driver.execute_script(
        "return document.querySelector('#ranking-curves .js-plotly-plot').data.map(trace => trace.name);")
    assert names == ["by importance", "by selectivity", "random order"]
    drops = run.importance("dense_1")["importance"]
    selectivity = run.selectivity("dense_1")["si"]
    neuron = int(np.argmax(drops.to_numpy() + 1e-6 * np.arange(len(drops))))
    click_plot_at(dash_duo, "#ranking-scatter", float(selectivity[neuron]), float(drops[neuron]))
    until(lambda: "view=neuron" in dash_duo.driver.current_url, timeout=10)
    assert "neuron=" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_the_panels_follow_a_run_that_is_still_training(dash_duo, synthetic_run, app_port):
    run = open_ranking(dash_duo, synthetic_run, app_port, run_id="live", snapshots=3, status="running")
    dash_duo.wait_for_contains_text("#ranking-scatter", "at epoch 2", timeout=15)
    grow(run.path, 3)
    dash_duo.wait_for_contains_text("#ranking-scatter", "at epoch 3", timeout=20)
    dash_duo.wait_for_contains_text(CAPTION, "at epoch 3")
    assert dash_duo.get_logs() == []

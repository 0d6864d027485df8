"""The Space tab in a real browser: the map (PCA at once, t-SNE in the background), the probe curves,
CKA, the confusion matrix and its digits; and the same page left open on a run that is still training."""
import numpy as np
from selenium.webdriver.common.keys import Keys

from app.server import create_app
from neurons import open_run
from tests.helpers.browser import click_plot_at, hover_plot_at, open_view
from tests.helpers.runs import grow

PCA_MAP = "#space-map-box-pca"
TSNE_MAP = "#space-map-box-tsne"
QUERY = "view=space&layer=dense_1&snapshot=2"


def drawn_points(dash_duo, container) -> int:
    """Points drawn on the map, ring trace left out."""
    return dash_duo.driver.execute_script(
        "const data = document.querySelector(arguments[0] + ' .js-plotly-plot').data;"
        "return data.slice(0, -1).reduce((total, trace) => total + trace.x.length, 0);", container)


def test_map_hover_shows_the_digit_and_a_click_opens_it(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, QUERY, PCA_MAP,
                     "dense_1 at epoch 2: probe digits mapped by PCA", units=(16, 8), snapshots=4)
    assert drawn_points(dash_duo, PCA_MAP) == 200
    dash_duo.wait_for_contains_text(PCA_MAP, "turned (Procrustes) to match epoch 3")
    frame = open_run(path).projection("dense_1", 2)
    example = int(frame.index[7])
    x, y = frame.loc[example, ["x", "y"]]
    hover_plot_at(dash_duo, PCA_MAP, x, y)
    dash_duo.wait_for_element(".nl-space-tip img", timeout=10)
    dash_duo.wait_for_contains_text(".nl-space-tip", f"a {frame.loc[example, 'label']}")

    dash_duo.find_element('#space-snapshot [role="slider"]').send_keys(Keys.ARROW_RIGHT)
    dash_duo.wait_for_contains_text(PCA_MAP, "dense_1 at epoch 3: probe digits mapped by PCA", timeout=10)
    assert "snapshot=3" in dash_duo.driver.current_url
    frame = open_run(path).projection("dense_1", 3)
    x, y = frame.loc[example, ["x", "y"]]
    click_plot_at(dash_duo, PCA_MAP, x, y)
    dash_duo.wait_for_contains_text("#example-caption", f"Probe example #{example}", timeout=10)
    assert "view=example" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_tsne_runs_in_the_background_without_holding_up_the_page_and_is_kept(dash_duo, synthetic_run, app_port):
    open_view(dash_duo, synthetic_run, app_port, QUERY, PCA_MAP, "mapped by PCA", units=(16, 8), snapshots=4,
              probe_size=1000)
    dash_duo.find_element("#space-method input[value='tsne']").click()
    dash_duo.wait_for_contains_text("#space-tsne-working", "t-SNE of 1000 probe digits", timeout=15)
    assert "method=tsne" in dash_duo.driver.current_url
    click_plot_at(dash_duo, "#space-confusion", "3", "3")  # other callbacks answer while t-SNE runs
    dash_duo.wait_for_contains_text("#space-cell-digits", "of class 3 correctly classified", timeout=10)
    assert dash_duo.find_element("#space-tsne-working").is_displayed(), "the t-SNE job was still running"
    dash_duo.wait_for_contains_text(TSNE_MAP, "dense_1 at epoch 2: probe digits mapped by t-SNE", timeout=90)
    dash_duo.wait_for_contains_text(TSNE_MAP, "started from the PCA map")
    assert drawn_points(dash_duo, TSNE_MAP) == 1000

    dash_duo.find_element('#space-snapshot [role="slider"]').send_keys(Keys.ARROW_RIGHT)
    dash_duo.wait_for_contains_text(TSNE_MAP, "started from the t-SNE map of epoch 2", timeout=90)
    dash_duo.find_element('#space-snapshot [role="slider"]').send_keys(Keys.ARROW_LEFT)
    dash_duo.wait_for_contains_text(TSNE_MAP, "dense_1 at epoch 2", timeout=30)
    # Kept, not recomputed: a new map of epoch 2 would start from the one of epoch 3.
    dash_duo.wait_for_contains_text(TSNE_MAP, "started from the PCA map")
    assert dash_duo.get_logs() == []


def test_probe_curves_cka_and_confusion_cell_digits(dash_duo, synthetic_run, app_port):
    open_view(dash_duo, synthetic_run, app_port, QUERY, PCA_MAP, "mapped by PCA", units=(16, 8), snapshots=4)
    dash_duo.wait_for_contains_text("#space-probe-curve", "Linear-probe accuracy of each hidden layer", timeout=60)
    names = dash_duo.driver.execute_script(
        "return document.querySelector('#space-probe-curve .js-plotly-plot').data.map(trace => trace.name);")
    assert names == ["dense_1", "dense_1 at init", "dense_2", "dense_2 at init", "raw pixels"]
    dash_duo.wait_for_contains_text("#space-probe-caption", "raw pixels")
    dash_duo.wait_for_contains_text("#space-cka-snapshots", "dense_1: CKA between snapshots", timeout=30)
    dash_duo.wait_for_contains_text("#space-cka-snapshots", "over 200 probe digits · 16 neurons")
    dash_duo.wait_for_contains_text("#space-cka-layers", "CKA between layers at epoch 2")
    dash_duo.wait_for_contains_text("#space-cka-layers", "over 200 probe digits")

    dash_duo.wait_for_contains_text("#space-confusion", "Confusion matrix at epoch 2")
    run = open_run(synthetic_run.data_dir / "runs" / "synthetic")
    matrix = run.confusion(2)
    true_class, predicted = np.unravel_index(np.argmax(matrix.to_numpy() - np.diag(np.diag(matrix.to_numpy()))), (10, 10))
    click_plot_at(dash_duo, "#space-confusion", str(predicted), str(true_class))
    count = int(matrix.iloc[true_class, predicted])
    dash_duo.wait_for_contains_text("#space-cell-digits", f"{count} probe digits of class {true_class} predicted as {predicted}")
    links = dash_duo.find_elements("#space-cell-digits a")
    assert len(links) == min(count, 60)
    links[0].click()
    dash_duo.wait_for_contains_text("#example-caption", "Probe example #", timeout=10)
    assert dash_duo.get_logs() == []


def test_a_pasted_link_reopens_the_method_layer_and_snapshot(dash_duo, synthetic_run, app_port):
    open_view(dash_duo, synthetic_run, app_port, "view=space&layer=dense_2&snapshot=1&method=pca", PCA_MAP,
              "dense_2 at epoch 1", units=(16, 8), snapshots=4)
    assert dash_duo.find_element("#space-method input[value='pca']").is_selected()
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=synthetic&view=space&method=umap")
    dash_duo.wait_for_contains_text("#message", "The method 'umap' is not one of pca, tsne; showing pca.", timeout=10)
    assert dash_duo.get_logs() == []


def test_an_open_space_tab_follows_a_run_that_is_still_training(dash_duo, synthetic_run, app_port):
    path = synthetic_run("live", units=(16, 8), snapshots=3, status="running")
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=live&view=space&layer=dense_1")
    dash_duo.wait_for_contains_text(PCA_MAP, "dense_1 at epoch 2", timeout=20)
    dash_duo.wait_for_contains_text("#space-probe-caption", "At epoch 2", timeout=60)

    grow(path, 3)
    dash_duo.wait_for_contains_text(PCA_MAP, "dense_1 at epoch 3", timeout=20)
    dash_duo.wait_for_contains_text("#space-probe-caption", "At epoch 3", timeout=60)
    dash_duo.wait_for_contains_text("#space-confusion", "Confusion matrix at epoch 3")
    points = dash_duo.driver.execute_script(
        "return document.querySelector('#space-probe-curve .js-plotly-plot').data[0].x.length;")
    assert points == 4
    dash_duo.wait_for_text_to_equal(
        "#space-cka-snapshots .xtick:last-of-type text", "epoch 3", timeout=30)
    assert dash_duo.get_logs() == []

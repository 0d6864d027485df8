"""The Space tab's and the layer-health panel's figure builders, on small frames made here."""
import numpy as np
import pandas as pd

from app import space_figures
from neurons import health, probes
from neurons.projection import projection_frame


def test_map_draws_each_class_once_and_rings_the_misclassified():
    labels = np.array([0, 1, 1, 2, 2, 2])
    frame = projection_frame(np.arange(12, dtype=float).reshape(6, 2), labels, np.array([0, 1, 2, 2, 0, 2]))
    figure = space_figures.map_figure(frame, title="t", subtitle="s")
    classes, ring = figure["data"][:-1], figure["data"][-1]
    assert [trace["name"] for trace in classes] == ["0", "1", "2"]
    assert [list(trace["customdata"]) for trace in classes] == [[0], [1, 2], [3, 4, 5]]
    assert list(ring["customdata"]) == [2, 4] and ring["name"] == "misclassified (2)"
    assert ring["marker"]["symbol"] == "circle-open"
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x", "a map keeps its aspect ratio"


def test_map_subtitle_says_how_the_map_was_made():
    labels = ["init", "epoch 1", "epoch 2"]
    pca = space_figures.map_subtitle({"method": "pca", "snapshot": 1, "reference": 2, "variance_share": 0.42},
                                     labels, 500)
    assert "PCA" in pca and "Procrustes" in pca and "epoch 2" in pca and "42%" in pca and "500" in pca
    assert "Procrustes" not in space_figures.map_subtitle(
        {"method": "pca", "snapshot": 2, "reference": 2, "variance_share": 0.42}, labels, 500)
    fresh = space_figures.map_subtitle({"method": "tsne", "snapshot": 1, "reference": 2, "variance_share": 0.4,
                                        "start": None}, labels, 500)
    assert "started from the PCA map" in fresh and "mean nothing" in fresh
    assert "the t-SNE map of init" in space_figures.map_subtitle(
        {"method": "tsne", "snapshot": 1, "reference": 2, "variance_share": 0.4, "start": 0}, labels, 500)


def test_probe_curve_figure_has_a_line_per_layer_and_both_baselines():
    curves = {"dense_1": probes.curve_frame([0.5, 0.8, 0.9], 0.85), "dense_2": probes.curve_frame([0.3, 0.7, 0.95], 0.85)}
    figure = space_figures.probe_curve_figure(curves, ["init", "epoch 1", "epoch 2"], 1, probe_size=1000)
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["dense_1", "dense_1 at init", "dense_2", "dense_2 at init", "raw pixels"]
    assert figure["data"][3]["y"] == [0.3, 0.3] and figure["data"][4]["y"] == [0.85, 0.85]
    assert figure["layout"]["shapes"][0]["x0"] == 1
    assert "1000 probe digits" in figure["layout"]["title"]["subtitle"]["text"]


def test_cka_heatmap_is_on_a_fixed_zero_to_one_scale_and_marks_the_snapshot():
    matrix = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]])
    figure = space_figures.cka_heatmap(matrix, ["init", "epoch 1"], title="t", subtitle="over 1000 probe digits",
                                       marked=1)
    heatmap = figure["data"][0]
    assert (heatmap["zmin"], heatmap["zmax"]) == (0, 1) and heatmap["x"] == ["init", "epoch 1"]
    assert len(figure["layout"]["shapes"]) == 2


def test_snapshot_names_are_unique():
    assert space_figures.snapshot_names(["init", "epoch 1", "epoch 1"]) == ["init", "epoch 1", "epoch 1 (2)"]


def test_confusion_figure_separates_mistakes_from_the_diagonal_and_outlines_a_cell():
    matrix = pd.DataFrame([[5, 1], [2, 7]], index=[0, 1], columns=[0, 1])
    figure = space_figures.confusion_figure(matrix, title="t", subtitle="s", selected=(1, 0))
    correct, errors = figure["data"]
    assert correct["z"][0][0] == 5 and np.isnan(correct["z"][0][1])
    assert np.isnan(errors["z"][0][0]) and errors["z"][1][0] == 2
    assert correct["text"] == [["5", "1"], ["2", "7"]]
    outline = figure["layout"]["shapes"][0]
    assert (outline["x0"], outline["y0"]) == (-0.5, 0.5)


def test_health_figure_shows_distribution_dead_share_and_update_ratio():
    rows = [health.activation_row(np.array([[0.0, 1.0], [0.0, 2.0]]), "relu")
            | {"weight_norm": 1.0, "update_ratio": ratio} for ratio in (np.nan, 0.01, 0.001)]
    frame = health.health_frame(rows)
    edges = health.histogram_edges(np.array([0.0, 2.0]))
    shares = pd.DataFrame([health.histogram_shares(np.array([0.0, 1.0, 2.0]), edges)] * 3)
    figure = space_figures.health_figure(frame, edges, shares, ["init", "epoch 1", "epoch 2"], layer="dense_1",
                                         activation="relu", probe_size=100)
    kinds = [trace["type"] for trace in figure["data"]]
    assert kinds[0] == "heatmap" and len(figure["data"][0]["y"]) == health.HISTOGRAM_BINS
    names = [trace.get("name", "") for trace in figure["data"]]
    assert any(name.startswith("dead neurons") for name in names) and any("update ratio" in name for name in names)
    assert figure["layout"]["yaxis3"]["type"] == "log"
    sigmoid = space_figures.health_figure(frame.assign(dead_share=np.nan, saturated_share=0.2), edges, shares,
                                          ["init", "epoch 1", "epoch 2"], layer="dense_1", activation="sigmoid",
                                          probe_size=100)
    assert any(trace.get("name", "").startswith("saturated") for trace in sigmoid["data"])

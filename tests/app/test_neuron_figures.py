"""Pure tests of the neuron page's new figure builders on tables shaped like the core's (no run, no browser)."""
import base64

import numpy as np
import pandas as pd
import pytest

from app import neuron_figures, theme

CLASSES = list(range(10))


@pytest.fixture
def histogram_table():
    counts = {label: np.arange(5) + label for label in CLASSES}
    return pd.DataFrame({"left": [0.0, 0.5, 1.0, 1.5, 2.0], "right": [0.5, 1.0, 1.5, 2.0, 2.5], **counts})


def test_histogram_stacks_one_trace_per_class_and_says_the_silent_share(histogram_table):
    figure = neuron_figures.activation_histogram(histogram_table, CLASSES, scale="count", silent_share=0.42,
                                                 title="Activation histogram")
    assert [trace.name for trace in figure.data] == [str(label) for label in CLASSES]
    assert figure.layout.barmode == "stack"
    np.testing.assert_allclose(figure.data[0].x, [0.25, 0.75, 1.25, 1.75, 2.25])
    np.testing.assert_allclose(figure.data[3].y, np.arange(5) + 3)
    assert "silent (h = 0) on 42.0%" in figure.layout.title.subtitle.text
    assert figure.layout.yaxis.type != "log"


def test_histogram_density_integrates_to_one_on_a_log_axis(histogram_table):
    figure = neuron_figures.activation_histogram(histogram_table, CLASSES, scale="density", silent_share=1.0,
                                                 title="Activation histogram")
    heights = np.sum([trace.y for trace in figure.data], axis=0)
    assert (heights * 0.5).sum() == pytest.approx(1.0)
    assert figure.layout.yaxis.type == "log"
    assert "dead" in figure.layout.title.subtitle.text


def test_band_labels_read_from_the_top():
    assert neuron_figures.band_label(0.99, 1.0) == "top 1%"
    assert neuron_figures.band_label(0.9, 0.99) == "1–10% from the top"
    assert neuron_figures.band_label(0.5, 0.9) == "10–50% from the top"


def test_digit_png_draws_ink_dark():
    image = np.zeros((28, 28), np.uint8)
    image[10, 12] = 255
    uri = neuron_figures.digit_png(image)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_logit_effects_shows_both_measures_named_per_digit():
    table = pd.DataFrame({"weight": np.linspace(-1, 1, 10), "weights_path": np.linspace(-2, 2, 10),
                          "measured": np.linspace(-1.5, 1.5, 10), "logit": [f"z{digit}" for digit in CLASSES]},
                         index=pd.Index(CLASSES, name="digit"))
    figure = neuron_figures.logit_effects(table, neuron=7, title="Logit effects")
    assert [trace.name for trace in figure.data] == ["weights path c·Δh (gates open)",
                                                     "measured: mean-ablation takes away"]
    np.testing.assert_allclose(figure.data[1].y, table["measured"])
    assert list(figure.data[0].customdata) == list(table["logit"])
    assert "neuron 7" in figure.layout.title.subtitle.text


def test_dream_gallery_puts_the_best_probe_digit_after_the_seeds():
    dream = {"images": np.full((3, 28, 28), 0.5), "activations": np.array([2.0, 2.5, 3.0]), "best_activation": 1.25}
    figure = neuron_figures.dream_gallery(dream, np.full((28, 28), 200, np.uint8), 4, title="Dream", first_layer=True)
    captions = [note.text for note in figure.layout.annotations]
    assert captions == ["seed 0 · h 2.00", "seed 1 · h 2.50", "seed 2 · h 3.00", "best probe digit (4) · h 1.25"]
    z = np.asarray(figure.data[0].z, dtype=float)
    assert np.nanmax(z) == 200 and np.nanmin(z) == pytest.approx(127.5)
    assert "every seed reaches the same image" in figure.layout.title.subtitle.text
    deeper = neuron_figures.dream_gallery(dream, np.zeros((28, 28), np.uint8), 4, title="Dream", first_layer=False)
    assert "concave" not in deeper.layout.title.subtitle.text


def test_importance_scatter_carries_each_neuron_for_a_click():
    figure = neuron_figures.importance_scatter([0.1, 0.5, np.nan], [0.01, 0.0, 0.002], selected=1, title="SI vs importance")
    assert figure.to_plotly_json()["data"][0]["customdata"] == [0, 1, 2]  # a list: Dash reads clicks from it
    assert figure.data[0].marker.color[1] != figure.data[0].marker.color[0]


def test_ablation_curves_one_line_per_order():
    curve = pd.DataFrame({"neuron": [-1, 2, 0, 1], "accuracy": [0.9, 0.7, 0.5, 0.1]},
                         index=pd.RangeIndex(4, name="ablated"))
    figure = neuron_figures.ablation_curves({"importance": curve, "selectivity": curve, "random": curve},
                                            title="Ablation curves")
    assert [trace.name for trace in figure.data] == ["by importance", "by selectivity", "random order"]
    assert figure.data[2].line.color == theme.NEUTRAL
    np.testing.assert_allclose(figure.data[0].y, curve["accuracy"])

"""Pure tests of the figure builders on synthetic arrays (no browser, no run)."""
import numpy as np
import pandas as pd
import pytest

from app import figures, theme


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_field_heatmap_is_square_zero_centred_and_names_its_definition(rng):
    field = rng.normal(size=(28, 28))
    field[3, 4] = -5.0
    figure = figures.field_heatmap(field, title="Neuron 3", subtitle="W1[:, 3] as 28×28")
    trace = figure.data[0]
    assert (trace.zmin, trace.zmax) == (-5.0, 5.0)
    assert trace.colorscale == tuple(tuple(stop) for stop in theme.DIVERGING)
    assert figure.layout.yaxis.autorange == "reversed" and figure.layout.yaxis.scaleanchor == "x"
    assert figure.layout.xaxis.showticklabels is False
    assert figure.layout.title.text == "Neuron 3" and figure.layout.title.subtitle.text == "W1[:, 3] as 28×28"
    assert np.asarray(trace.z).shape == (28, 28)


def test_never_inked_pixels_are_drawn_grey_with_a_note_and_do_not_set_the_limits(rng):
    field = rng.normal(size=(28, 28)).clip(-2, 2)
    field[0, :] = np.nan
    field[5, 5] = 2.5
    figure = figures.field_heatmap(field, title="Neuron 3", subtitle="W1[:, 3] as 28×28")
    assert (figure.data[0].zmin, figure.data[0].zmax) == (-2.5, 2.5)
    assert figure.layout.plot_bgcolor == theme.UNSEEN and figure.data[0].hoverongaps is False
    assert [note.text for note in figure.layout.annotations] == [theme.UNSEEN_NOTE]
    plain = figures.field_heatmap(np.nan_to_num(field), title="Neuron 3", subtitle="W1[:, 3] as 28×28")
    assert plain.layout.annotations == () and plain.layout.plot_bgcolor == theme.SURFACE

    tiles = np.stack([field, field])
    mosaic = figures.mosaic_figure(tiles, [0, 1], title="Layer", subtitle="weights")
    assert [note.text for note in mosaic.layout.annotations] == [theme.UNSEEN_NOTE]
    assert figures.mosaic_figure(np.nan_to_num(tiles), [0, 1], title="Layer", subtitle="weights").layout.annotations == ()


def test_field_heatmap_keeps_a_given_limit(rng):
    figure = figures.field_heatmap(rng.normal(size=784) * 0.1, title="t", subtitle="s", limit=2.5)
    assert (figure.data[0].zmin, figure.data[0].zmax) == (-2.5, 2.5)


def test_symmetric_limit_ignores_nan_and_never_returns_zero():
    assert figures.symmetric_limit([np.nan, -3.0, 2.0]) == 3.0
    assert figures.symmetric_limit(np.zeros(5)) > 0


def test_tile_fields_places_each_field_and_leaves_nan_gaps():
    fields = np.stack([np.full((28, 28), value, dtype=float) for value in range(5)])
    image, owner = figures.tile_fields(fields, columns=3)
    pitch = 28 + figures.TILE_GAP
    assert image.shape == (2 * pitch - figures.TILE_GAP, 3 * pitch - figures.TILE_GAP)
    assert image[0, 0] == 0 and image[pitch, pitch] == 4 and owner[pitch, pitch] == 4
    assert np.isnan(image[28, 0]) and owner[28, 0] == -1          # horizontal gap
    assert np.isnan(image[pitch, 2 * pitch]) and owner[pitch, 2 * pitch] == -1  # empty sixth tile
    assert (owner >= 0).sum() == 5 * 784


def test_mosaic_maps_every_pixel_to_its_neuron_and_marks_the_selection(rng):
    fields = rng.normal(size=(6, 28, 28))
    neurons = [10, 11, 12, 13, 14, 15]
    figure = figures.mosaic_figure(fields, neurons, title="Layer", subtitle="weights", selected=13, columns=3)
    neuron_map = np.asarray(figure.data[0].customdata)
    pitch = 28 + figures.TILE_GAP
    assert neuron_map[0, 0] == 10 and neuron_map[pitch + 5, 5] == 13 and neuron_map[28, 0] == -1
    rectangle = figure.layout.shapes[0]
    assert (rectangle.x0, rectangle.y0) == (-1, pitch - 1)
    assert figures.neuron_at({"points": [{"customdata": 13}]}) == 13
    assert figures.neuron_at({"points": [{"customdata": -1}]}) is None
    assert figures.neuron_at(None) is None


def test_mosaic_per_tile_scaling_gives_each_tile_full_range(rng):
    fields = np.stack([rng.normal(size=(28, 28)), 100 * rng.normal(size=(28, 28))])
    fields[:, :3, :] = np.nan  # never-inked pixels, as the app passes them
    figure = figures.mosaic_figure(fields, [0, 1], title="t", subtitle="s", per_tile=True, columns=2)
    image = np.asarray(figure.data[0].z, dtype=float)
    assert np.nanmax(np.abs(image[:, :28])) == pytest.approx(1.0)
    assert np.nanmax(np.abs(image[:, 30:])) == pytest.approx(1.0)
    assert figure.data[0].zmax == 1.0 and "relative" in figure.data[0].hovertemplate


def test_neuron_bars_sorts_descending_colours_by_sign_and_highlights(rng):
    values = np.array([0.5, -1.0, 2.0, 0.0])
    figure = figures.neuron_bars(values, [0, 1, 2, 3], title="t", subtitle="s", highlight=1,
                                 highlight_label="most differentiated")
    bar = figure.data[0]
    assert list(bar.customdata) == [2, 0, 3, 1]
    assert list(bar.marker.color) == [theme.POSITIVE, theme.POSITIVE, theme.POSITIVE, theme.NEGATIVE]
    assert bar.marker.line.color[3] == figures.HIGHLIGHT
    assert figure.layout.annotations[0].text == "most differentiated"


def test_probability_bars_highlight_selected_digit_and_mark_truth():
    probabilities = np.full(10, 0.05)
    probabilities[4] = 0.55
    figure = figures.probability_bars(probabilities, title="t", subtitle="s", selected=4, true_label=9)
    assert figure.data[0].marker.color[4] == figures.HIGHLIGHT
    assert figure.data[0].marker.color[0] == theme.NEUTRAL
    assert "true" in figure.layout.xaxis.ticktext[9] and "true" not in figure.layout.xaxis.ticktext[4]
    [column] = figure.layout.shapes
    assert (column.x0, column.x1, column.yref) == (3.5, 4.5, "paper"), "visible even when p ≈ 0"
    assert figures.probability_bars(probabilities, title="t", subtitle="s").layout.shapes == ()


def curve_table(count: int) -> pd.DataFrame:
    labels = ["init"] + [f"epoch {i}" for i in range(1, count)]
    return pd.DataFrame({"label": labels, "focus": np.linspace(0, 1, count)})


def test_metric_curve_marks_the_current_snapshot():
    table = curve_table(10)
    marks = {0: "init", 4: "epoch 4", 9: "★ epoch 9"}
    figure = figures.metric_curve(table, "focus", 3, marks=marks, title="Focus", subtitle="Hoyer", value_label="focus")
    assert list(figure.data[1].x) == [3] and figure.data[1].y[0] == pytest.approx(table["focus"][3])
    assert figure.layout.shapes[0].x0 == 3
    assert list(figure.layout.xaxis.tickvals) == [0, 4, 9]
    assert list(figure.layout.xaxis.ticktext) == ["init", "epoch 4", "★ epoch 9"]
    assert list(figure.data[0].customdata) == list(table["label"])


def test_metric_curve_with_marks_from_a_longer_run_leaves_them_out():
    """The live-run crash: the slider's marks (or labels) read from a run that had since grown
    past the table. Values and labels now come in one table; marks beyond it are left out."""
    figure = figures.metric_curve(curve_table(14), "focus", 20, marks={0: "init", 13: "epoch 13", 21: "epoch 21"},
                                  title="Focus", subtitle="Hoyer", value_label="focus")
    assert list(figure.layout.xaxis.tickvals) == [0, 13]
    assert list(figure.data[1].x) == [13]


def test_tick_positions_cover_both_ends():
    assert figures.tick_positions(3) == [0, 1, 2]
    assert figures.tick_positions(101)[0] == 0 and figures.tick_positions(101)[-1] == 100


def test_tick_positions_prefer_epoch_boundaries():
    """Two snapshots inside each epoch: ticks only at init and epoch ends, whose labels are short."""
    boundaries = list(range(0, 31, 3))
    ticks = figures.tick_positions(31, most=6, among=boundaries)
    assert set(ticks) <= set(boundaries) and ticks[0] == 0 and ticks[-1] == 30
    assert figures.tick_positions(5, among=[0]) == [0, 1, 2, 3, 4], "too few boundaries: every snapshot"


def test_class_means_name_selectivity_and_best_digit():
    means = np.arange(10, dtype=float)
    figure = figures.class_means_figure(means, best_digit=9, selectivity=0.42, d_prime=1.5)
    subtitle = figure.layout.title.subtitle.text
    assert "SI 0.42" in subtitle and "d′ 1.50" in subtitle and "best digit 9" in subtitle
    assert figure.data[0].marker.color[9] == figures.HIGHLIGHT


def test_class_means_of_a_dead_neuron_say_no_digit_stands_out():
    figure = figures.class_means_figure(np.zeros(10), best_digit=None, selectivity=0.0, d_prime=0.0,
                                        active_share=0.0)
    subtitle = figure.layout.title.subtitle.text
    assert "no best digit" in subtitle and "active on 0.0%" in subtitle
    assert len(subtitle) <= 56  # its half-width panel cut a longer line off before the share
    assert figures.HIGHLIGHT not in figure.data[0].marker.color


def test_digit_gallery_captions_each_image(rng):
    images = rng.integers(0, 255, size=(3, 28, 28))
    figure = figures.digit_gallery(images, ["a", "b", "c"], title="t", subtitle="s")
    assert [note.text for note in figure.layout.annotations] == ["a", "b", "c"]
    assert figure.data[0].showscale is False


def test_accuracy_before_after_names_overall_accuracy():
    before, after = np.full(10, 0.9), np.full(10, 0.8)
    figure = figures.accuracy_before_after(before, after, overall_before=0.9, overall_after=0.8,
                                           title="Ablate", subtitle="mean")
    assert [trace.name for trace in figure.data] == ["before (90.0% overall)", "after (80.0% overall)"]
    assert list(figure.data[1].text) == ["-10.0"] * 10


def test_activation_comparison_overlays_class_mean(rng):
    figure = figures.activation_comparison(rng.random(8), rng.random(8), title="t", subtitle="s")
    assert figure.data[0].type == "bar" and figure.data[1].type == "scatter"
    assert len(figure.data[0].y) == len(figure.data[1].y) == 8

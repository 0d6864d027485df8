"""Pure tests of the helpers the inspection views share (no browser)."""
import pytest
from dash.exceptions import PreventUpdate

from app.views import computed, controls

STATE = {"run": "r1", "view": "layer", "layer": "dense_1", "neuron": 3, "snapshot": 4, "digit": None,
         "example": None, "snapshot_count": 6, "explicit": ["run", "view", "layer", "neuron"]}


def test_showing_needs_the_view_a_run_a_layer_and_a_snapshot():
    assert controls.showing(STATE, "layer")
    assert not controls.showing(STATE, "neuron")
    assert not controls.showing(STATE | {"run": None}, "layer")
    assert not controls.showing(STATE | {"layer": None}, "layer")
    assert not controls.showing(STATE | {"snapshot_count": 0}, "layer")
    assert not controls.showing(None, "layer")


def test_a_new_layer_forgets_the_neuron_and_a_new_snapshot_keeps_it():
    assert controls.layer_snapshot_link(STATE, "dense_2", 4) == "?run=r1&view=layer&layer=dense_2&snapshot=4"
    assert controls.layer_snapshot_link(STATE, "dense_1", 2) == "?run=r1&view=layer&layer=dense_1&neuron=3&snapshot=2"
    with pytest.raises(PreventUpdate):
        controls.layer_snapshot_link(STATE, "dense_1", 4)
    with pytest.raises(PreventUpdate):
        controls.layer_snapshot_link(STATE, None, 4)


def test_snapshot_marks_label_both_ends():
    labels = ["init"] + [f"epoch {index}" for index in range(1, 100)]
    marks = controls.snapshot_marks(labels, most=5)
    assert marks[0] == "init" and marks[99] == "epoch 99" and len(marks) == 5


def test_snapshot_marks_star_the_best_snapshot_in_place_of_its_nearest_mark():
    labels = ["init"] + [f"epoch {index}" for index in range(1, 13)]
    marks = controls.snapshot_marks(labels, best=7, most=6)
    assert marks[7] == "★ epoch 7" and marks[0] == "init" and marks[12] == "epoch 12"
    assert len(marks) == 6
    assert controls.snapshot_marks(labels, best=12, most=6)[12] == "★ epoch 12"


def test_run_marks_sit_on_epoch_boundaries_and_star_a_finished_runs_best():
    """Two snapshots inside each epoch: their long labels ("epoch 1 · step 67") overlapped."""
    class TwoPerEpoch:
        snapshot_labels = ["init"] + [label for epoch in range(1, 11) for label in
                                      (f"epoch {epoch} · step 50", f"epoch {epoch}")]
        epoch_snapshots = list(range(0, 21, 2))
        best_snapshot = None
    marks = controls.run_marks(TwoPerEpoch, most=6)
    assert set(marks) <= set(TwoPerEpoch.epoch_snapshots) and "·" not in "".join(marks.values())
    assert not any(text.startswith("★") for text in marks.values()), "a live run has no best yet"
    TwoPerEpoch.best_snapshot = 14
    assert controls.run_marks(TwoPerEpoch, most=6)[14] == "★ epoch 7"


def test_example_defaults_to_the_first_probe_digit():
    assert controls.example_of(STATE) == 0
    assert controls.example_of(STATE | {"example": 7}) == 7


def test_plain_turns_figures_inside_containers_into_dicts():
    from app import figures

    figure = figures.class_means_figure([0.1] * 10, best_digit=2, selectivity=0.5)
    converted = computed.plain({"a": [figure, (figure, 1)], "b": 2})
    assert converted["a"][0]["data"][0]["type"] == "bar"
    assert isinstance(converted["a"][1], tuple) and converted["a"][1][1] == 1 and converted["b"] == 2


def test_a_typed_number_must_be_whole_and_below_the_bound():
    assert controls.whole_number_below(0, 16) == 0 and controls.whole_number_below(15.0, 16) == 15
    for typed in (16, -1, 2.5, None, True, "3", float("inf"), float("nan"), [3]):
        assert controls.whole_number_below(typed, 16) is None


def test_a_silent_neuron_s_gallery_says_no_digit_excites_it():
    from app.views.neuron import top_subtitle
    assert top_subtitle([0.0, 0.0], "epoch 5") == "none: h ≤ 0 on every probe digit at epoch 5"
    assert top_subtitle([1.4, 0.0], "epoch 5").startswith("probe set, activation h at epoch 5")


def test_field_subtitles_fit_above_the_field_and_name_expanded_weights_for_deeper_layers():
    from app.views.neuron import field_subtitle

    class TwoLayers:
        hidden_layers = ["dense_1", "dense_2"]
        has_initialisation = True

    first, deeper = field_subtitle(TwoLayers, "dense_1"), field_subtitle(TwoLayers, "dense_2")
    assert set(first) == set(deeper) == {"weights", "change", "step"}
    assert "W₁[:, j]" in first["weights"]
    assert all("expanded weights" in text.lower() for text in deeper.values())
    assert all(len(text) <= 70 for text in [*first.values(), *deeper.values()])  # the panel cut longer ones


def test_next_misclassified_says_when_there_is_nowhere_to_go():
    import numpy as np

    from app.views.example import nothing_wrong_left
    assert nothing_wrong_left(np.array([], dtype=int), 3, "epoch 2") == "No probe digit is misclassified at epoch 2."
    assert nothing_wrong_left(np.array([3]), 3, "epoch 2") == (
        "Example #3 is the only probe digit misclassified at epoch 2.")
    assert nothing_wrong_left(np.array([3]), 0, "epoch 2") is None
    assert nothing_wrong_left(np.array([3, 9]), 3, "epoch 2") is None

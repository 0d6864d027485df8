"""URL query parsing, validation against a run, and link writing (pure, no browser)."""
from urllib.parse import parse_qs

import pytest

from app import urlstate
from app.runs import RunInfo

VIEWS = ["training", "layer", "neuron"]


def run_info(snapshots=4, units=(16, 8), outputs=10, probe=200, run_id="alpha", best=None,
             status="completed"):
    layers, fan_in = [], 784
    for position, width in enumerate(units, start=1):
        layers.append({"name": f"dense_{position}", "kind": "dense", "units": width, "fan_in": fan_in})
        layers.append({"name": f"batchnorm_{position}", "kind": "batchnorm", "units": width})
        fan_in = width
    layers.append({"name": "output", "kind": "dense", "units": outputs, "fan_in": fan_in})
    manifest = {"run_id": run_id, "layers": layers, "history": [], "dataset": {"probe": probe},
                "snapshots": [{"index": index} for index in range(snapshots)], "best_snapshot": best}
    return RunInfo(run_id, manifest, status)


def resolved(query, run=None):
    raw, problems = urlstate.parse_query(query)
    assert problems == []
    return urlstate.resolve(raw, run or run_info(), VIEWS)


def test_defaults_fill_layer_neuron_and_newest_snapshot():
    state = resolved("")
    assert state | {"explicit": None} == {
        "run": "alpha", "view": "training", "layer": "dense_1", "neuron": 0, "snapshot": 3,
        "digit": None, "example": None, "snapshot_count": 4, "status": "completed", "error": None,
        "revision": "4:0:completed:None:None", "method": "pca", "runs": [], "explicit": None,
        "histogram": "count", "dream": "off", "basis": "change", "tiles": "change"}


def test_a_finished_run_opens_on_its_best_snapshot_a_live_one_on_its_newest():
    assert resolved("", run_info(snapshots=6, best=2))["snapshot"] == 2
    assert resolved("", run_info(snapshots=6, best=2, status="running"))["snapshot"] == 5
    assert resolved("?snapshot=4", run_info(snapshots=6, best=2))["snapshot"] == 4


def test_valid_query_is_taken_as_given():
    state = resolved("?run=alpha&view=neuron&layer=dense_2&neuron=7&snapshot=1&digit=4&example=199&histogram=density&dream=on&basis=responds_to&tiles=responds_to&method=tsne&runs=beta")
    assert (state["view"], state["layer"], state["neuron"], state["snapshot"], state["digit"],
            state["example"], state["error"]) == ("neuron", "dense_2", 7, 1, 4, 199, None)
    assert state["explicit"] == sorted(urlstate.FIELDS)


@pytest.mark.parametrize("query, field, default", [
    ("neuron=16", "neuron", 0),            # one past the last neuron of dense_1
    ("neuron=-1", "neuron", 0),
    ("neuron=1e3", "neuron", 0),
    ("neuron=99999999999999999999", "neuron", 0),
    ("snapshot=4", "snapshot", 3),
    ("snapshot=abc", "snapshot", 3),
    ("digit=10", "digit", None),
    ("example=200", "example", None),
    ("neuron=%EF%BC%91", "neuron", 0),     # a full-width digit one: not a plain integer
    ("neuron= 3", "neuron", 0),
])
def test_out_of_range_or_non_numbers_fall_back_with_a_message(query, field, default):
    state = resolved(query)
    assert state[field] == default
    assert field.capitalize() in state["error"] and "whole number" in state["error"]
    assert field not in state["explicit"]


def test_unknown_layer_and_view_are_named_in_the_message():
    state = resolved("layer=output&view=..%2Fetc")
    assert state["layer"] == "dense_1" and state["view"] == "training"
    assert "no hidden layer 'output'" in state["error"] and "dense_1, dense_2" in state["error"]
    assert "no view called '../etc'" in state["error"]


def test_neuron_bound_follows_the_chosen_layer():
    assert resolved("layer=dense_2&neuron=7")["neuron"] == 7
    assert resolved("layer=dense_2&neuron=8")["error"]


def test_binary_output_has_two_digits():
    run = run_info(outputs=1)
    assert resolved("digit=1", run)["digit"] == 1
    assert resolved("digit=2", run)["error"]


def test_run_without_snapshots_has_no_snapshot():
    state = resolved("snapshot=0", run_info(snapshots=0))
    assert state["snapshot"] is None and "no snapshot" in state["error"]


def test_very_long_values_and_queries_are_refused_without_echoing_them():
    raw, problems = urlstate.parse_query("layer=" + "x" * 5000)
    assert raw == {} and "too long" in problems[0] and "x" * 100 not in problems[0]
    raw, problems = urlstate.parse_query("layer=" + "x" * 150)
    assert raw == {} and "layer" in problems[0]
    state = resolved("view=" + "y" * 90)
    assert "…" in state["error"] and "y" * 41 not in state["error"]


def test_unknown_fields_and_repeats_are_ignored():
    raw, _ = urlstate.parse_query("?evil=1&run=a&run=b&__proto__=x")
    assert raw == {"run": "a"}


def test_no_run_gives_an_empty_state():
    state = urlstate.resolve({"view": "layer"}, None, VIEWS)
    assert state["run"] is None and state["view"] == "layer" and state["snapshot_count"] == 0


def test_href_keeps_run_and_view_and_only_named_fields():
    state = resolved("?run=alpha&view=neuron&neuron=3")
    assert parse_qs(urlstate.href(state, snapshot=2)[1:]) == {
        "run": ["alpha"], "view": ["neuron"], "neuron": ["3"], "snapshot": ["2"]}
    assert "snapshot" not in urlstate.href(state)  # an unpinned snapshot follows a live run


def test_href_switching_run_drops_the_old_runs_fields():
    """Digit too: a link from a 0–9 run must not carry digit=9 to a run of 0s and 1s."""
    state = resolved("?run=alpha&view=neuron&layer=dense_2&neuron=3&snapshot=1&digit=9")
    assert parse_qs(urlstate.href(state, run="beta")[1:]) == {"run": ["beta"], "view": ["neuron"]}


def resolved_runs(query, known=("beta", "gamma", "delta", "eps", "zeta", "eta", "theta")):
    raw, problems = urlstate.parse_query(query)
    state = urlstate.resolve(raw, run_info(), VIEWS,
                             unusable=lambda run_id: None if run_id in known else f"There is no run called {run_id!r}.")
    return state, state["error"] or ""


def test_runs_keep_the_links_order_and_only_usable_runs():
    state, error = resolved_runs("?run=alpha&view=training&runs=gamma,beta")
    assert state["runs"] == ["gamma", "beta"] and error == ""
    assert parse_qs(urlstate.href(state)[1:])["runs"] == ["gamma,beta"]
    state, error = resolved_runs("?run=alpha&runs=beta,nope,alpha,beta")
    assert state["runs"] == ["beta"]
    assert "There is no run called 'nope'. Leaving it out" in error and "names a run twice" in error
    state, error = resolved_runs("?run=alpha&runs=beta,gamma,delta,eps,zeta,eta,theta")
    assert state["runs"] == ["beta", "gamma", "delta", "eps", "zeta", "eta"]
    assert "names 7 other runs; showing the first 6" in error


def test_href_writes_runs_and_none_or_empty_removes_them():
    state, _ = resolved_runs("?run=alpha&view=training&runs=beta")
    assert urlstate.href(state, runs=["gamma", "beta"]) == "?run=alpha&runs=gamma%2Cbeta&view=training"
    assert urlstate.href(state, runs=None) == urlstate.href(state, runs=[]) == "?run=alpha&view=training"
    assert resolved_runs(urlstate.href(state, runs=["gamma", "beta"]))[0]["runs"] == ["gamma", "beta"]


def test_href_none_removes_and_values_are_encoded():
    state = resolved("?run=alpha&view=neuron&neuron=3")
    assert urlstate.href(state, neuron=None) == "?run=alpha&view=neuron"
    assert urlstate.href(state, run="a&b=c") == "?run=a%26b%3Dc&view=neuron"
    with pytest.raises(ValueError):
        urlstate.href(state, colour="red")


def test_href_then_parse_round_trips():
    state = resolved("?run=alpha&view=neuron&layer=dense_2&neuron=5&snapshot=2&digit=9&example=17")
    again = resolved(urlstate.href(state))
    assert again == state

"""The ranking's honest half (issue 11): focus metrics on a chosen basis with their noise baselines,
each neuron's importance, and the layer's selectivity-vs-importance scatter with its ablation curves.
Definitions: docs/interpretation.md, "Importance and ablation curves" and "Noise baselines".
"""
from __future__ import annotations

import numpy as np
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from app import neuron_figures
from app.views import computed, controls
from neurons.noise_baseline import CLEAR_OF_NOISE
from neurons.importance import ORDERS

VIEW = "ranking"
BASES = {"change": "learned change Δₜ", "responds_to": "responds-to picture"}


@computed.per_run
def focus_table(run_id: str, snapshot_count: int, layer: str, snapshot: int, basis: str):
    """The five focus metrics on `basis` and focus above noise (focus_z), one row per neuron."""
    table = computed.run_at(run_id, snapshot_count).focus_above_noise(layer, snapshot, basis)
    return table[["focus", "effective_pixels", "top20_share", "spread", "blobs", "focus_z"]]


@computed.per_run
def importance_table(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    return computed.run_at(run_id, snapshot_count).importance(layer, snapshot)


@computed.per_run
def basis_fields(run_id: str, snapshot_count: int, layer: str, snapshot: int, basis: str) -> np.ndarray:
    """The pictures the focus metrics were computed on, never-inked pixels NaN, for the thumbnails."""
    run = computed.run_at(run_id, snapshot_count)
    if basis == "change":
        return computed.layer_fields(run_id, snapshot_count, layer, snapshot, "change")
    return computed.unseen_as_nan(run, run.layer_responds_to(layer, snapshot))


def noise_caption(table, basis: str) -> str:
    """How many neurons stand clear of noise, said against what the baseline is."""
    clear = int((table["focus_z"] >= CLEAR_OF_NOISE).sum())
    baseline = ("fields of Gaussian noise on the same live pixels" if basis == "change" else
                "the pictures of its own activations shuffled across the probe digits")
    return (f"{clear} of {len(table)} neurons stand clear of noise (focus z ≥ {CLEAR_OF_NOISE:g} against "
            f"{baseline}); the others' focus is what noise scores too.")


@computed.figure_cache
def scatter_figure(run_id: str, snapshot_count: int, layer: str, snapshot: int, neuron: int):
    run = computed.run_at(run_id, snapshot_count)
    drops = importance_table(run_id, snapshot_count, layer, snapshot)["importance"]
    selectivity = computed.selectivity(run_id, snapshot_count, layer, snapshot)["si"]
    return neuron_figures.importance_scatter(selectivity, drops, selected=neuron,
                                             title=f"Selectivity is not importance: {layer} at "
                                                   f"{run.snapshot_labels[snapshot]}")


@computed.figure_cache
def curves_figure(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    run = computed.run_at(run_id, snapshot_count)
    curves = {order: run.ablation_curve(layer, order, snapshot) for order in ORDERS}
    return neuron_figures.ablation_curves(curves, title=f"Probe accuracy as {layer}'s neurons are ablated")


def basis_control():
    return html.Label(["Focus metrics on", dcc.RadioItems(
        id="ranking-basis", inline=True, value="change",
        options=[{"label": label, "value": basis} for basis, label in BASES.items()])])


def panels():
    return html.Div(className="nl-two", children=[
        controls.computing(controls.graph("ranking-scatter", 340)),
        controls.computing(controls.graph("ranking-curves", 340))])


def register(app, active):
    @app.callback(Output("ranking-scatter", "figure"), Output("ranking-curves", "figure"), Input("state", "data"))
    def draw(state):
        if not active(state):
            raise PreventUpdate
        key = (*computed.key_of(state), state["layer"], state["snapshot"])
        return scatter_figure(*key, state["neuron"]), curves_figure(*key)

    @app.callback(Output("ranking-basis", "value"), Input("state", "data"))
    def show_basis(state):
        """At once, not after the slower figures: the choice shown is the link's."""
        if not active(state):
            raise PreventUpdate
        return state["basis"]

    controls.register_choice(app, VIEW, "ranking-basis", "basis")
    controls.register_click_to_neuron(app, VIEW, "ranking-scatter")

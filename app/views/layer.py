"""Journey 3, a layer at a glance: every neuron's receptive field at one snapshot, as one mosaic.

Clicking a tile opens that neuron in the neuron view.
"""
from __future__ import annotations

import numpy as np
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import figures
from app.views import computed, controls

VIEW = "layer"
LABEL = "Layer"
HINT = "Every neuron of a layer as a 28×28 field at one snapshot; click one to open it"

KINDS = {"weights": "weights", "change": "change since init", "responds_to": "responds to"}
ORDERS = {"neuron": "neuron number", "focus": "focus, highest first"}


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Layer", dcc.Dropdown(id="layer-layer", clearable=False, style={"width": "140px"})]),
            html.Label(["Show", dcc.RadioItems(id="layer-kind", value="change", inline=True,
                                               options=[{"label": text, "value": key} for key, text in KINDS.items()])]),
            html.Label(["Colour scale", dcc.RadioItems(
                id="layer-scale", value="shared", inline=True,
                options=[{"label": "shared by all tiles", "value": "shared"},
                         {"label": "per tile", "value": "tile"}])]),
            html.Label(["Order", dcc.RadioItems(id="layer-order", value="neuron", inline=True,
                                                options=[{"label": text, "value": key} for key, text in ORDERS.items()])]),
        ]),
        html.Div(className="nl-scrubber", children=[
            html.Span("Snapshot", className="nl-caption"),
            html.Div(dcc.Slider(id="layer-snapshot", min=0, max=0, step=1, value=0, marks=None,
                                allow_direct_input=False), className="nl-slider"),
        ]),
        controls.graph("layer-mosaic", None),
        html.P("Hover a tile to see its neuron; click it to watch that neuron form.", className="nl-caption"),
    ])


def active(state) -> bool:
    return controls.showing(state, VIEW)


@computed.figure_cache
def mosaic(run_id: str, snapshot_count: int, layer: str, snapshot: int, kind: str, scale: str, order: str):
    """The mosaic (without a selection, so one cached figure serves every neuron) and its tile order."""
    run = computed.run_at(run_id, snapshot_count)
    fields = (computed.layer_responds_to(run_id, snapshot_count, layer, snapshot) if kind == "responds_to" else
              computed.layer_fields(run_id, snapshot_count, layer, snapshot, kind))
    neurons = np.arange(len(fields))
    if order == "focus":
        focus = computed.focus_table(run_id, snapshot_count, layer, snapshot)["focus"].to_numpy()
        neurons = np.argsort(np.where(np.isnan(focus), -np.inf, -focus), kind="stable")
    deeper = run.hidden_layers.index(layer) > 0
    what = "expanded weights (Voss et al. 2021)" if deeper else "weights W₁[:, j]"
    if kind == "change":
        what = f"learned change Δₜ = RFₜ − RF₀ of the {what}"
    elif kind == "responds_to":
        what = "what each responds to: activation-weighted mean probe digit − mean digit"
    scaling = "each tile scaled to its own largest |value|" if scale == "tile" else "one colour scale for all tiles"
    ordering = "sorted by focus (Hoyer sparsity of Δₜ), highest first" if order == "focus" else "in neuron order"
    figure = figures.mosaic_figure(
        fields[neurons], neurons, per_tile=scale == "tile",
        title=f"All {len(neurons)} neurons of {layer} at {run.snapshot_labels[snapshot]}",
        subtitle=f"{what} · {scaling} · {ordering}")
    return figure, neurons.tolist()


def selected_mosaic(state, kind: str, scale: str, order: str) -> dict:
    """The cached mosaic with the state's neuron outlined."""
    figure, neurons = mosaic(*computed.key_of(state), state["layer"], state["snapshot"], kind, scale, order)
    if state.get("neuron") not in neurons:
        return figure
    outline = figures.tile_outline(neurons.index(state["neuron"]), figures.mosaic_columns(len(neurons)))
    return figure | {"layout": figure["layout"] | {"shapes": [outline]}}


def register(app):
    controls.register_waiting(app, VIEW)

    @app.callback(Output("layer-mosaic", "figure"), Output("layer-layer", "options"), Output("layer-layer", "value"),
                  Output("layer-snapshot", "max"), Output("layer-snapshot", "marks"), Output("layer-snapshot", "value"),
                  Output("layer-kind", "value"),
                  Input("state", "data"), Input("layer-scale", "value"),
                  Input("layer-order", "value"), State("layer-snapshot", "value"))
    def render(state, scale, order, slider_value):
        if not active(state):
            raise PreventUpdate
        kind = state["tiles"]
        run = computed.run_of(state)
        count = run.snapshot_count
        marks = controls.run_marks(run)
        snapshot = state["snapshot"]
        return (selected_mosaic(state, kind, scale, order), run.hidden_layers, state["layer"], max(count - 1, 0), marks,
                no_update if snapshot == slider_value else snapshot, kind)

    controls.register_choice(app, VIEW, "layer-kind", "tiles")
    controls.register_click_to_neuron(app, VIEW, "layer-mosaic")

    controls.register_layer_snapshot_picker(app, VIEW)

"""Journey 6, follow a digit back: from an output digit through each hidden layer to the pixels,
along the chains of the interpretation guide; any bar opens its neuron.
"""
from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from app import figures
from app.urlstate import href
from app.views import computed, controls

VIEW = "digit"
LABEL = "Digit"
HINT = "Follow an output digit back through each layer to the pixels"

MODES = {
    "weights": "weights only",  # the subtitle says whether BN scales are folded in
    "raw": "raw W₁W₂W₃ (as in the blog)",
    "example": "for the current example",
}


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Output digit", html.Div(id="digit-buttons", className="nl-digit-buttons")]),
            html.Label(["Chain", dcc.RadioItems(id="digit-mode", value="weights", inline=True,
                                                options=[{"label": text, "value": key} for key, text in MODES.items()])]),
        ]),
        html.Div(className="nl-digit-body", children=[
            html.Div(id="digit-layers"),
            html.Div(children=[
                controls.graph("digit-pixels", 400),
                controls.graph("digit-probabilities", 230),
            ]),
        ]),
    ])


def active(state) -> bool:
    return controls.showing(state, VIEW)


def chain_of(run_id: str, snapshot_count: int, snapshot: int, digit: int, mode: str, example: int) -> dict:
    return computed.digit_chain(run_id, snapshot_count, digit, snapshot, "raw" if mode == "raw" else "weights",
                                example if mode == "example" else None)


def signed_output(run, digit: int, product: str) -> str:
    """`product` ending in the digit's output column, e.g. W_out[:, 4]; a 0-or-1 run has one
    column, which class 0 reads negated."""
    unit, sign, _ = run.output_for(digit)
    return ("−" if sign < 0 else "") + f"{product}[:, {unit}]"


def has_batchnorm(run) -> bool:
    return any(layer.get("kind") == "batchnorm" for layer in run.manifest["layers"])


def layer_subtitle(run, layer: str, mode: str, digit: int) -> str:
    position = run.hidden_layers.index(layer)
    last = position == len(run.hidden_layers) - 1
    if mode == "raw":
        formula = f"row of {signed_output(run, digit, 'W₁⋯W_out')} (raw: no BN scales)"
    elif last:
        formula = f"c_L = s_L ⊙ {signed_output(run, digit, 'W_out')}"
    else:
        formula = f"c_{position + 1} = s ⊙ (W (D c_{position + 2}))"
    gate = " with gates D from the current example" if mode == "example" else ""
    logit = run.output_for(digit).logit
    return f"{formula}{gate}: how much logit {logit} moves per unit of each neuron's activation"


def pixel_subtitle(run, mode: str, digit: int, example: int) -> str:
    logit = run.output_for(digit).logit
    scales = "BN folded in" if has_batchnorm(run) else "no BN in this model"
    return {
        "weights": f"c₀ = W₁ c₁ · {scales}, all gates open",
        "raw": f"c₀ = {signed_output(run, digit, 'W₁W₂⋯W_out')} · no BN (the blog's view)",
        "example": f"c₀ = ∂{logit}/∂x, probe example #{example}",
    }[mode]


@computed.figure_cache
def digit_figures(run_id: str, snapshot_count: int, snapshot: int, digit: int, mode: str, example: int) -> dict:
    """{"layers": [(layer, bars)] last layer first, "pixels": heatmap, "probabilities": bars}."""
    run = computed.run_at(run_id, snapshot_count)
    chain = chain_of(run_id, snapshot_count, snapshot, digit, mode, example)
    layers = []
    for layer in reversed(run.hidden_layers):
        values = chain[layer]
        highlight = computed.most_differentiated(run_id, snapshot_count, digit, layer, snapshot)
        layers.append((layer, figures.neuron_bars(
            values, np.arange(len(values)), highlight=highlight, highlight_label=f"n{highlight}: highest d′ for {digit}",
            title=f"{layer}: contribution of each neuron to digit {digit}",
            subtitle=layer_subtitle(run, layer, mode, digit), height=270)))
    pixels = figures.field_heatmap(chain["pixels"], title=f"Pixels → digit {digit} at {run.snapshot_labels[snapshot]}",
                                   subtitle=pixel_subtitle(run, mode, digit, example), height=400, colorbar_title="c₀")
    probabilities = computed.probe_probabilities(run_id, snapshot_count, snapshot)[example]
    bars = figures.probability_bars(
        probabilities, selected=digit, true_label=int(run.probe_labels[example]), height=230,
        title=f"Predicted probabilities, probe example #{example}", subtitle="click a bar to follow that digit back")
    return {"layers": layers, "pixels": pixels, "probabilities": bars}


def register(app):
    controls.register_waiting(app, VIEW)

    @app.callback(Output("digit-buttons", "children"), Output("digit-layers", "children"),
                  Output("digit-pixels", "figure"), Output("digit-probabilities", "figure"),
                  Input("state", "data"), Input("digit-mode", "value"))
    def render(state, mode):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        digit = computed.shown_digit(state)
        built = digit_figures(*computed.key_of(state), state["snapshot"], digit, mode, controls.example_of(state))
        buttons = [html.Button(str(value), id={"type": "digit-pick", "digit": value}, n_clicks=0,
                               className="nl-button nl-selected" if value == digit else "nl-button")
                   for value in run.classes]
        layers = [controls.graph({"type": "digit-bars", "layer": layer}, 270, figure) for layer, figure in built["layers"]]
        return buttons, layers, built["pixels"], built["probabilities"]

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input({"type": "digit-pick", "digit": ALL}, "n_clicks"), Input("digit-probabilities", "clickData"),
                  State("state", "data"), prevent_initial_call=True)
    def pick_digit(clicks, bar_click, state):
        if not active(state):
            raise PreventUpdate
        if ctx.triggered_id == "digit-probabilities":
            digit = bar_click["points"][0]["x"] if bar_click else None
        elif isinstance(ctx.triggered_id, dict) and any(clicks):
            digit = ctx.triggered_id["digit"]
        else:
            digit = None
        if digit is None or digit == state.get("digit"):
            raise PreventUpdate
        return href(state, digit=int(digit))

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input({"type": "digit-bars", "layer": ALL}, "clickData"), State("state", "data"),
                  prevent_initial_call=True)
    def open_neuron(clicks, state):
        trigger = ctx.triggered_id
        if not active(state) or not isinstance(trigger, dict):
            raise PreventUpdate
        neuron = figures.neuron_at(ctx.triggered[0]["value"])
        if neuron is None:
            raise PreventUpdate
        return href(state, view="neuron", layer=trigger["layer"], neuron=neuron)

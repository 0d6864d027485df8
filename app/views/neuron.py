"""Journey 4, watch a neuron form: its receptive field scrubbed over snapshots, and beside it
what the neuron does (focus over time, class means, digits that excite it, ablation).

Scrubbing never waits for the server: the fields of all snapshots reach the browser once in
`neuron-frames`, and app/assets/neuron_scrub.js redraws the field and the curve marker.
The snapshot-dependent panels follow the URL's snapshot, which the slider writes on release.
"""
from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import figures
from app.runs import RunUnavailable
from app.urlstate import href
from app.views import computed, controls, exports
from app.views import neuron_responses

VIEW = "neuron"
LABEL = "Neuron"
HINT = "Watch one neuron's receptive field form over training, and what it responds to"

KINDS = {
    "weights": ("weights", "Receptive field: W₁[:, j] as 28×28"),
    "change": ("change since init", "Learned change Δₜ = RFₜ − RF₀"),
    "step": ("change since previous snapshot", "Step change RFₜ − RFₜ₋₁ (red: went up, blue: went down)"),
}
# Deeper layers show expanded weights (Voss et al. 2021). Each line fits above the 430-px field.
DEEPER_KINDS = {
    "weights": "Expanded weights W₁·diag(s₁)⋯Wₗ[:, k], ReLU as identity (Voss 2021)",
    "change": "Learned change Δₜ = RFₜ − RF₀ of the expanded weights",
    "step": "Step change RFₜ − RFₜ₋₁ of the expanded weights (red: up, blue: down)",
}
METRICS = {
    "focus": ("focus", "Hoyer sparsity of |Δₜ| over live pixels, 0 = spread evenly, 1 = one pixel"),
    "effective_pixels": ("effective pixels", "exp(entropy of p = |Δₜ| / Σ|Δₜ|) over live pixels"),
    "top20_share": ("top-20 share", "share of Σ|Δₜ| held by the 20 largest pixels"),
    "spread": ("spread (pixels)", "radius of gyration of p = |Δₜ| / Σ|Δₜ| on the 28×28 grid"),
    "blobs": ("blobs", "connected regions (8-connectivity) with |Δₜ| ≥ ½ max"),
}
FIELD_TITLE_SIZE = 13
SLIDER_MARKS = 4  # the field's slider is narrow: more marks would overlap
ABLATION_MODES = {"mean": "mean-ablation (activation → its probe-set mean)",
                  "zero": "zero-ablation (activation → 0)"}


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(className="nl-neuron", children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Layer", dcc.Dropdown(id="neuron-layer", clearable=False, style={"width": "140px"})]),
            html.Label(["Neuron", dcc.Input(id="neuron-index", type="number", step="any", debounce=True,
                                            style={"width": "80px"})]),
            html.Label(["Show", dcc.RadioItems(
                # The learned change first: a first-layer field is mostly its random initialisation.
                id="neuron-kind", value="change", inline=True,
                options=[{"label": label, "value": kind} for kind, (label, _) in KINDS.items()])]),
            html.Label(["Colour limits", dcc.RadioItems(
                id="neuron-scaling", value="fixed", inline=True,
                options=[{"label": "fixed over all snapshots", "value": "fixed"},
                         {"label": "per snapshot", "value": "frame"}])]),
        ]),
        html.Div(className="nl-neuron-body", children=[
            html.Div(className="nl-neuron-left", children=[
                # The colour bar is plain HTML: as a Plotly colour bar it would be redrawn on every
                # scrub step, a third of the step's cost.
                html.Div(className="nl-field-row", children=[
                    controls.graph("neuron-field", 430),
                    html.Div(className="nl-colorbar", children=[
                        html.Div(className="nl-colorbar-bar", style={"background": figures.css_gradient()}),
                        html.Div(className="nl-colorbar-labels", children=[
                            html.Span(id="neuron-limit-high"), html.Span("0"), html.Span(id="neuron-limit-low")]),
                    ]),
                ]),
                html.Div(className="nl-scrubber", children=[
                    html.Button("▶ Play", id="neuron-play", n_clicks=0, className="nl-button"),
                    html.Div(dcc.Slider(id="neuron-slider", min=0, max=0, step=1, value=0, marks=None,
                                        updatemode="mouseup", allow_direct_input=False), className="nl-slider"),
                ]),
                html.Div(id="neuron-snapshot-label", className="nl-snapshot-label"),
                exports.neuron_buttons(),
                neuron_responses.responds_panel(),
                dcc.Interval(id="neuron-interval", interval=400, disabled=True),
                dcc.Store(id="neuron-frames"),
                dcc.Store(id="neuron-frames-key"),
                dcc.Store(id="neuron-curve-base"),
            ]),
            html.Div(className="nl-neuron-right", children=[
                html.Div(className="nl-wide", children=[
                    html.Div(className="nl-inline", children=[
                        html.Span("Metric over snapshots", className="nl-caption"),
                        dcc.Dropdown(id="neuron-metric", value="focus", clearable=False, style={"width": "190px"},
                                     options=[{"label": label, "value": key} for key, (label, _) in METRICS.items()]),
                    ]),
                    controls.graph("neuron-curve", 220),
                ]),
                controls.graph("neuron-means", 230),
                controls.graph("neuron-top", 230),
                html.Div(className="nl-wide", children=[
                    html.Div(className="nl-inline", children=[
                        html.Button("Ablate this neuron", id="neuron-ablate", n_clicks=0, className="nl-button"),
                        dcc.RadioItems(id="neuron-ablate-mode", value="mean", inline=True,
                                       options=[{"label": "mean-ablation", "value": "mean"},
                                                {"label": "zero-ablation", "value": "zero"}]),
                    ]),
                    html.Div(id="neuron-ablation"),
                ]),
                *neuron_responses.panels(),
            ]),
        ]),
    ])


def active(state) -> bool:
    return controls.showing(state, VIEW)


def snapshot_of(state) -> int:
    snapshot = state.get("snapshot")
    return state["snapshot_count"] - 1 if snapshot is None else int(snapshot)


def field_subtitle(run, layer: str) -> dict[str, str]:
    """Per view kind, the definition shown; deeper layers say they show expanded weights, and an
    import without an initialisation says its "change" is the weights themselves (RF₀ taken as 0)."""
    subtitles = dict(DEEPER_KINDS) if run.hidden_layers.index(layer) > 0 else {
        kind: text for kind, (_, text) in KINDS.items()}
    if not run.has_initialisation:
        subtitles["change"] = "No init in this import: RF₀ = 0, so Δₜ = RFₜ, the weights"
    return subtitles


def frames_payload(run_id: str, snapshot_count: int, layer: str, neuron: int) -> dict:
    """What the browser needs to scrub one neuron: fields, labels, base figure, titles."""
    run = computed.run_at(run_id, snapshot_count)
    payload = dict(computed.neuron_frames(run_id, snapshot_count, layer, neuron))
    # The browser fills in the field, limits and title of each frame; this is the frame around them.
    base = figures.field_heatmap(computed.unseen_as_nan(run, np.zeros((28, 28))), title="",
                                 subtitle=KINDS["weights"][1], height=430, colorbar_title=None)
    # "Neuron 103 of dense_2 · change since previous snapshot" is cut off at the usual 15 px.
    base.update_layout(title_font_size=FIELD_TITLE_SIZE)
    payload.update(base=base.to_plotly_json(),
                   titles={kind: f"Neuron {neuron} of {layer} · {label}" for kind, (label, _) in KINDS.items()},
                   subtitles=field_subtitle(run, layer))
    return payload


@computed.figure_cache
def curve_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int, metric: str):
    table = computed.focus_curve(run_id, snapshot_count, layer, neuron)
    label, definition = METRICS[metric]
    marks = controls.run_marks(computed.run_at(run_id, snapshot_count), most=SLIDER_MARKS)
    return figures.metric_curve(table, metric, snapshot, marks=marks,
                                title=f"{label.capitalize()} of neuron {neuron} over training",
                                subtitle=definition, value_label=label)


@computed.figure_cache
def means_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int):
    row = computed.selectivity(run_id, snapshot_count, layer, snapshot).iloc[neuron]
    means = [row[f"mean_{digit}"] for digit in range(10) if f"mean_{digit}" in row.index]
    best = None if np.isnan(row["best_digit"]) else int(row["best_digit"])
    return figures.class_means_figure(means, best_digit=best, selectivity=float(row["si"]),
                                      d_prime=float(row["d_prime"]), active_share=None if np.isnan(row["active_share"]) else float(row["active_share"]),
                                      title=f"Class means at {computed.run_at(run_id, snapshot_count).snapshot_labels[snapshot]}")


@computed.figure_cache
def top_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int):
    run = computed.run_at(run_id, snapshot_count)
    indices, values = computed.top_examples(run_id, snapshot_count, layer, neuron, snapshot)
    captions = [f"{run.probe_labels[index]} · {value:.2f}" for index, value in zip(indices, values)]
    return figures.digit_gallery(
        run.probe_images[indices], captions, columns=4, height=230, title="Probe digits that excite it most",
        subtitle=top_subtitle(values, run.snapshot_labels[snapshot]))


def top_subtitle(top_values, label: str) -> str:
    """What the gallery shows; a neuron silent on every probe digit has no digit that excites it,
    only the first few of many ties."""
    if not len(top_values) or np.max(top_values) <= 0:
        return f"none: h ≤ 0 on every probe digit at {label}"
    return f"probe set, activation h at {label} · caption: true digit · h"


@computed.figure_cache
def ablation_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int, mode: str):
    result = computed.ablation(run_id, snapshot_count, layer, neuron, snapshot, mode)
    per_class = result["per_class"]
    return figures.accuracy_before_after(
        per_class["before"], per_class["after"],
        overall_before=result["overall"]["before"], overall_after=result["overall"]["after"],
        title=f"Probe accuracy per class, before → after ablating neuron {neuron}",
        subtitle=ABLATION_MODES[mode])


def neuron_key(state) -> tuple:
    """(run id, snapshot count, layer, neuron): the arguments that pick one neuron of one run."""
    return (*computed.key_of(state), state["layer"], state["neuron"])


def register(app):
    controls.register_waiting(app, VIEW)
    neuron_responses.register(app, active, neuron_key, snapshot_of)

    app.clientside_callback(
        ClientsideFunction(namespace="neuronLens", function_name="redraw"),
        Output("neuron-field", "figure"), Output("neuron-curve", "figure"), Output("neuron-snapshot-label", "children"),
        Output("neuron-limit-high", "children"), Output("neuron-limit-low", "children"),
        Input("neuron-slider", "drag_value"), Input("neuron-slider", "value"), Input("neuron-kind", "value"),
        Input("neuron-scaling", "value"), Input("neuron-frames", "data"), Input("neuron-curve-base", "data"))
    app.clientside_callback(
        ClientsideFunction(namespace="neuronLens", function_name="togglePlay"),
        Output("neuron-interval", "disabled"), Output("neuron-play", "children"),
        Input("neuron-play", "n_clicks"), State("neuron-interval", "disabled"), prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="neuronLens", function_name="advance"),
        Output("neuron-slider", "value", allow_duplicate=True),
        Input("neuron-interval", "n_intervals"), State("neuron-slider", "value"), State("neuron-slider", "max"),
        prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="neuronLens", function_name="snapshotLink"),
        Output("url", "search", allow_duplicate=True),
        Input("neuron-slider", "value"), Input("neuron-interval", "disabled"), State("state", "data"),
        State("url", "search"), prevent_initial_call=True)

    @app.callback(
        Output("neuron-frames", "data"), Output("neuron-frames-key", "data"),
        Output("neuron-slider", "max"), Output("neuron-slider", "marks"), Output("neuron-slider", "value"),
        Output("neuron-layer", "options"), Output("neuron-layer", "value"),
        Output("neuron-index", "value"),
        Input("state", "data"), State("neuron-frames-key", "data"), State("neuron-slider", "value"))
    def load_frames(state, loaded_key, slider_value):
        if not active(state):
            raise PreventUpdate
        try:
            run = computed.run_of(state)
        except RunUnavailable:
            raise PreventUpdate from None
        count, layer = run.snapshot_count, state["layer"]
        key = computed.key(*neuron_key(state))
        frames = no_update if key == loaded_key else frames_payload(*neuron_key(state))
        snapshot = snapshot_of(state)
        marks = controls.run_marks(run, most=SLIDER_MARKS)
        return (frames, key, max(count - 1, 0), marks, no_update if snapshot == slider_value else snapshot,
                run.hidden_layers, layer, state["neuron"])

    @app.callback(Output("neuron-curve-base", "data"), Input("state", "data"), Input("neuron-metric", "value"))
    def load_curve(state, metric):
        if not active(state):
            raise PreventUpdate
        return curve_figure(*neuron_key(state), snapshot_of(state), metric)

    @app.callback(Output("neuron-means", "figure"), Output("neuron-top", "figure"), Output("neuron-ablation", "children"),
                  Input("state", "data"))
    def snapshot_panels(state):
        if not active(state):
            raise PreventUpdate
        key = (*neuron_key(state), snapshot_of(state))
        return means_figure(*key), top_figure(*key), html.P(
            "Ablation replaces this neuron's activation and shows per-class probe accuracy before → after. "
            "Selectivity is neither necessary nor sufficient for importance (Leavitt & Morcos 2021): "
            "compare both.", className="nl-caption")

    @app.callback(Output("neuron-ablation", "children", allow_duplicate=True),
                  Input("neuron-ablate", "n_clicks"), Input("neuron-ablate-mode", "value"),
                  State("neuron-ablation", "children"), State("state", "data"), prevent_initial_call=True)
    def ablate(clicks, mode, shown, state):
        """Ablate on a click; a new mode redraws an ablation already shown, so it never names the other mode."""
        if not clicks or not active(state):
            raise PreventUpdate
        if ctx.triggered_id == "neuron-ablate-mode" and not ablation_shown(shown):
            raise PreventUpdate
        return controls.graph("neuron-ablation-graph", 250, ablation_figure(*neuron_key(state), snapshot_of(state), mode))

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Output("neuron-index", "value", allow_duplicate=True),
                  Input("neuron-layer", "value"), Input("neuron-index", "value"), State("state", "data"),
                  prevent_initial_call=True)
    def choose_neuron(layer, neuron, state):
        if not active(state) or layer is None:
            raise PreventUpdate
        if layer != state["layer"]:
            return href(state, layer=layer, neuron=0), no_update
        neuron = controls.whole_number_below(neuron, computed.run_of(state).units(layer))
        if neuron is None:
            return no_update, refuse_neuron(state)
        if neuron == state["neuron"]:
            raise PreventUpdate
        return href(state, neuron=neuron), no_update


def ablation_shown(children) -> bool:
    return isinstance(children, dict) and (children.get("props") or {}).get("id") == "neuron-ablation-graph"



def refuse_neuron(state) -> int:
    """Say which neuron numbers exist and put the shown neuron's number back in the box."""
    units = computed.run_of(state).units(state["layer"])
    return controls.refuse_number(f"{state['layer']} has neurons 0 to {units - 1}; still showing "
                                  f"neuron {state['neuron']}.", state["neuron"])

"""The neuron page's panels on what a neuron responds to and what it does (issue 11): the
"responds to" picture scrubbed with the field's slider, the activation histogram, exemplars by
activation band, logit effects, correlated neurons and the dream. Definitions: docs/interpretation.md.

The responds-to pictures of every snapshot reach the browser once (`neuron-responds-frames`), and
app/assets/neuron_responds.js redraws them as the slider moves, like the field. The other panels
follow the URL's snapshot; the dream is computed when asked for.
"""
from __future__ import annotations

import base64

import numpy as np
from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from app import figures, neuron_figures
from app.urlstate import href
from app.views import computed, controls

VIEW = "neuron"
RESPONDS_HEIGHT = 330
# What the picture shows, as the browser titles it: the definition, or its first term alone.
RESPONDS_KINDS = {
    "difference": ("minus the mean digit", "activation-weighted mean probe digit − mean probe digit (red: more ink)"),
    "ink": ("as ink", "activation-weighted mean probe digit Σwᵢxᵢ/Σwᵢ, wᵢ = hᵢ − min h"),
}
BANDS_NOTE = ("probe digits at evenly spaced ranks of each activation band · caption: true digit · h · "
              "click one to trace it through the network")


def responds_panel():
    """The picture under the field's slider; it scrubs with it."""
    return html.Div(className="nl-responds", children=[
        # Shown only when the pictures take a while (a deeper layer's over many snapshots, ~1 s per 100).
        controls.computing(html.Div([controls.graph("neuron-responds", RESPONDS_HEIGHT),
                            dcc.Store(id="neuron-responds-frames"), dcc.Store(id="neuron-responds-key")])),
        dcc.RadioItems(id="neuron-responds-kind", value="difference", inline=True, className="nl-caption",
                       options=[{"label": label, "value": kind} for kind, (label, _) in RESPONDS_KINDS.items()]),
    ])


def panels():
    """The panels of the right-hand column, after the class means and top digits."""
    return [
        html.Div(className="nl-wide", children=[
            dcc.RadioItems(id="neuron-histogram-scale", value="count", inline=True, className="nl-caption",
                           options=[{"label": label, "value": scale}
                                    for scale, label in neuron_figures.SCALES.items()]),
            controls.graph("neuron-histogram", 290),
        ]),
        html.Div(controls.graph("neuron-logit-effects", 276), className="nl-wide"),
        html.Div(className="nl-wide", children=[
            html.Div("Exemplars by activation band", className="nl-panel-title"),
            html.Div(BANDS_NOTE, className="nl-caption"),
            html.Div(id="neuron-exemplars", className="nl-bands"),
        ]),
        html.Div(className="nl-wide", children=[
            html.Div("Correlated neurons", className="nl-panel-title"),
            html.Div("Pearson r of activations over the probe set, this and the adjacent layers · click to open",
                     className="nl-caption"),
            html.Div(id="neuron-correlated", className="nl-chips"),
        ]),
        html.Div(className="nl-wide", children=[
            html.Div(className="nl-inline", children=[
                html.Button("Dream: what input excites it most?", id="neuron-dream-button", n_clicks=0,
                            className="nl-button"),
                html.Span("activation maximisation from 4 noise seeds, computed on request",
                          className="nl-caption"),
            ]),
            controls.computing(html.Div(id="neuron-dream")),
        ]),
    ]


@computed.per_run
def responds_frames(run_id: str, snapshot_count: int, layer: str, neuron: int) -> dict:
    """Every snapshot's responds-to picture for the browser (base64 little-endian float32, pixels
    never inked in training NaN), with the frame around them."""
    run = computed.run_at(run_id, snapshot_count)
    pictures = computed.unseen_as_nan(run, run.responds_to_frames(layer, neuron))
    mean_digit = computed.unseen_as_nan(run, run.probe_images.mean(axis=0) / 255)
    base = figures.field_heatmap(computed.unseen_as_nan(run, np.zeros((28, 28))), title="",
                                 subtitle="", height=RESPONDS_HEIGHT, colorbar_title="ink")
    return {"key": computed.key(run_id, snapshot_count, layer, neuron), "count": int(len(pictures)),
            "title": f"Neuron {neuron} responds to", "base": base.to_plotly_json(),
            "subtitles": {kind: text for kind, (_, text) in RESPONDS_KINDS.items()},
            "fields": packed(pictures), "mean": packed(mean_digit)}


def packed(values) -> str:
    """Values as base64 little-endian float32, as the browser unpacks them."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


@computed.figure_cache
def histogram_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int, scale: str):
    run = computed.run_at(run_id, snapshot_count)
    table = run.activation_histogram(layer, neuron, snapshot)
    gating = not np.isnan(run.selectivity(layer, snapshot)["active_share"].iloc[neuron])
    return neuron_figures.activation_histogram(
        table, run.classes, scale=scale, silent_share=table.attrs["silent_share"] if gating else None,
        title=f"Activation histogram at {run.snapshot_labels[snapshot]}")


@computed.figure_cache
def logit_effects_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int):
    run = computed.run_at(run_id, snapshot_count)
    return neuron_figures.logit_effects(run.logit_effects(layer, neuron, snapshot), neuron=neuron,
                                        title="What it does to each digit's logit")


@computed.per_run
def exemplar_rows(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int) -> list[dict]:
    """Per band: its label and (probe index, PNG, caption) of each exemplar."""
    run = computed.run_at(run_id, snapshot_count)
    table = run.exemplars(layer, neuron, snapshot)
    return [{"label": neuron_figures.band_label(low, high),
             "digits": [(int(row.example), neuron_figures.digit_png(run.probe_images[row.example]),
                         f"{row.label} · {row.activation:.2f}") for row in band.itertuples()]}
            for (low, high), band in table.groupby(["band_low", "band_high"], sort=False)]


@computed.per_run
def correlated(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int):
    return computed.run_at(run_id, snapshot_count).correlated_neurons(layer, neuron, snapshot)


@computed.figure_cache
def dream_figure(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int):
    run = computed.run_at(run_id, snapshot_count)
    dream = run.maximize(layer, neuron, snapshot)
    best = dream["best_example"]
    return neuron_figures.dream_gallery(dream, run.probe_images[best], int(run.probe_labels[best]),
                                        title=f"Dream of neuron {neuron} at {run.snapshot_labels[snapshot]}",
                                        first_layer=run.hidden_layers.index(layer) == 0)


def exemplar_bands(state: dict, rows: list[dict]):
    """One line per band: its label, then its digits, each a link to the Example view."""
    return [html.Div(className="nl-band", children=[
        html.Span(band["label"], className="nl-band-label"),
        *[html.A(href=href(state, view="example", example=example), className="nl-exemplar",
                 title=f"probe digit {example}: trace it through the network",
                 children=[html.Img(src=png, alt=f"probe digit {example}"), html.Span(caption)])
          for example, png, caption in band["digits"]],
    ]) for band in rows]


def correlated_chips(state: dict, table):
    if table.empty:
        return html.Span("no other neuron varies over the probe set", className="nl-caption")
    return [html.A(f"{row.layer} · {row.neuron}  r {row.r:+.2f}", className="nl-chip",
                   href=href(state, layer=row.layer, neuron=int(row.neuron)),
                   style={"borderColor": figures.HIGHLIGHT if row.r > 0 else "#2166ac"})
            for row in table.itertuples()]


def register(app, active, neuron_key, snapshot_of):
    """Wire the panels; `active`, `neuron_key` and `snapshot_of` are the neuron view's own readers
    of the page state, so both halves of the page always show the same neuron and snapshot."""
    app.clientside_callback(
        ClientsideFunction(namespace="neuronLensResponds", function_name="redraw"),
        Output("neuron-responds", "figure"),
        Input("neuron-slider", "drag_value"), Input("neuron-slider", "value"), Input("neuron-scaling", "value"),
        Input("neuron-responds-kind", "value"), Input("neuron-responds-frames", "data"))

    @app.callback(Output("neuron-responds-frames", "data"), Output("neuron-responds-key", "data"),
                  Input("state", "data"), State("neuron-responds-key", "data"))
    def load_responds(state, loaded_key):
        if not active(state):
            raise PreventUpdate
        key = computed.key(*neuron_key(state))
        if key == loaded_key:
            raise PreventUpdate
        return responds_frames(*neuron_key(state)), key

    @app.callback(Output("neuron-histogram", "figure"), Output("neuron-histogram-scale", "value"),
                  Input("state", "data"))
    def histogram(state):
        if not active(state):
            raise PreventUpdate
        return histogram_figure(*neuron_key(state), snapshot_of(state), state["histogram"]), state["histogram"]

    controls.register_choice(app, VIEW, "neuron-histogram-scale", "histogram")

    @app.callback(Output("neuron-logit-effects", "figure"), Output("neuron-exemplars", "children"),
                  Output("neuron-correlated", "children"), Input("state", "data"))
    def snapshot_panels(state):
        if not active(state):
            raise PreventUpdate
        key = (*neuron_key(state), snapshot_of(state))
        return (logit_effects_figure(*key), exemplar_bands(state, exemplar_rows(*key)),
                correlated_chips(state, correlated(*key)))

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input("neuron-dream-button", "n_clicks"), State("state", "data"), prevent_initial_call=True)
    def ask_for_dream(clicks, state):
        """The link remembers that dreams were asked for; they then show for every neuron opened."""
        if not clicks or not active(state) or state["dream"] == "on":
            raise PreventUpdate
        return href(state, dream="on")

    @app.callback(Output("neuron-dream", "children"), Input("state", "data"))
    def dream(state):
        if not active(state):
            raise PreventUpdate
        if state["dream"] != "on":
            return None
        return controls.graph("neuron-dream-graph", 200, dream_figure(*neuron_key(state), snapshot_of(state)))

"""Taking results away: the neuron view's "download animation" (GIF) and "download fields (.npz)".

The files are written by the core (Run.animation, Run.save_fields) from the run as the page shows
it (`computed.run_of`).
"""
from __future__ import annotations

import io

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from app.views import computed


def neuron_buttons():
    """The neuron view's two downloads, placed under its scrubber."""
    return html.Div(className="nl-inline nl-exports", children=[
        html.Button("Download animation (GIF)", id="export-gif-button", n_clicks=0, className="nl-button",
                    title="The field over every snapshot as a looping GIF: the kind shown here, each frame "
                          "labelled, colour limits fixed over all frames"),
        html.Button("Download fields (.npz)", id="export-npz-button", n_clicks=0, className="nl-button",
                    title="The weights, learned change and step change at every snapshot, (snapshots, 28, 28) "
                          "each, with the snapshot labels and live-pixel mask, for numpy"),
        dcc.Download(id="export-gif"), dcc.Download(id="export-npz"),
    ])


def file_stem(state: dict) -> str:
    """Run ids and layer names are already safe file-name characters (neurons.runformat)."""
    return f"{state['run']}-{state['layer']}-neuron{state['neuron']}"


def neuron_ready(clicks, state) -> bool:
    return bool(clicks) and bool(state) and state.get("run") and state.get("layer") and state.get("neuron") is not None


def register(app):
    @app.callback(Output("export-gif", "data"), Input("export-gif-button", "n_clicks"),
                  State("state", "data"), State("neuron-kind", "value"), prevent_initial_call=True)
    def download_animation(clicks, state, kind):
        if not neuron_ready(clicks, state):
            raise PreventUpdate
        kind = kind or "change"
        run = computed.run_of(state)

        def write(target: io.BytesIO):
            run.animation(state["layer"], int(state["neuron"]), target, kind=kind)
        return dcc.send_bytes(write, f"{file_stem(state)}-{kind}.gif")

    @app.callback(Output("export-npz", "data"), Input("export-npz-button", "n_clicks"),
                  State("state", "data"), prevent_initial_call=True)
    def download_fields(clicks, state):
        if not neuron_ready(clicks, state):
            raise PreventUpdate
        run = computed.run_of(state)
        return dcc.send_bytes(lambda target: run.save_fields(state["layer"], int(state["neuron"]), target),
                              f"{file_stem(state)}-fields.npz")

"""Taking results away: the neuron view's "download animation" (GIF) and "download fields (.npz)",
and the header's "download report" (one HTML file that opens offline, app/report.py).

The files are written by the core (Run.animation, Run.save_fields) from the run as the page shows
it (`computed.run_of`); the report is built in a background job, never on a request worker.
"""
from __future__ import annotations

import io

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from app import report
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


def report_button():
    """The header's report download, for whichever run is open."""
    return html.Div(className="nl-report", children=[
        html.Button("Download report", id="export-report-button", n_clicks=0, className="nl-button",
                    title="This run as one HTML file that opens offline: training curves, layer mosaics, "
                          "the ten most focused neurons with their scrubs, digit chains, the ranking"),
        html.Span("building the report…", id="export-report-working", className="nl-caption", hidden=True),
        dcc.Download(id="export-report"),
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

    @app.callback(Output("export-report", "data"), Input("export-report-button", "n_clicks"),
                  State("state", "data"), background=True, prevent_initial_call=True,
                  running=[(Output("export-report-working", "hidden"), False, True),
                           (Output("export-report-button", "disabled"), True, False)])
    def download_report(clicks, state):
        if not clicks or not state or not state.get("run"):
            raise PreventUpdate
        with app.server.app_context():
            document = report.build_report(state["run"])
        return dcc.send_string(document, f"{state['run']}-report.html")

"""Layer health over training, on the Training tab: for every hidden layer, its activation
distribution per snapshot, its dead (ReLU) or saturated (sigmoid, tanh) share, and its update ratio.

Definitions: docs/interpretation.md, "How a layer sees the digits", Layer health; the numbers come
from `Run.layer_health` and `Run.activation_distribution`, the pictures from app/space_figures.py.
"""
from __future__ import annotations

from dash import Input, Output, html
from dash.exceptions import PreventUpdate

from app import space_figures
from app.views import computed, controls

VIEW = "training"


def panel():
    return html.Div(className="nl-health", children=[
        html.H3("Layer health over training", className="nl-space-heading"),
        html.P("Is every layer still learning? Dead or saturated units pass no gradient. The update ratio "
               "‖Wₜ − Wₜ₋₁‖ / ‖Wₜ₋₁‖ is taken between neighbouring snapshots (an epoch, or part of one, not a "
               "single step): when it falls towards zero, the layer has stopped moving.", className="nl-caption"),
        html.Div(id="health-figures"),
    ])


@computed.figure_cache
def health_figure(run_id: str, snapshot_count: int, layer: str):
    run = computed.run_at(run_id, snapshot_count)
    edges, shares = run.activation_distribution(layer)
    frame = run.layer_health(layer)
    return space_figures.health_figure(frame, edges, shares, run.snapshot_labels, layer=layer,
                                       activation=frame.attrs["activation"], probe_size=len(run.probe_labels))


def register(app):
    @app.callback(Output("health-figures", "children"), Input("state", "data"))
    def draw(state):
        if not state or state.get("view") != VIEW or not state.get("run") or not state.get("snapshot_count"):
            raise PreventUpdate
        run = computed.run_of(state)
        return [controls.graph(None, None, health_figure(*computed.key_of(state), layer)) for layer in run.hidden_layers]

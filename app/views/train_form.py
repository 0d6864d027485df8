"""Journey 9: train a new run from the page, and open it as soon as its folder appears."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

from app import urlstate
from app.launcher import (DATASETS, EPOCH_RANGE, PRESETS, SEED_RANGE, Launcher, TrainingRefused,
                          TrainingRequest)
from app.runs import RunUnavailable, registry

EXTENSION_KEY = "neuron_lens_launcher"
PRESET_HINTS = {
    "final": "128-64 ReLU, batch norm, dropout",
    "relu": "128-64 ReLU",
    "sigmoid": "25-15 sigmoid",
    "dropout": "128-64 ReLU, dropout",
    "l1": "128-64 ReLU, L1 weights",
    "l1-dropout": "128-64 ReLU, L1 + dropout",
    "binary01": "0 vs 1, 25-15 sigmoid",
}


def install(server, data_dir, *, enabled: bool) -> Launcher:
    launcher = Launcher(data_dir, enabled=enabled)
    server.extensions[EXTENSION_KEY] = launcher
    return launcher


def launcher() -> Launcher:
    return current_app.extensions[EXTENSION_KEY]


def field(label: str, control):
    return html.Label(className="nl-field", children=[html.Span(label, className="nl-field-label"),
                                                      control])


def layout(*, enabled: bool):
    if not enabled:
        body = [html.P("Training from the page is turned off on this server "
                       "(NEURON_LENS_ALLOW_TRAINING=0).", className="nl-muted")]
    else:
        body = [html.Div(className="nl-form", children=[
            field("Preset", dcc.Dropdown(
                id="train-preset", value=PRESETS[0], clearable=False, searchable=False,
                options=[{"label": f"{name} — {PRESET_HINTS[name]}", "value": name}
                         for name in PRESETS])),
            field("Dataset", dcc.RadioItems(
                id="train-dataset", value=DATASETS[0], inline=True,
                options=[{"label": " sample (5,000 digits)", "value": "sample"},
                         {"label": " mnist (full)", "value": "mnist"},
                         {"label": " auto (mnist if it downloads, else the sample)", "value": "auto"}])),
            field(f"Epochs ({EPOCH_RANGE[0]}–{EPOCH_RANGE[1]})",
                  dcc.Input(id="train-epochs", type="number", value=5, step=1,
                            min=EPOCH_RANGE[0], max=EPOCH_RANGE[1])),
            field("Seed", dcc.Input(id="train-seed", type="number", value=0, step=1,
                                    min=SEED_RANGE[0], max=SEED_RANGE[1])),
            html.Button("Start training", id="train-start", className="nl-button", n_clicks=0),
        ]),
            html.Div(id="train-status", className="nl-train-status", role="status")]
    return html.Details(id="train-panel", className="nl-train", children=[
        html.Summary("Train a new run"), *body])


def register(app) -> None:
    if not launcher_enabled(app):
        return

    @app.callback(Output("train-status", "children"), Output("train-pending", "data"),
                  Input("train-start", "n_clicks"),
                  State("train-preset", "value"), State("train-dataset", "value"),
                  State("train-epochs", "value"), State("train-seed", "value"),
                  prevent_initial_call=True)
    def start_training(_clicks, preset, dataset, epochs, seed):
        try:
            request = TrainingRequest.checked(preset, dataset, epochs, seed)
            run_id = launcher().start(request)
        except TrainingRefused as refusal:
            return html.Span(str(refusal), className="nl-error-text"), no_update
        length = f"{request.epochs} epoch" + ("s" if request.epochs != 1 else "")
        return (f"Started {run_id}: {length} of {request.preset} on "
                f"{request.dataset}. It opens here as soon as its first snapshot is saved."), \
            {"run": run_id, "opened": False}

    @app.callback(Output("train-start", "disabled"), Input("tick", "n_intervals"),
                  State("train-start", "disabled"))
    def block_while_training(_tick, disabled):
        busy = launcher().busy()
        if busy == bool(disabled):
            raise PreventUpdate
        return busy

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Output("train-pending", "data", allow_duplicate=True),
                  Output("train-status", "children", allow_duplicate=True),
                  Input("tick", "n_intervals"), State("train-pending", "data"),
                  State("state", "data"), prevent_initial_call=True)
    def follow_training(_tick, pending, state):
        """Open the new run at its first snapshot; say how it ended once the trainer exits."""
        if not isinstance(pending, dict) or not isinstance(pending.get("run"), str):
            raise PreventUpdate
        run_id = pending["run"]
        try:
            info = registry().info(run_id)
        except RunUnavailable:
            info = None
        ready = info is not None and info.snapshot_count > 0
        busy = launcher().busy()
        opened = bool(pending.get("opened"))
        if busy and (not ready or opened):
            raise PreventUpdate
        link = no_update if opened or not ready else urlstate.href(state, run=run_id)
        if busy:
            return link, pending | {"opened": True}, no_update
        return link, None, ending(run_id, info)


def ending(run_id: str, info) -> html.Span:
    """How a run started from the form ended, in one line."""
    if info is None or info.snapshot_count == 0:
        return html.Span(f"The trainer stopped before it saved {run_id}; its output is in "
                         f"logs/{run_id}.log in the data folder.", className="nl-error-text")
    accuracy = (info.manifest.get("test") or {}).get("accuracy")
    result = f", test accuracy {accuracy:.1%}" if isinstance(accuracy, (int, float)) else ""
    error = info.manifest.get("error")
    return html.Span(f"{run_id} {info.status}{result}." + (f" {error}" if error else ""),
                     className="nl-error-text" if info.status == "failed" else "")


def launcher_enabled(app) -> bool:
    return app.server.extensions[EXTENSION_KEY].enabled

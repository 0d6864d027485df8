"""create_app: the Dash app for one data folder, with the shell's callbacks and every view."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import dash
from dash import Input, Output, State, html, set_props
from dash.exceptions import DependencyException, PreventUpdate
from flask import jsonify

from app import background, layout, urlstate
from app.cache import init_cache
from app.runs import RunUnavailable, install
from app.views import VIEWS, exports, train_form
from neurons.runformat import dataset_label

log = logging.getLogger("neuron_lens.app")
ALLOW_TRAINING_ENV = "NEURON_LENS_ALLOW_TRAINING"
DATA_DIR_ENV = "NEURON_LENS_DATA_DIR"
ASSETS = Path(__file__).with_name("assets")


def training_allowed(allow_training: bool | None) -> bool:
    if allow_training is not None:
        return allow_training
    return os.environ.get(ALLOW_TRAINING_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def create_app(data_dir, *, allow_training: bool | None = None,
               cache_config: dict | None = None) -> dash.Dash:
    """The dashboard for the runs in data_dir/runs. Debug stays off: set it only in app.run."""
    allow_training = training_allowed(allow_training)
    app = dash.Dash(__name__, title="Neuron Lens", assets_folder=str(ASSETS),
                    update_title=None, on_error=report_callback_error,
                    background_callback_manager=background.manager(data_dir))
    registry = install(app.server, data_dir)
    init_cache(app.server, cache_config)
    launcher = train_form.install(app.server, registry.data_dir, enabled=allow_training)
    app.layout = layout.build_layout(
        VIEWS, train_form.layout(enabled=allow_training),
        data_dir_label=str(data_dir), allow_training=allow_training)
    register_shell(app, registry, [view.VIEW for view in VIEWS])
    for view in VIEWS:
        view.register(app)
    train_form.register(app)
    exports.register(app)

    @app.server.errorhandler(DependencyException)
    def unknown_component_file(_error):
        return "Not found", 404, {"Content-Type": "text/plain; charset=utf-8"}

    @app.server.route("/healthz")
    def healthz():
        summaries = registry.summaries()
        return jsonify(status="ok", runs=len(summaries),
                       broken=sum(1 for summary in summaries if summary.broken),
                       training=launcher.busy())

    return app


def report_callback_error(error: Exception):
    """Any callback failure becomes a plain message; the traceback goes to the server log only."""
    if isinstance(error, RunUnavailable):
        text = str(error)
    else:
        log.exception("callback failed", exc_info=error)
        text = "Something went wrong while drawing this part of the page; details are in the server log."
    set_props("callback-error", {"children": text, "hidden": False})


def build_state(registry, search: str | None, view_names: list[str]) -> dict:
    """The page state for a URL query: the named run (or the newest), checked field by field."""
    raw, problems = urlstate.parse_query(search)
    info = None
    if "run" in raw:
        try:
            info = registry.info(raw["run"])
        except RunUnavailable as error:
            problems.append(f"{error} Showing the newest run instead.")
            del raw["run"]
    if info is None:
        newest = registry.newest()
        try:
            info = registry.info(newest) if newest else None
        except RunUnavailable as error:
            problems.append(str(error))
    state = urlstate.resolve(raw, info, view_names, unusable=lambda run_id: unusable(registry, run_id))
    state["error"] = " ".join(problems + ([state["error"]] if state["error"] else [])) or None
    return state


def unusable(registry, run_id: str) -> str | None:
    """Why a run named in a link cannot be shown beside the open one (as for `run`), or None."""
    try:
        registry.info(run_id)
    except RunUnavailable as error:
        return str(error)
    return None


def register_shell(app: dash.Dash, registry, view_names: list[str]) -> None:
    @app.callback(Output("state", "data"), Input("url", "search"), Input("tick", "n_intervals"),
                  State("state", "data"))
    def update_state(search, _tick, current):
        state = build_state(registry, search, view_names)
        if state == current:
            raise PreventUpdate
        return state

    @app.callback(Output("message", "children"), Output("message", "hidden"),
                  Output("callback-error", "hidden", allow_duplicate=True),
                  Input("state", "data"), prevent_initial_call=True)
    def show_message(state):
        return state["error"], not state["error"], True

    @app.callback(Output("tabs", "children"), Output("empty-state", "hidden"),
                  Output("train-panel", "open"),
                  *[Output(f"view-{name}", "hidden") for name in view_names],
                  Input("state", "data"))
    def show_view(state):
        if not state or not state["run"]:
            return [], False, True, *[True] * len(view_names)
        tabs = [dash.dcc.Link(view.LABEL, href=urlstate.href(state, view=view.VIEW), title=view.HINT,
                              className="nl-tab nl-tab-active" if view.VIEW == state["view"] else "nl-tab")
                for view in VIEWS]
        return tabs, True, dash.no_update, *[name != state["view"] for name in view_names]

    @app.callback(Output("run-title", "children"), Input("state", "data"))
    def show_run_title(state):
        if not state or not state["run"]:
            return html.Span("no run open", className="nl-run-none")
        info = registry.info(state["run"])
        dataset = dataset_label(info.manifest.get("dataset") or {}) or "?"
        return [html.Span(info.run_id, className="nl-run-id"), layout.status_badge(info.status),
                html.Span(f"{info.manifest.get('preset', '?')} · {dataset} · "
                          f"{info.snapshot_count} snapshots", className="nl-run-meta")]

    @app.callback(Output("run-picker", "options"), Output("run-picker", "value"),
                  Output("run-list", "data"),
                  Input("state", "data"), Input("tick", "n_intervals"),
                  State("run-list", "data"), State("run-picker", "value"))
    def list_runs(state, _tick, shown_runs, shown_value):
        summaries = registry.summaries()
        listed = [[summary.run_id, summary.status, summary.epochs, summary.test_accuracy,
                   summary.broken] for summary in summaries]
        value = state["run"] if state else None
        if listed == shown_runs and value == shown_value:
            raise PreventUpdate
        return layout.picker_options(summaries), value, listed

    @app.callback(Output("url", "search", allow_duplicate=True), Input("run-picker", "value"),
                  State("state", "data"), prevent_initial_call=True)
    def open_picked_run(run_id, state):
        if not run_id or not state or run_id == state["run"]:
            raise PreventUpdate
        return urlstate.href(state, run=run_id)

    @app.callback(Output("tick", "interval"), Input("state", "data"), Input("train-pending", "data"),
                  State("tick", "interval"))
    def set_polling(state, pending, current):
        interval = tick_interval(state, pending)
        if interval == current:
            raise PreventUpdate
        return interval

    @app.callback(Output("progress", "hidden"), Output("progress-fill", "style"),
                  Output("progress-text", "children"),
                  Input("state", "data"), Input("tick", "n_intervals"))
    def show_progress(state, _tick):
        if not state or state["status"] != "running":
            if set(dash.ctx.triggered_prop_ids) == {"tick.n_intervals"}:
                raise PreventUpdate  # already hidden: only a state change can alter that
            return True, dash.no_update, dash.no_update
        progress = training_progress(registry.info(state["run"]))
        return False, {"width": f"{progress['fraction']:.1%}"}, progress["text"]


def tick_interval(state: dict | None, pending) -> int:
    """Poll briskly while the open run trains or a run started here has not finished."""
    busy = bool(pending) or (isinstance(state, dict) and state.get("status") == "running")
    return layout.BUSY_TICK_MILLISECONDS if busy else layout.IDLE_TICK_MILLISECONDS


def training_progress(info) -> dict:
    """Epoch k of N and an estimate of the time left, from the manifest's per-epoch seconds.

    With early stopping N is only a ceiling, and the text says so."""
    done = len(info.history)
    planned = info.planned_epochs
    seconds = [row.get("seconds") for row in info.history if isinstance(row.get("seconds"), (int, float))]
    if not planned:
        return {"fraction": 0.0, "text": f"Training · epoch {done} done"}
    ceiling = bool((info.manifest.get("config") or {}).get("early_stopping"))
    text = f"Training · epoch {min(done + 1, planned)} of {'at most ' if ceiling else ''}{planned}"
    if seconds and done < planned:
        left = format_duration(sum(seconds) / len(seconds) * (planned - done))
        text += f" · {'at most' if ceiling else 'about'} {left} left"
    elif not seconds:
        text += " · estimating time left…"
    return {"fraction": min(done / planned, 1.0), "text": text}


def format_duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 1)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"

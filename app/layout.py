"""The page frame: header with the run picker, progress bar, messages, view tabs and panels.

Views are rendered once, each in its own section, and shown or hidden by the shell as the URL
changes, so their components always exist and their callbacks never miss an id.
"""
from __future__ import annotations

from dash import dcc, html

from app.theme import STATUS_COLORS
from neurons.sweeps import group_by_sweep, state_counts
from app.views import exports

# The page polls the data folder: briskly while something trains, slowly otherwise (new runs
# started from a terminal still appear within IDLE_TICK_MILLISECONDS).
BUSY_TICK_MILLISECONDS = 2000
IDLE_TICK_MILLISECONDS = 10000


def build_layout(views, train_panel, *, data_dir_label: str, allow_training: bool):
    return html.Div(className="nl-page", children=[
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="state"),
        dcc.Store(id="run-list"),
        dcc.Interval(id="tick", interval=BUSY_TICK_MILLISECONDS),
        dcc.Store(id="train-pending"),
        header(),
        progress_bar(),
        html.Div(id="message", className="nl-message", role="alert", hidden=True),
        html.Div(id="callback-error", className="nl-message nl-message-error", role="alert",
                 hidden=True),
        html.Nav(id="tabs", className="nl-tabs"),
        html.Main(className="nl-main", children=[
            *[html.Section(id=f"view-{view.VIEW}", className="nl-view", hidden=True,
                           children=view.layout()) for view in views],
            empty_state(data_dir_label, allow_training),
        ]),
        train_panel,
    ])


def header():
    return html.Header(className="nl-header", children=[
        html.Div(className="nl-brand", children=[
            html.Span("◉", className="nl-logo"), html.Span("Neuron Lens")]),
        html.Div(id="run-title", className="nl-run-title"),
        exports.report_button(),
        html.Div(className="nl-picker", children=[
            dcc.Dropdown(id="run-picker", clearable=False, searchable=True, options=[],
                         placeholder="Choose a run…", optionHeight=52, maxHeight=420),
        ]),
    ])


def progress_bar():
    return html.Div(id="progress", className="nl-progress", hidden=True, children=[
        html.Div(className="nl-progress-track", children=[
            html.Div(id="progress-fill", className="nl-progress-fill")]),
        html.Span(id="progress-text", className="nl-progress-text"),
    ])


def empty_state(data_dir_label: str, allow_training: bool):
    how = [html.P(["Train one from a terminal, for example ",
                   html.Code(f"python -m trainer train --preset final --dataset sample "
                             f"--epochs 5 --data-dir {data_dir_label}"),
                   ", and it appears here while it trains."])]
    if allow_training:
        how.append(html.P("Or start one with the form below."))
    return html.Section(id="empty-state", className="nl-empty", hidden=True, children=[
        html.H2("No runs yet"),
        html.P(["Neuron Lens looks for training runs in ", html.Code(f"{data_dir_label}/runs"),
                ", and there are none."]),
        *how,
    ])


def status_badge(status: str):
    return html.Span(status, className="nl-badge",
                     style={"backgroundColor": STATUS_COLORS.get(status, STATUS_COLORS["broken"])})


def picker_options(summaries) -> list[dict]:
    """The picker's runs, newest first, each sweep's runs together under a heading of their own."""
    options = []
    for sweep_id, runs in group_by_sweep(summaries):
        members = [picker_option(summary, in_sweep=bool(sweep_id)) for summary in runs]
        if sweep_id:
            options.append(sweep_heading(sweep_id, runs, " ".join(member["search"] for member in members)))
        options.extend(members)
    return options


def sweep_heading(sweep_id: str, runs, search: str) -> dict:
    """A sweep's heading in the picker; disabled, and its value can be no run id (':')."""
    details = f"{len(runs)} run{'s' if len(runs) != 1 else ''} · {state_counts(runs)}"
    label = html.Div(className="nl-option nl-option-sweep", children=[
        html.Div(className="nl-option-head", children=[
            html.Span("sweep", className="nl-sweep-tag"), html.Span(sweep_id, className="nl-option-id")]),
        html.Div(details, className="nl-option-details", title=details),
    ])
    return {"label": label, "value": f"sweep:{sweep_id}", "disabled": True, "search": search}


def picker_option(summary, in_sweep: bool = False) -> dict:
    """One run in the picker: id and status, then preset · dataset · epochs · test accuracy."""
    if summary.broken:
        details = f"broken: {summary.broken}"
    else:
        accuracy = ("test accuracy —" if summary.test_accuracy is None
                    else f"test accuracy {summary.test_accuracy:.1%}")
        details = " · ".join([summary.preset or "?", summary.dataset or "?",
                              f"{summary.epochs} epoch{'s' if summary.epochs != 1 else ''}",
                              accuracy])
    label = html.Div(className="nl-option nl-option-member" if in_sweep else "nl-option", children=[
        html.Div(className="nl-option-head", children=[
            html.Span(summary.run_id, className="nl-option-id"), status_badge(summary.status)]),
        html.Div(details, className="nl-option-details", title=details),
    ])
    return {"label": label, "value": summary.run_id, "disabled": bool(summary.broken),
            "search": f"{summary.run_id} {summary.preset} {summary.dataset} {summary.status} {summary.sweep}"}

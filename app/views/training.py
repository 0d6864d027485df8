"""Journey 2: loss and accuracy per epoch, training and validation, best epoch marked; overlays."""
from __future__ import annotations

import math
from dataclasses import dataclass

from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import theme
from app.runs import RunUnavailable, get_info
from app.urlstate import MAX_RUNS, href
from app.views import layer_health
from neurons.runformat import finished_best

VIEW = "training"
LABEL = "Training"
HINT = "Loss and accuracy per epoch, training and validation; overlay other runs"
FIGURE_HEIGHT = 440
PANELS = (("loss", "Loss"), ("accuracy", "Accuracy"))


@dataclass(frozen=True)
class Curves:
    """One run's per-epoch history and the epoch whose snapshot is marked best."""
    run_id: str
    history: list[dict]
    best_epoch: int | None
    status: str = "completed"


def curves_of(info) -> Curves:
    best = finished_best(info.manifest, info.status)
    best_epoch = None if best is None else info.manifest["snapshots"][best].get("epoch")
    return Curves(info.run_id, info.history, best_epoch, info.status)


def column(history: list[dict], key: str) -> tuple[list, list]:
    rows = [row for row in history if isinstance(row.get(key), (int, float))]
    return [row.get("epoch") for row in rows], [row[key] for row in rows]


def training_curves_figure(runs: list[Curves]) -> dict:
    """Loss (left) and accuracy (right) per epoch: training solid, validation dashed, one colour
    per run; a star marks each run's best epoch on its validation curves.

    Built as a plain figure dict: plotly's validating Figure objects cost ~100 ms here, twice the
    whole callback budget."""
    overlay = len(runs) > 1
    traces = []
    for position, run in enumerate(runs):
        colour = theme.SERIES[position % len(theme.SERIES)]
        for panel, (metric, _) in enumerate(PANELS, start=1):
            for prefix, dash, kind in (("", "solid", "training"), ("val_", "dash", "validation")):
                epochs, values = column(run.history, prefix + metric)
                name = f"{run.run_id} · {kind}" if overlay else kind
                traces.append(panel_trace(panel, x=epochs, y=values, mode="lines+markers", name=name,
                                          line={"color": colour, "dash": dash, "width": 2},
                                          marker={"size": 5},
                                          hovertemplate=f"{name}<br>epoch %{{x}}: %{{y:.4f}}<extra></extra>"))
            traces.extend(best_marker(run, metric, colour, panel, overlay))
    last_epoch = max((epoch for run in runs for epoch in column(run.history, "loss")[0]), default=1)
    x_axis = {"title": {"text": "epoch"}, "gridcolor": theme.GRID, "zeroline": False, "tick0": 0,
              "dtick": max(1, math.ceil(last_epoch / 10))}
    y_axis = {"gridcolor": theme.GRID, "zeroline": False}
    titles = [{"text": title, "x": (0.2275, 0.7725)[index], "y": 1.0, "xref": "paper", "yref": "paper",
               "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 15}}
              for index, (_, title) in enumerate(PANELS)]
    if not any(run.history for run in runs):
        titles.append({"text": no_history(runs[0]), "showarrow": False, "x": 0.5, "y": 0.5,
                       "xref": "paper", "yref": "paper", "font": {"size": 15, "color": theme.MUTED}})
    layout = theme.figure_layout(
        height=FIGURE_HEIGHT, margin={"l": 56, "r": 16, "t": 40, "b": 64},
        legend={"orientation": "h", "y": -0.27, "yanchor": "top", "x": 0, "font": {"size": 12}},
        xaxis=x_axis | {"domain": [0, 0.455], "anchor": "y"},
        xaxis2=x_axis | {"domain": [0.545, 1], "anchor": "y2"},
        yaxis=y_axis | {"anchor": "x"}, yaxis2=y_axis | {"anchor": "x2", "tickformat": ".0%"},
        annotations=titles)
    return {"data": traces, "layout": layout}


def panel_trace(panel: int, **trace) -> dict:
    """A scatter trace on the loss (1) or accuracy (2) panel, in the legend once per name."""
    return {"type": "scatter", "xaxis": "x" if panel == 1 else "x2",
            "yaxis": "y" if panel == 1 else "y2", "legendgroup": trace["name"],
            "showlegend": panel == 1, **trace}


def best_marker(run: Curves, metric: str, colour: str, panel: int, overlay: bool) -> list[dict]:
    epochs, values = column(run.history, "val_" + metric)
    if run.best_epoch not in epochs:
        return []
    name = f"{run.run_id} · best epoch" if overlay else "best epoch"
    return [panel_trace(panel, x=[run.best_epoch], y=[values[epochs.index(run.best_epoch)]],
                        mode="markers", name=name,
                        marker={"symbol": "star", "size": 15, "color": colour,
                                "line": {"color": "white", "width": 1}},
                        hovertemplate=f"{name} {run.best_epoch}: %{{y:.4f}}<extra></extra>")]


def no_history(run: Curves) -> str:
    """Why the curves are empty: an import that came without its CSVLogger file, or a young run."""
    if run.status == "imported":
        return "No training history: this run was imported without --history"
    return "No epoch has finished yet"


def summary_line(run: Curves, test: dict | None) -> str:
    """The best epoch and the test result, in words."""
    parts = []
    epochs, accuracies = column(run.history, "val_accuracy")
    if run.best_epoch in epochs:
        parts.append(f"Best epoch {run.best_epoch}: validation accuracy "
                     f"{accuracies[epochs.index(run.best_epoch)]:.1%}")
    if test and isinstance(test.get("accuracy"), (int, float)):
        where = "its probe digits" if run.status == "imported" else "best snapshot, held-out test set"
        parts.append(f"test accuracy {test['accuracy']:.1%} ({where})")
    return " · ".join(parts) or f"{len(run.history)} epochs recorded"


def layout():
    return html.Div(className="nl-card", children=[
        html.Div(className="nl-toolbar", children=[
            html.Div(id="training-summary", className="nl-summary"),
            html.Label(className="nl-compare", children=[
                html.Span("Overlay runs", className="nl-field-label"),
                dcc.Dropdown(id="training-compare", multi=True, options=[], value=[],
                             placeholder=f"Compare with up to {MAX_RUNS} other runs…")]),
        ]),
        dcc.Graph(id="training-curves", figure=theme.blank_figure(FIGURE_HEIGHT),
                  config={"displaylogo": False, "displayModeBar": False}),
        layer_health.panel(),
    ])


def register(app) -> None:
    layer_health.register(app)
    @app.callback(Output("training-compare", "options"), Output("training-compare", "value"),
                  Input("run-list", "data"), Input("state", "data"))
    def compare_choices(runs, state):
        """The runs one can overlay, and the link's: one response, so the dropdown never holds a
        value its options lack (it would drop it, and the link with it)."""
        if not state or state["view"] != VIEW:
            return no_update, no_update
        listed = [run_id for run_id, _status, _epochs, _accuracy, broken in runs or []
                  if not broken and run_id != state["run"]]
        return [{"label": run_id, "value": run_id} for run_id in dict.fromkeys(listed + state["runs"])], state["runs"]

    @app.callback(Output("training-curves", "figure"), Output("training-summary", "children"),
                  Input("state", "data"))
    def draw(state):
        """The open run's curves with the link's `runs` overlaid (urlstate checked each of them)."""
        if not state or state["view"] != VIEW or not state["run"]:
            return no_update, no_update
        info = get_info(state["run"])
        runs = [curves_of(info)]
        for run_id in state["runs"]:
            try:
                runs.append(curves_of(get_info(run_id)))
            except RunUnavailable:  # removed since the state was read; the next refresh says so
                continue
        return training_curves_figure(runs), summary_line(runs[0], info.manifest.get("test"))

    @app.callback(Output("url", "search", allow_duplicate=True), Input("training-compare", "value"),
                  State("state", "data"), prevent_initial_call=True)
    def overlay(compared, state):
        """Overlaid runs live in the link (`runs=`), so an overlay can be shared and survives back."""
        if not state or state["view"] != VIEW or list(compared or []) == state["runs"]:
            raise PreventUpdate
        return href(state, runs=list(compared or []) or None)

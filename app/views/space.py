"""The Space tab: how a layer sees the digits, over training (issue 12).

The probe digits mapped from a layer's activations (PCA at once; t-SNE on request, in the
background), the linear-probe accuracy of every hidden layer over training (in the background),
CKA between snapshots and between layers, and the confusion matrix at the snapshot. Definitions:
docs/interpretation.md, "How a layer sees the digits". Callbacks only wire: the numbers come from
the core (`Run.projection`, `linear_probe`, `cka_matrix`, `confusion`), the pictures from
app/space_figures.py.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import background, space_figures
from app.neuron_figures import digit_png
from app.urlstate import href
from app.views import computed, controls
from neurons import probes
from neurons.confusion import cell_members
from neurons.projection import METHODS

VIEW = "space"
LABEL = "Space"
HINT = "How a layer arranges the digits over training: maps, linear probes, CKA, confusion"
METHOD_LABELS = {"pca": "PCA", "tsne": "t-SNE"}
MAX_LISTED = 60
PROGRESS_SECONDS = 0.5


def map_id(method: str) -> str:
    return f"space-map-{method}"


def tooltip_id(method: str) -> str:
    return f"space-tooltip-{method}"


def first_point(event) -> dict | None:
    """The first point of a Plotly hover or click event, or None for anything else."""
    points = event.get("points") if isinstance(event, dict) else None
    return points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else None


def class_label(value) -> int | None:
    """A class named by a confusion-matrix axis ("3" or 3), if it is one."""
    text = str(value)
    return int(text) if text.isdigit() and len(text) <= 2 else None


def chosen_cell(cell, run) -> tuple[int, int] | None:
    """The confusion-matrix cell (true, predicted) the page holds, if it names two classes of the run."""
    if not isinstance(cell, list) or len(cell) != 2 or not all(value in run.classes for value in cell):
        return None
    return int(cell[0]), int(cell[1])


def probe_index(point: dict | None, count: int) -> int | None:
    """The probe digit a map point stands for (its customdata), if it is one."""
    return None if point is None else controls.whole_number_below(point.get("customdata"), count)


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Layer", dcc.Dropdown(id="space-layer", clearable=False, style={"width": "140px"})]),
            html.Label(["Map", dcc.RadioItems(id="space-method", value=METHODS[0], inline=True,
                                              options=[{"label": METHOD_LABELS[method], "value": method}
                                                       for method in METHODS])]),
        ]),
        html.Div(className="nl-scrubber", children=[
            html.Span("Snapshot", className="nl-caption"),
            html.Div(dcc.Slider(id="space-snapshot", min=0, max=0, step=1, value=0, marks=None,
                                allow_direct_input=False), className="nl-slider"),
        ]),
        html.Div(className="nl-space-top", children=[
            html.Div(className="nl-panel", children=[
                working("space-tsne"),
                *[html.Div(id=f"space-map-box-{method}", children=[
                    controls.graph(map_id(method), 560), dcc.Tooltip(id=tooltip_id(method), direction="right")])
                  for method in METHODS],
                html.P("Hover a point to see its digit; click it to open it in the Example view. Ringed: "
                       "misclassified at this snapshot.", className="nl-caption"),
            ]),
            html.Div(className="nl-panel", children=[
                working("space-probe"),
                controls.graph("space-probe-curve", 380),
                html.P(id="space-probe-caption", className="nl-caption"),
            ]),
        ]),
        html.Div(className="nl-two nl-space-row", children=[
            html.Div(className="nl-panel", children=[working("space-cka"), controls.graph("space-cka-snapshots", 440)]),
            html.Div(className="nl-panel", children=[controls.graph("space-cka-layers", 440)]),
        ]),
        html.Div(className="nl-two nl-space-row", children=[
            html.Div(className="nl-panel", children=[controls.graph("space-confusion", 450)]),
            html.Div(className="nl-panel", children=[html.Div(id="space-cell-digits", children=html.P(
                "Click a cell of the confusion matrix to list its probe digits.", className="nl-caption"))]),
        ]),
        dcc.Store(id="space-tsne-request"), dcc.Store(id="space-probe-request"), dcc.Store(id="space-cka-request"),
        dcc.Store(id="space-curves"), dcc.Store(id="space-cka-data"), dcc.Store(id="space-cell"),
    ])


def working(prefix: str):
    """A progress line shown while a background job runs (a bar without a value moves to and fro)."""
    return html.Div(id=f"{prefix}-working", className="nl-space-working", hidden=True, children=[
        html.Span(className="nl-spinner"), html.Span(id=f"{prefix}-progress"),
        html.Progress(id=f"{prefix}-bar", max=1, value=0)])


def active(state) -> bool:
    return controls.showing(state, VIEW)


# ---- cached answers (main process) --------------------------------------------------------------
@computed.per_run
def projection(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    return computed.run_at(run_id, snapshot_count).projection(layer, snapshot)


@computed.figure_cache
def pca_figure(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    run = computed.run_at(run_id, snapshot_count)
    return map_figure(run, projection(run_id, snapshot_count, layer, snapshot), layer)


def map_figure(run, frame, layer: str) -> dict:
    labels = run.snapshot_labels
    method = space_figures.METHOD_NAMES[frame.attrs["method"]]
    return space_figures.map_figure(
        frame, title=f"{layer} at {labels[frame.attrs['snapshot']]}: probe digits mapped by {method}",
        subtitle=space_figures.map_subtitle(frame.attrs, labels, len(frame)))


@computed.per_run
def cka_layers(run_id: str, snapshot_count: int, snapshot: int):
    return computed.run_at(run_id, snapshot_count).cka_matrix(snapshot=snapshot)


@computed.per_run
def confusion(run_id: str, snapshot_count: int, snapshot: int):
    return computed.run_at(run_id, snapshot_count).confusion(snapshot)


def predicted(state) -> np.ndarray:
    """The class the model predicts for every probe digit at the state's snapshot."""
    probabilities = computed.probe_probabilities(*computed.key_of(state), state["snapshot"])
    return probabilities.argmax(axis=1)


def cka_subtitle(digits: int, widths: str) -> str:
    return f"linear CKA (unbiased estimator) over {digits} probe digits · {widths}<br>1 = the same up to rotation and scale"


# ---- background jobs (a process each; their answers kept in the disk store) ---------------------
def nearest_tsne(run_id: str, layer: str, snapshot: int, count: int):
    """The stored t-SNE map of the nearest snapshot to `snapshot` (the earlier on a tie), or None."""
    for distance in range(1, count):
        for other in (snapshot - distance, snapshot + distance):
            if 0 <= other < count:
                frame = background.stored((run_id, other + 1, "tsne", layer, other))
                if frame is not None:
                    return frame
    return None


def tsne_map(set_progress, request: dict) -> dict:
    run_id, count, layer, snapshot = (request[key] for key in ("run", "count", "layer", "snapshot"))
    run = computed.run_at(run_id, count)

    def compute():
        start = nearest_tsne(run_id, layer, snapshot, count)
        with ticking(set_progress, f"t-SNE of {len(run.probe_labels)} probe digits ({layer}, "
                                   f"{run.snapshot_labels[snapshot]}) running"):
            return run.projection(layer, snapshot, method="tsne", start=start)
    frame = background.kept((run_id, snapshot + 1, "tsne", layer, snapshot), compute)
    return map_figure(run, frame, layer)


class ticking:
    """Reports the seconds a job has run, every PROGRESS_SECONDS, while the block runs
    (t-SNE reports no progress of its own)."""

    def __init__(self, set_progress, text: str):
        self.set_progress, self.text = set_progress, text
        self.done = threading.Event()

    def __enter__(self):
        started = time.monotonic()

        def tick():
            while not self.done.wait(PROGRESS_SECONDS):
                self.set_progress((f"{self.text}: {time.monotonic() - started:.0f} s (usually 5–15 s)…", None, 1))
        self.set_progress((f"{self.text}…", None, 1))
        threading.Thread(target=tick, daemon=True).start()
        return self

    def __exit__(self, *_):
        self.done.set()


def probe_scores(set_progress, request: dict) -> dict:
    """Every hidden layer's probe accuracy at every snapshot, and the pixel baseline."""
    run_id, count = request["run"], request["count"]
    run = computed.run_at(run_id, count)
    layers = run.hidden_layers
    total, done = len(layers) * count + 1, 0
    set_progress(("Probing the raw pixels (the baseline)…", 0, total))
    pixels = background.kept((run_id, 1, "probe", "pixels"), lambda: run.linear_probe("pixels"))
    scores = {}
    for layer in layers:
        scores[layer] = []
        for snapshot in range(count):
            done += 1
            set_progress((f"Linear probes: {layer} at {run.snapshot_labels[snapshot]} ({done} of {total})",
                          done, total))
            scores[layer].append(background.kept((run_id, snapshot + 1, "probe", layer, snapshot),
                                                 lambda: run.linear_probe(layer, snapshot)))
    return {"run": run_id, "count": count, "pixels": pixels, "layers": scores}


def cka_over_snapshots(set_progress, request: dict) -> dict:
    run_id, count, layer = request["run"], request["count"], request["layer"]
    set_progress((f"CKA of {layer} between every pair of {count} snapshots…", 0, 1))
    matrix = background.kept((run_id, count, "cka", layer),
                             lambda: computed.run_at(run_id, count).cka_matrix(layer))
    return {"run": run_id, "count": count, "layer": layer, "values": matrix.to_numpy().tolist(),
            "digits": matrix.attrs["digits"]}


def register_job(app, output, prefix: str, job) -> None:
    """A background callback: `job(set_progress, request)` answers the question in `{prefix}-request`
    into `output`, in a process of its own, with `{prefix}-working` shown and its progress in it."""
    @app.callback(output, Input(f"{prefix}-request", "data"), background=True,
                  running=[(Output(f"{prefix}-working", "hidden"), False, True)],
                  progress=[Output(f"{prefix}-progress", "children"), Output(f"{prefix}-bar", "value"),
                            Output(f"{prefix}-bar", "max")], prevent_initial_call=True)
    def answer(set_progress, request):
        if not request:
            raise PreventUpdate
        return job(set_progress, request)


def register(app):
    controls.register_waiting(app, VIEW)
    controls.register_layer_snapshot_picker(app, VIEW)
    register_controls(app)
    register_map(app)
    register_probes(app)
    register_cka(app)
    register_confusion(app)


def register_controls(app):
    @app.callback(Output("space-layer", "options"), Output("space-layer", "value"),
                  Output("space-snapshot", "max"), Output("space-snapshot", "marks"), Output("space-snapshot", "value"),
                  Output("space-method", "value"),
                  *[Output(f"space-map-box-{method}", "hidden") for method in METHODS],
                  Input("state", "data"), State("space-snapshot", "value"))
    def render(state, slider_value):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        snapshot, method = state["snapshot"], state["method"]
        return (run.hidden_layers, state["layer"], max(state["snapshot_count"] - 1, 0), controls.run_marks(run),
                no_update if snapshot == slider_value else snapshot, method,
                *[shown != method for shown in METHODS])

    @app.callback(Output("url", "search", allow_duplicate=True), Input("space-method", "value"),
                  State("state", "data"), prevent_initial_call=True)
    def choose_method(method, state):
        if not active(state) or method == state["method"] or method not in METHODS:
            raise PreventUpdate
        return href(state, method=method)

    @app.callback(Output("space-tsne-request", "data"), Output("space-probe-request", "data"),
                  Output("space-cka-request", "data"), Input("state", "data"),
                  State("space-tsne-request", "data"), State("space-probe-request", "data"),
                  State("space-cka-request", "data"))
    def ask(state, tsne, curves, cka):
        """What the background jobs should answer; unchanged questions start no new job."""
        if not active(state):
            raise PreventUpdate
        asked = {"run": state["run"], "count": state["snapshot_count"]}
        wanted = (asked | {"layer": state["layer"], "snapshot": state["snapshot"]} if state["method"] == "tsne" else tsne,
                  asked, asked | {"layer": state["layer"]})
        return tuple(no_update if new == old else new for new, old in zip(wanted, (tsne, curves, cka)))


def register_map(app):
    @app.callback(Output(map_id("pca"), "figure"), Input("state", "data"))
    def draw_pca(state):
        if not active(state) or state["method"] != "pca":
            raise PreventUpdate
        return pca_figure(*computed.key_of(state), state["layer"], state["snapshot"])

    register_job(app, Output(map_id("tsne"), "figure"), "space-tsne", tsne_map)

    for method in METHODS:
        app.callback(Output(tooltip_id(method), "show"), Output(tooltip_id(method), "bbox"),
                     Output(tooltip_id(method), "children"),
                     Input(map_id(method), "hoverData"), State("state", "data"))(show_digit)

    @app.callback(Output("url", "search", allow_duplicate=True),
                  *[Input(map_id(method), "clickData") for method in METHODS],
                  State("state", "data"), prevent_initial_call=True)
    def open_example(*clicks_and_state):
        state = clicks_and_state[-1]
        if not active(state) or not ctx.triggered:
            raise PreventUpdate
        example = probe_index(first_point(ctx.triggered[0]["value"]), len(computed.run_of(state).probe_labels))
        if example is None:
            raise PreventUpdate
        return href(state, view="example", example=example)


def show_digit(hover, state):
    """The hovered point's digit as a picture, with its class and the model's verdict."""
    if not active(state):
        return False, no_update, no_update
    run = computed.run_of(state)
    point = first_point(hover)
    example = probe_index(point, len(run.probe_labels))
    if example is None or not isinstance(point.get("bbox"), dict):
        return False, no_update, no_update
    label, guess = int(run.probe_labels[example]), int(predicted(state)[example])
    verdict = "right" if guess == label else f"predicted {guess}"
    return True, point["bbox"], html.Div(className="nl-space-tip", children=[
        html.Img(src=digit_png(run.probe_images[example])),
        html.Div(f"#{example}: a {label}, {verdict}")])


def register_probes(app):
    register_job(app, Output("space-curves", "data"), "space-probe", probe_scores)

    @app.callback(Output("space-probe-curve", "figure"), Output("space-probe-caption", "children"),
                  Input("space-curves", "data"), Input("state", "data"))
    def draw_curves(scores, state):
        if not active(state) or not scores or scores["run"] != state["run"]:
            raise PreventUpdate
        run = computed.run_at(scores["run"], scores["count"])
        curves = {layer: probes.curve_frame(values, scores["pixels"]) for layer, values in scores["layers"].items()}
        current = min(state["snapshot"], scores["count"] - 1)
        figure = space_figures.probe_curve_figure(curves, run.snapshot_labels, current, probe_size=len(run.probe_labels))
        shown = ", ".join(f"{layer} {curve['accuracy'].iloc[current]:.1%}" for layer, curve in curves.items())
        return figure, (f"At {run.snapshot_labels[current]} (the orange line): {shown}; raw pixels "
                        f"{scores['pixels']:.1%}. A probe shows what a linear read-out can get from a layer, not what "
                        "the network itself uses.")


def register_cka(app):
    register_job(app, Output("space-cka-data", "data"), "space-cka", cka_over_snapshots)

    @app.callback(Output("space-cka-snapshots", "figure"), Input("space-cka-data", "data"), Input("state", "data"))
    def draw_snapshots(data, state):
        if not active(state) or not data or data["run"] != state["run"]:
            raise PreventUpdate
        run = computed.run_at(data["run"], data["count"])
        names = space_figures.snapshot_names(run.snapshot_labels)
        matrix = pd.DataFrame(data["values"])
        return space_figures.cka_heatmap(
            matrix, names, title=f"{data['layer']}: CKA between snapshots",
            subtitle=cka_subtitle(data["digits"], f"{run.units(data['layer'])} neurons"),
            marked=min(state["snapshot"], data["count"] - 1))

    @app.callback(Output("space-cka-layers", "figure"), Input("state", "data"))
    def draw_layers(state):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        matrix = cka_layers(*computed.key_of(state), state["snapshot"])
        widths = ", ".join(f"{layer} {run.units(layer)}" for layer in run.hidden_layers)
        return space_figures.cka_heatmap(
            matrix, list(matrix.index), title=f"CKA between layers at {run.snapshot_labels[state['snapshot']]}",
            subtitle=cka_subtitle(matrix.attrs["digits"], f"pixels 784, {widths}, logits {run.output_units}"))


def register_confusion(app):
    @app.callback(Output("space-confusion", "figure"), Input("state", "data"), Input("space-cell", "data"))
    def draw_confusion(state, cell):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        matrix = confusion(*computed.key_of(state), state["snapshot"])
        wrong = int(matrix.to_numpy().sum() - np.trace(matrix.to_numpy()))
        return space_figures.confusion_figure(
            matrix, title=f"Confusion matrix at {run.snapshot_labels[state['snapshot']]}",
            subtitle=f"{len(run.probe_labels)} probe digits, {wrong} misclassified<br>rows: true class · "
                     "columns: predicted class · click a cell to list its digits",
            selected=chosen_cell(cell, run))

    @app.callback(Output("space-cell", "data"), Input("space-confusion", "clickData"), prevent_initial_call=True)
    def choose_cell(click):
        point = first_point(click) or {}
        cell = [class_label(point.get(axis)) for axis in ("y", "x")]
        if None in cell:
            raise PreventUpdate
        return cell

    @app.callback(Output("space-cell-digits", "children"), Input("space-cell", "data"), Input("state", "data"),
                  prevent_initial_call=True)
    def list_digits(cell, state):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        cell = chosen_cell(cell, run)
        if cell is None:
            raise PreventUpdate
        members = cell_members(run.probe_labels, predicted(state), *cell)
        label = run.snapshot_labels[state["snapshot"]]
        what = "correctly classified" if cell[0] == cell[1] else f"predicted as {cell[1]}"
        heading = f"{len(members)} probe digits of class {cell[0]} {what} at {label}"
        if len(members) > MAX_LISTED:
            heading += f" (the first {MAX_LISTED} shown)"
        return [html.H4(heading, className="nl-space-heading"),
                html.P("Click a digit to trace it through the network in the Example view.", className="nl-caption"),
                html.Div(className="nl-space-digits", children=[
                    dcc.Link(html.Img(src=digit_png(run.probe_images[example]), title=f"#{example}"),
                             href=href(state, view="example", example=int(example)))
                    for example in members[:MAX_LISTED]])]

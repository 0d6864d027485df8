"""Controls shared by several views: the snapshot slider's marks and the layer/snapshot links."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html, set_props
from dash.exceptions import PreventUpdate

from app import figures
from app.urlstate import href


def snapshot_marks(labels: list[str], best: int | None = None, most: int = 6,
                   boundaries: list[int] | None = None) -> dict[int, str]:
    """Slider marks for a few evenly spread snapshots, labelled init, epoch k, …, chosen among the
    epoch `boundaries` (labels of snapshots inside an epoch are long and would overlap); the best
    snapshot (the weights a finished run ended with) is always marked, with a star, in place of its
    nearest mark."""
    positions = figures.tick_positions(len(labels), most=most, among=boundaries)
    if best is not None and 0 <= best < len(labels) and best not in positions:
        nearest = min(positions[1:-1] or positions, key=lambda position: abs(position - best))
        positions = sorted(set(positions) - {nearest} | {best})
    return {index: ("★ " if index == best else "") + labels[index] for index in positions}


def run_marks(run, most: int = 6) -> dict[int, str]:
    """The snapshot slider's marks for a (frozen) run; the neuron view's curve is ticked the same."""
    return snapshot_marks(run.snapshot_labels, run.best_snapshot, most, run.epoch_snapshots)


def layer_snapshot_link(state: dict, layer: str | None, snapshot: int | None) -> str:
    """The link for a newly chosen layer or snapshot; a new layer forgets the old layer's neuron."""
    if layer is None or snapshot is None or (layer == state["layer"] and snapshot == state["snapshot"]):
        raise PreventUpdate
    changes = {"layer": layer, "snapshot": snapshot}
    if layer != state["layer"]:
        changes["neuron"] = None
    return href(state, **changes)


def showing(state: dict | None, view: str) -> bool:
    """True when the page shows `view` of an open run with a layer and at least one snapshot
    (a run that has only just started has none yet); views ignore every other state."""
    return (bool(state) and state.get("view") == view and bool(state.get("run"))
            and state.get("layer") is not None and bool(state.get("snapshot_count")))


def register_layer_snapshot_picker(app, view: str) -> None:
    """Wire `{view}-layer` (dropdown) and `{view}-snapshot` (slider) to the URL."""
    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input(f"{view}-layer", "value"), Input(f"{view}-snapshot", "value"), State("state", "data"),
                  prevent_initial_call=True)
    def choose(layer, snapshot, state):
        if not showing(state, view):
            raise PreventUpdate
        return layer_snapshot_link(state, layer, snapshot)


def register_choice(app, view: str, component_id: str, field: str) -> None:
    """Write `component_id`'s value into the link as the display choice `field` (urlstate.CHOICES)."""
    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input(component_id, "value"), State("state", "data"), prevent_initial_call=True)
    def choose(value, state):
        if not showing(state, view) or value == state[field]:
            raise PreventUpdate
        return href(state, **{field: value})


def register_click_to_neuron(app, view: str, graph_id: str) -> None:
    """A click on a tile or point of `graph_id` whose customdata is a neuron opens it in the neuron view."""
    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input(graph_id, "clickData"), State("state", "data"), prevent_initial_call=True)
    def open_neuron(click, state):
        neuron = figures.neuron_at(click)
        if neuron is None or not showing(state, view):
            raise PreventUpdate
        return href(state, view="neuron", neuron=neuron)


def computing(child):
    """`child` with a "computing…" note over it (dimmed) while a callback fills it for longer than 300 ms."""
    return dcc.Loading(child, delay_show=300, overlay_style={"visibility": "visible", "opacity": 0.4},
                       custom_spinner=html.Span("computing…", className="nl-computing"))


def graph(graph_id, height: int | None, figure=None):
    """A figure on the page without a mode bar (the views are for looking, not editing);
    `height` None lets the figure's own layout height decide."""
    options = {} if figure is None else {"figure": figure}
    if graph_id is not None:
        options["id"] = graph_id
    style = {} if height is None else {"height": f"{height}px"}
    return dcc.Graph(config={"displayModeBar": False}, style=style, **options)


def example_of(state: dict) -> int:
    """The URL's probe example, else the first probe digit."""
    return state["example"] if state.get("example") is not None else 0


def view_frame(view: str, body) -> html.Div:
    """A view's body, plus the notice shown instead while its run has no snapshot yet."""
    return html.Div([
        html.Div("This run has no snapshot yet. The view fills in as soon as the trainer writes its "
                 "first one (it keeps one at initialisation and one after every epoch).",
                 id=f"{view}-waiting", className="nl-message", hidden=True),
        html.Div(body, id=f"{view}-body"),
    ])


def register_waiting(app, view: str) -> None:
    """Show `{view}-waiting` instead of `{view}-body` while the open run has no snapshot."""
    @app.callback(Output(f"{view}-waiting", "hidden"), Output(f"{view}-body", "hidden"), Input("state", "data"))
    def wait_for_first_snapshot(state):
        if not state or state.get("view") != view or not state.get("run"):
            raise PreventUpdate
        empty = not state.get("snapshot_count")
        return not empty, empty


def whole_number_below(typed, upper: int) -> int | None:
    """A number typed into a box, if it is a whole number in [0, upper); else None. The boxes have
    no min or max: the browser would silently drop a number outside them, leaving it shown."""
    if isinstance(typed, bool) or not isinstance(typed, (int, float)) or not 0 <= typed < upper or typed % 1:
        return None
    return int(typed)


def say(text: str) -> None:
    """Show `text` in the page's message area (cleared by the next change of view state)."""
    set_props("message", {"children": text, "hidden": False})


def refuse_number(text: str, shown: int) -> int:
    """Show `text` in the page's message area; returns `shown`, the number to put back in the box."""
    say(text)
    return shown

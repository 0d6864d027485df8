"""Journey 7, trace a real example: one probe digit, what the model predicts, each layer's
activations beside the generalised digit of its class, and where its evidence comes from.
"""
from __future__ import annotations

import numpy as np
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import figures
from app.urlstate import href
from app.views import computed, controls
from neurons.attribution import DEFAULT_STEPS as IG_STEPS

VIEW = "example"
LABEL = "Example"
HINT = "Trace one probe digit: its prediction, activations and pixel attributions"


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Class", dcc.Dropdown(id="example-class", clearable=False, style={"width": "90px"})]),
            html.Label(["Index in class", dcc.Input(id="example-index", type="number", step="any", debounce=True,
                                                    style={"width": "90px"})]),
            html.Button("Next misclassified", id="example-next-wrong", n_clicks=0, className="nl-button"),
            html.Label(["Attribute to digit", dcc.Dropdown(id="example-digit", clearable=False,
                                                           style={"width": "90px"})]),
            html.Span(id="example-caption", className="nl-caption"),
        ]),
        html.Div(className="nl-example-body", children=[
            html.Div(children=[
                controls.graph("example-image", 260),
                controls.graph("example-probabilities", 220),
            ]),
            html.Div(id="example-layers"),
            html.Div(children=[
                controls.graph("example-gradient", 300),
                controls.graph("example-integrated", 300),
            ]),
        ]),
    ])


def active(state) -> bool:
    return controls.showing(state, VIEW)


def class_members(state, label) -> np.ndarray:
    """Probe indices of the digits of class `label`, in probe order."""
    return np.flatnonzero(computed.run_of(state).probe_labels == label)


def first_of_new_class(state, label) -> int | None:
    """The first probe digit of class `label`, when that is not the shown example's class."""
    run = computed.run_of(state)
    if label is None or label == run.probe_labels[controls.example_of(state)]:
        return None
    members = class_members(state, label)
    return int(members[0]) if len(members) else None


def refuse_index(state, label: int, members: np.ndarray) -> int:
    """Say which indices the class has and put the shown example's index back in the box."""
    example = controls.example_of(state)
    position = int(np.flatnonzero(members == example)[0])
    return controls.refuse_number(f"The probe set has {len(members)} {label}s, index 0 to {len(members) - 1}; "
                                  f"still showing example #{example}.", position)


def misclassified(state) -> np.ndarray:
    """Probe indices the model gets wrong at the state's snapshot."""
    run = computed.run_of(state)
    predicted = computed.probe_probabilities(*computed.key_of(state), state["snapshot"]).argmax(axis=1)
    return np.flatnonzero(predicted != run.probe_labels)


def next_after(indices: np.ndarray, current: int) -> int | None:
    """The first index after `current`, wrapping around; None if there is none."""
    if not len(indices):
        return None
    later = indices[indices > current]
    return int(later[0] if len(later) else indices[0])


def nothing_wrong_left(wrong: np.ndarray, current: int, label: str) -> str | None:
    """Why "next misclassified" has nowhere to go, or None when it has."""
    if not len(wrong):
        return f"No probe digit is misclassified at {label}."
    if list(wrong) == [current]:
        return f"Example #{current} is the only probe digit misclassified at {label}."
    return None


@computed.figure_cache
def example_figures(run_id: str, snapshot_count: int, snapshot: int, example: int, digit: int) -> dict:
    """The example's image, probabilities, per-layer activations and attribution maps."""
    run = computed.run_at(run_id, snapshot_count)
    true_label = int(run.probe_labels[example])
    probabilities = computed.probe_probabilities(run_id, snapshot_count, snapshot)[example]
    activations = computed.probe_activations(run_id, snapshot_count, snapshot)
    generalized = computed.generalized_digit(run_id, snapshot_count, true_label, snapshot)
    layers = [figures.activation_comparison(
        activations[layer][example], generalized[layer], height=240, title=f"{layer}: activations of example #{example}",
        subtitle=f"grey bars: this example · orange marks: generalised {true_label} (mean over probe {true_label}s)")
        for layer in run.hidden_layers]
    maps = computed.attributions(run_id, snapshot_count, example, digit, snapshot)
    gradient, integrated = attribution_figures(maps, run.output_for(digit).logit)
    return {
        "image": figures.digit_image(run.probe_images[example], height=260,
                                     title=f"Example #{example}: {'an' if true_label == 8 else 'a'} {true_label}",
                                     subtitle="probe digit (held-out test set), ink 0–255"),
        "probabilities": figures.probability_bars(probabilities, selected=digit, true_label=true_label, height=220,
                                                  title="Predicted probabilities",
                                                  subtitle="orange: the digit attributed"),
        "layers": layers, "gradient": gradient, "integrated": integrated,
    }


def attribution_figures(maps: dict, logit: str):
    limit = figures.symmetric_limit(np.concatenate([maps["gradient_x_input"].ravel(),
                                                    maps["integrated_gradients"].ravel()]))
    total = float(maps["integrated_gradients"].sum())
    gradient = figures.field_heatmap(maps["gradient_x_input"], limit=limit, height=300, colorbar_title="attribution",
                                     title=f"Gradient × input of logit {logit}",
                                     subtitle=f"x ⊙ ∂{logit}/∂x; the logit, not the probability")
    integrated = figures.field_heatmap(maps["integrated_gradients"], limit=limit, height=300, colorbar_title="attribution",
                                       title=f"Integrated gradients of logit {logit}",
                                       subtitle=f"{IG_STEPS} steps, black baseline · Σ = {total:.3g} ≈ {logit_change(logit)}")
    return gradient, integrated


def logit_change(logit: str) -> str:
    """The change of the attributed logit from the black image to x, as completeness states it:
    z₄(x) − z₄(0); a negated single logit reads z(0) − z(x), not −z(x) − −z(0)."""
    if logit.startswith("−"):
        return f"{logit[1:]}(0) − {logit[1:]}(x)"
    return f"{logit}(x) − {logit}(0)"


def register(app):
    controls.register_waiting(app, VIEW)

    @app.callback(Output("example-class", "options"), Output("example-class", "value"),
                  Output("example-index", "value"),
                  Output("example-digit", "options"), Output("example-digit", "value"),
                  Output("example-caption", "children"), Output("example-image", "figure"),
                  Output("example-probabilities", "figure"), Output("example-layers", "children"),
                  Output("example-gradient", "figure"), Output("example-integrated", "figure"),
                  Input("state", "data"))
    def render(state):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        example = controls.example_of(state)
        true_label = int(run.probe_labels[example])
        members = np.flatnonzero(run.probe_labels == true_label)
        position = int(np.flatnonzero(members == example)[0])
        probabilities = computed.probe_probabilities(*computed.key_of(state), state["snapshot"])[example]
        predicted = int(np.argmax(probabilities))
        digit = computed.shown_digit(state)
        verdict = "right" if predicted == true_label else f"wrong (predicts {predicted})"
        caption = (f"Probe example #{example}, number {position + 1} of {len(members)} {true_label}s: "
                   f"the model is {verdict} at {run.snapshot_labels[state['snapshot']]} · "
                   f"{len(misclassified(state))} of {len(run.probe_labels)} probe digits misclassified")
        built = example_figures(*computed.key_of(state), state["snapshot"], example, digit)
        classes = [{"label": str(value), "value": value} for value in run.classes]
        layers = [controls.graph(None, 240, figure) for figure in built["layers"]]
        return (classes, true_label, position, classes, digit, caption, built["image"],
                built["probabilities"], layers, built["gradient"], built["integrated"])

    @app.callback(Output("url", "search", allow_duplicate=True), Output("example-index", "value", allow_duplicate=True),
                  Input("example-class", "value"), Input("example-index", "value"),
                  Input("example-next-wrong", "n_clicks"), Input("example-digit", "value"),
                  Input("example-probabilities", "clickData"),
                  State("state", "data"), prevent_initial_call=True)
    def choose(label, index, _next, digit, bar_click, state):
        if not active(state):
            raise PreventUpdate
        current = controls.example_of(state)
        if ctx.triggered_id == "example-index":
            shown_class = int(computed.run_of(state).probe_labels[current])
            members = class_members(state, shown_class)
            position = controls.whole_number_below(index, len(members))
            if position is None:
                return no_update, refuse_index(state, shown_class, members)
            changes = {"example": int(members[position])}
        elif ctx.triggered_id == "example-next-wrong":
            wrong = misclassified(state)
            nothing_left = nothing_wrong_left(wrong, current, computed.run_of(state).snapshot_labels[state["snapshot"]])
            if nothing_left:
                controls.say(nothing_left)
                return no_update, no_update
            changes = {"example": next_after(wrong, current)}
        elif ctx.triggered_id == "example-probabilities":
            changes = {"digit": int(bar_click["points"][0]["x"])} if bar_click else {}
        else:
            changes = {"example": first_of_new_class(state, label), "digit": digit}
        shown = {"example": current, "digit": computed.shown_digit(state)}
        changes = {key: value for key, value in changes.items() if value is not None and value != shown[key]}
        if not changes:
            raise PreventUpdate
        return href(state, **changes), no_update

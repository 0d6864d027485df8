"""Cached results the views draw from, one function per question asked of a run.

Every function takes the run id and the run's snapshot count first: the cache key then changes as
soon as a live run gains a snapshot, so nothing stale is ever shown (see app/cache.py).
"""
from __future__ import annotations

import base64
import functools

import numpy as np

from app.cache import cache
from app.runs import get_run
from neurons.forward import probabilities

TOP_EXAMPLES = 8


def plain(value):
    """Figures (also inside lists, tuples and dicts) as the dicts Dash sends, validated once."""
    if hasattr(value, "to_plotly_json"):
        return value.to_plotly_json()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def figure_cache(build):
    """Memoize a figure builder, keeping the built figure as a plain dict: building and validating
    a Plotly figure costs tens of milliseconds, sending a cached dict costs next to nothing."""
    @cache.memoize()
    @functools.wraps(build)
    def cached(*args):
        return plain(build(*args))
    return cached


def run_of(state: dict):
    return get_run(state["run"])


def key_of(state: dict) -> tuple:
    """(run id, snapshot count): the first two arguments of every cached function."""
    return state["run"], state["snapshot_count"]


@cache.memoize()
def neuron_frames(run_id: str, snapshot_count: int, layer: str, neuron: int) -> dict:
    """A neuron's receptive field at every snapshot, packed for the browser-side scrubber.

    The fields travel once as little-endian float32 in base64 (a third of the size of JSON
    numbers); the clientside code derives the change views from them. About 0.4 MB per neuron at
    100 snapshots: the one large kind of cache entry, so nothing else is cached per neuron and step.
    """
    run = get_run(run_id)
    fields = np.asarray(unseen_as_nan(run, run.receptive_fields(layer, neuron)), dtype="<f4")[:snapshot_count]
    return {"key": f"{run_id}|{snapshot_count}|{layer}|{neuron}", "count": int(len(fields)),
            "labels": list(run.snapshot_labels[:snapshot_count]),
            "fields": base64.b64encode(fields.tobytes()).decode("ascii")}


@cache.memoize()
def focus_curve(run_id: str, snapshot_count: int, layer: str, neuron: int):
    return get_run(run_id).focus_curve(layer, neuron)


@cache.memoize()
def focus_table(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    return get_run(run_id).focus_table(layer, snapshot)


@cache.memoize()
def selectivity(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    return get_run(run_id).selectivity(layer, snapshot)


@cache.memoize()
def layer_fields(run_id: str, snapshot_count: int, layer: str, snapshot: int, kind: str) -> np.ndarray:
    """Every neuron's field of a layer at one snapshot, (units, 28, 28)."""
    run = get_run(run_id)
    return unseen_as_nan(run, np.stack([run.receptive_field(layer, neuron, snapshot, kind=kind)
                                        for neuron in range(run.units(layer))]))


@cache.memoize()
def probe_activations(run_id: str, snapshot_count: int, snapshot: int) -> dict:
    """{hidden layer: (N, units) activations, "logits": (N, outputs)} for every probe digit."""
    run = get_run(run_id)
    return run.activations(run.probe_images, snapshot)


def class_probabilities(logits: np.ndarray, output_activation: str) -> np.ndarray:
    """(N, classes) probabilities; a single sigmoid output becomes the two columns (1 − p, p)."""
    output = probabilities(logits, output_activation)
    return np.concatenate([1 - output, output], axis=1) if output.shape[1] == 1 else output


def probe_probabilities(run_id: str, snapshot_count: int, snapshot: int) -> np.ndarray:
    """Predicted probabilities of every probe digit, (N, classes)."""
    logits = probe_activations(run_id, snapshot_count, snapshot)["logits"]
    return class_probabilities(logits, get_run(run_id).output_activation)


def top_examples(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int,
                 count: int = TOP_EXAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Probe indices of the digits that excite the neuron most, and their activations."""
    activations = probe_activations(run_id, snapshot_count, snapshot)[layer][:, neuron]
    order = np.argsort(-activations, kind="stable")[:count]
    return order, activations[order]


@cache.memoize()
def ablation(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int, mode: str) -> dict:
    return get_run(run_id).ablate(layer, [neuron], snapshot, mode=mode)


@cache.memoize()
def digit_chain(run_id: str, snapshot_count: int, digit: int, snapshot: int, mode: str,
                example: int | None) -> dict:
    run = get_run(run_id)
    chain = run.digit_chain(digit, snapshot, mode=mode, example=example)
    return chain | {"pixels": unseen_as_nan(run, chain["pixels"])}


def unseen_as_nan(run, fields) -> np.ndarray:
    """28×28 maps (…, 28, 28) with the pixels never inked in training set to NaN, drawn as
    theme.UNSEEN: their weights are untouched initial noise that would otherwise set the colour
    limits and hide the pattern. The core's metrics leave them out in the same way."""
    return np.where(run.live_pixels, np.asarray(fields, dtype=float), np.nan)


@cache.memoize()
def most_differentiated(run_id: str, snapshot_count: int, digit: int, layer: str, snapshot: int) -> int:
    return int(get_run(run_id).most_differentiated(digit, layer, snapshot))


@cache.memoize()
def generalized_digit(run_id: str, snapshot_count: int, digit: int, snapshot: int) -> dict:
    return get_run(run_id).generalized_digit(digit, snapshot)


@cache.memoize()
def attributions(run_id: str, snapshot_count: int, example: int, digit: int, snapshot: int) -> dict:
    """Gradient × input and integrated gradients of logit z_digit for one probe digit."""
    run = get_run(run_id)
    return {"gradient_x_input": run.gradient_x_input(example, digit, snapshot),
            "integrated_gradients": run.integrated_gradients(example, digit, snapshot)}


def shown_digit(state: dict) -> int:
    """The URL's digit, else the digit the model predicts for the current example."""
    if state.get("digit") is not None:
        return int(state["digit"])
    example = state["example"] if state.get("example") is not None else 0
    return int(np.argmax(probe_probabilities(*key_of(state), state["snapshot"])[example]))


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def output_for(run, digit: int) -> tuple[int, float, str]:
    """(output unit, sign, logit name) that speak for `digit`. A single sigmoid logit z argues
    for class 1, so class 0 reads it negated, as −z."""
    if run.output_units == 1:
        return (0, 1.0, "z") if digit == 1 else (0, -1.0, "−z")
    return digit, 1.0, "z" + str(digit).translate(SUBSCRIPTS)

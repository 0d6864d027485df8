"""Cached results the views draw from, one function per question asked of a run.

Every cached function takes the run id and the run's snapshot count first and reads the run
through `run_at(run_id, snapshot_count)`: the run as it was at that count, so that a callback
never mixes two reads of a run that grows under it, and the cache key changes as soon as a live
run gains a snapshot (see app/cache.py). `per_run` and `figure_cache` are the only ways to cache.
"""
from __future__ import annotations

import base64
import functools

import numpy as np

from app.cache import cache
from app.runs import get_run

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


def per_run(compute):
    """Memoize an answer about one run: `compute(run_id, snapshot_count, *arguments)`.

    The cache key is built here alone, from exactly those arguments (flask-caching's memoize), so
    no caller can forget a part of it; a call whose first two arguments are not a run id and a
    snapshot count is refused."""
    memoized = cache.memoize()(compute)

    @functools.wraps(compute)
    def checked(run_id, snapshot_count, *arguments):
        if not isinstance(run_id, str) or not isinstance(snapshot_count, int) or isinstance(snapshot_count, bool):
            raise TypeError(f"{compute.__name__} takes (run id, snapshot count, …) first")
        return memoized(run_id, snapshot_count, *arguments)
    checked.uncached = compute
    return checked


def figure_cache(build):
    """`per_run` for a figure builder, keeping the built figure as a plain dict: building and
    validating a Plotly figure costs tens of milliseconds, sending a cached dict next to nothing."""
    @functools.wraps(build)
    def as_plain(*args):
        return plain(build(*args))
    return per_run(as_plain)


def key(*parts) -> str:
    """A key for what the browser holds (e.g. the neuron frames it has loaded), built from the same
    parts as a cache key: run id, snapshot count, then the question's arguments."""
    return "|".join(str(part) for part in parts)


def run_at(run_id: str, snapshot_count: int):
    """The run as it was at `snapshot_count` snapshots (fewer if a resumed run rewrote some)."""
    run = get_run(run_id)
    return run.upto(min(snapshot_count, run.snapshot_count))


def run_of(state: dict):
    return run_at(*key_of(state))


def key_of(state: dict) -> tuple:
    """(run id, snapshot count): the first two arguments of every cached function."""
    return state["run"], state["snapshot_count"]


@per_run
def neuron_frames(run_id: str, snapshot_count: int, layer: str, neuron: int) -> dict:
    """A neuron's receptive field at every snapshot, packed for the browser-side scrubber.

    The fields travel once as little-endian float32 in base64 (a third of the size of JSON
    numbers); the clientside code derives the change views from them. About 0.4 MB per neuron at
    100 snapshots: the one large kind of cache entry, so nothing else is cached per neuron and step.
    """
    run = run_at(run_id, snapshot_count)
    fields = np.asarray(unseen_as_nan(run, run.receptive_fields(layer, neuron)), dtype="<f4")
    return {"key": key(run_id, snapshot_count, layer, neuron), "count": int(len(fields)),
            "labels": list(run.snapshot_labels), "change_from_zero": not run.has_initialisation,
            "fields": base64.b64encode(fields.tobytes()).decode("ascii")}


@per_run
def focus_curve(run_id: str, snapshot_count: int, layer: str, neuron: int):
    return run_at(run_id, snapshot_count).focus_curve(layer, neuron)


@per_run
def focus_table(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    return run_at(run_id, snapshot_count).focus_table(layer, snapshot)


@per_run
def selectivity(run_id: str, snapshot_count: int, layer: str, snapshot: int):
    return run_at(run_id, snapshot_count).selectivity(layer, snapshot)


@per_run
def layer_fields(run_id: str, snapshot_count: int, layer: str, snapshot: int, kind: str) -> np.ndarray:
    """Every neuron's field of a layer at one snapshot, (units, 28, 28)."""
    run = run_at(run_id, snapshot_count)
    return unseen_as_nan(run, run.layer_fields(layer, snapshot, kind=kind))


@per_run
def probe_activations(run_id: str, snapshot_count: int, snapshot: int) -> dict:
    """{hidden layer: (N, units) activations, "logits": (N, outputs)} for every probe digit."""
    run = run_at(run_id, snapshot_count)
    return run.activations(run.probe_images, snapshot)


def probe_probabilities(run_id: str, snapshot_count: int, snapshot: int) -> np.ndarray:
    """Predicted probabilities of every probe digit, (N, classes)."""
    logits = probe_activations(run_id, snapshot_count, snapshot)["logits"]
    return run_at(run_id, snapshot_count).class_probabilities(logits)


def top_examples(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int,
                 count: int = TOP_EXAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Probe indices of the digits that excite the neuron most, and their activations."""
    activations = probe_activations(run_id, snapshot_count, snapshot)[layer][:, neuron]
    order = np.argsort(-activations, kind="stable")[:count]
    return order, activations[order]


@per_run
def ablation(run_id: str, snapshot_count: int, layer: str, neuron: int, snapshot: int, mode: str) -> dict:
    return run_at(run_id, snapshot_count).ablate(layer, [neuron], snapshot, mode=mode)


@per_run
def digit_chain(run_id: str, snapshot_count: int, digit: int, snapshot: int, mode: str,
                example: int | None) -> dict:
    run = run_at(run_id, snapshot_count)
    chain = run.digit_chain(digit, snapshot, mode=mode, example=example)
    return chain | {"pixels": unseen_as_nan(run, chain["pixels"])}


@per_run
def layer_responds_to(run_id: str, snapshot_count: int, layer: str, snapshot: int) -> np.ndarray:
    """What every neuron of a layer responds to at one snapshot, (units, 28, 28), never-inked pixels NaN."""
    run = run_at(run_id, snapshot_count)
    return unseen_as_nan(run, run.layer_responds_to(layer, snapshot))


def unseen_as_nan(run, fields) -> np.ndarray:
    """28×28 maps (…, 28, 28) with the pixels never inked in training set to NaN, drawn as
    theme.UNSEEN: their weights are untouched initial noise that would otherwise set the colour
    limits and hide the pattern. The core's metrics leave them out in the same way."""
    return np.where(run.live_pixels, np.asarray(fields, dtype=float), np.nan)


@per_run
def most_differentiated(run_id: str, snapshot_count: int, digit: int, layer: str, snapshot: int) -> int:
    return int(run_at(run_id, snapshot_count).most_differentiated(digit, layer, snapshot))


@per_run
def generalized_digit(run_id: str, snapshot_count: int, digit: int, snapshot: int) -> dict:
    return run_at(run_id, snapshot_count).generalized_digit(digit, snapshot)


@per_run
def attributions(run_id: str, snapshot_count: int, example: int, digit: int, snapshot: int) -> dict:
    """Gradient × input and integrated gradients of logit z_digit for one probe digit."""
    run = run_at(run_id, snapshot_count)
    return {"gradient_x_input": run.gradient_x_input(example, digit, snapshot),
            "integrated_gradients": run.integrated_gradients(example, digit, snapshot)}


def shown_digit(state: dict) -> int:
    """The URL's digit, else the digit the model predicts for the current example."""
    if state.get("digit") is not None:
        return int(state["digit"])
    example = state["example"] if state.get("example") is not None else 0
    return int(np.argmax(probe_probabilities(*key_of(state), state["snapshot"])[example]))

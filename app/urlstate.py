"""The URL query is the page's state: parse it, check it against a run, and write links.

Everything here treats the query as hostile text. Values are length-capped, numbers must be plain
non-negative integers within the run's bounds, and anything else becomes the default plus a plain
message in `state["error"]`. No value is ever used as a path: run ids go through `app.runs`.

The state dict that views read (`Input("state", "data")`):
  run, view, layer (always set when a run is open), neuron (default 0), snapshot (default: a
  finished run's best snapshot, a live run's newest), digit, example (None when absent: the view picks), snapshot_count, error, plus
  status (the run's effective status), revision (changes whenever the manifest gains something
  a view may show: a snapshot, an epoch, a best snapshot, a test result, a new status) and
  method (the Space map's projection: "pca", the default, or "tsne"),
  runs (other runs shown beside the open one, e.g. the training curves' overlay: `runs=A,B`, at
  most MAX_RUNS, in the link's order, each checked like `run`; [] when absent),
  explicit (the fields the URL named, so links keep only what the user chose and a default
  snapshot keeps following a live run).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from neurons.projection import METHODS

FIELDS = ("run", "runs", "view", "layer", "neuron", "snapshot", "digit", "example")
# Display choices the views offer (issue 11): field → its values, the first being the default.
CHOICES = {"histogram": ("count", "density"), "dream": ("off", "on"), "basis": ("change", "responds_to"),
           "tiles": ("change", "weights", "responds_to"), "method": METHODS}
FIELDS += tuple(CHOICES)
NUMERIC_FIELDS = ("neuron", "snapshot", "digit", "example")
# A digit too: a run of 0s and 1s has no digit 9.
RUN_SPECIFIC_FIELDS = ("layer", "neuron", "snapshot", "digit", "example")
MAX_QUERY_LENGTH = 2000
MAX_VALUE_LENGTH = 100
MAX_RUNS = 6
RUN_SEPARATOR = ","
VALUE_LIMITS = {"runs": MAX_QUERY_LENGTH}  # a list of run ids; the query's own cap bounds it
PLAIN_INTEGER = re.compile(r"[0-9]{1,9}")


def shown(value: object, limit: int = 40) -> str:
    """A value quoted for a message, cut short so a huge string cannot flood the page."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parse_query(search: str | None) -> tuple[dict[str, str], list[str]]:
    """The known fields of a `?a=b` query as raw strings, and messages about what was dropped."""
    search = (search or "").lstrip("?")
    problems = []
    if len(search) > MAX_QUERY_LENGTH:
        return {}, [f"The link is too long ({len(search)} characters); showing the default view."]
    raw = {}
    for key, value in parse_qsl(search, keep_blank_values=False, max_num_fields=50):
        if key not in FIELDS or key in raw:
            continue
        if len(value) > VALUE_LIMITS.get(key, MAX_VALUE_LENGTH):
            problems.append(f"The {key} in the link is too long; using the default.")
            continue
        raw[key] = value
    return raw, problems


def parse_index(field: str, text: str, upper: int) -> tuple[int | None, str | None]:
    """An integer in [0, upper) from text, or None and a plain message saying what is allowed."""
    if upper <= 0:
        return None, f"There is no {field} to show here."
    allowed = f"a whole number from 0 to {upper - 1}"
    if not PLAIN_INTEGER.fullmatch(text) or int(text) >= upper:
        return None, f"{field.capitalize()} {shown(text)} is not valid: use {allowed}."
    return int(text), None


def resolve(raw: dict[str, str], run, views: list[str], unusable=lambda run_id: None) -> dict:
    """The validated state for `raw` on `run` (a RunInfo or None); problems go into "error".

    `raw["run"]` is not checked here: the caller has already opened `run` from it. Each id of
    `raw["runs"]` is: `unusable(run_id)` says why a run cannot be shown, or None.
    """
    problems = []
    view = raw.get("view", views[0] if views else "")
    if views and view not in views:
        problems.append(f"There is no view called {shown(view)}; showing {views[0]}.")
        view = views[0]
    state = {"run": run.run_id if run else None, "view": view, "layer": None, "neuron": None,
             "snapshot": None, "digit": None, "example": None,
             **{field: choice(field, raw, problems) for field in CHOICES},
             "snapshot_count": run.snapshot_count if run else 0,
             "status": run.status if run else None, "revision": run.revision if run else None,
             "runs": [], "error": None,
             "explicit": sorted(key for key in raw if key in ("run", "view"))}
    if run is None:
        state["error"] = " ".join(problems) or None
        return state
    state["layer"] = pick_layer(raw, run, problems)
    state["runs"] = pick_runs(raw, run.run_id, unusable, problems)
    bounds = {"neuron": run.units.get(state["layer"], 0), "snapshot": run.snapshot_count,
              "digit": run.output_classes, "example": run.probe_count}
    defaults = {"neuron": 0, "snapshot": run.default_snapshot,
                "digit": None, "example": None}
    for field in NUMERIC_FIELDS:
        value = None
        if field in raw:
            value, problem = parse_index(field, raw[field], bounds[field])
            if problem:
                problems.append(problem)
        state[field] = defaults[field] if value is None else value
    state["explicit"] = sorted(key for key in raw if key in ("run", "view") or
                               (key == "runs" and state["runs"]) or
                               (key == "layer" and state["layer"] == raw["layer"]) or
                               (key in NUMERIC_FIELDS and str(state[key]) == raw[key]))
    state["explicit"] = sorted({*state["explicit"], *(key for key in CHOICES if raw.get(key) == state[key])})
    state["error"] = " ".join(problems) or None
    return state


def pick_runs(raw: dict[str, str], open_run: str, unusable, problems: list[str]) -> list[str]:
    """The usable ids of `runs=A,B,…` in the link's order: each once, never the open run, at most MAX_RUNS."""
    named = [run_id for run_id in raw.get("runs", "").split(RUN_SEPARATOR) if run_id]
    if len(set(named)) < len(named):
        problems.append("The link names a run twice in runs; showing it once.")
    kept = []
    for run_id in dict.fromkeys(named):
        reason = None if run_id == open_run else unusable(run_id)
        if reason:
            problems.append(f"{reason} Leaving it out of the runs shown together.")
        elif run_id != open_run:
            kept.append(run_id)
    if len(kept) > MAX_RUNS:
        problems.append(f"The link names {len(kept)} other runs; showing the first {MAX_RUNS}.")
    return kept[:MAX_RUNS]


def choice(field: str, raw: dict[str, str], problems: list[str]) -> str:
    """The link's value of a display choice, else its default (saying so if the link named another)."""
    allowed = CHOICES[field]
    value = raw.get(field, allowed[0])
    if value in allowed:
        return value
    problems.append(f"The {field} {shown(value)} is not one of {', '.join(allowed)}; showing {allowed[0]}.")
    return allowed[0]


def pick_layer(raw: dict[str, str], run, problems: list[str]) -> str | None:
    layers = run.hidden_layers
    default = layers[0] if layers else None
    if "layer" not in raw or raw["layer"] in layers:
        return raw.get("layer", default)
    choices = ", ".join(layers) or "none"
    problems.append(f"Run {run.run_id} has no hidden layer {shown(raw['layer'])} "
                    f"(its layers: {choices}).")
    return default


def href(state: dict | None, **changes) -> str:
    """A `?query` link for `state` with `changes` applied; the way views navigate.

    The run and view are always written so a shared link reopens the same run. Other fields are
    written only when the URL named them or `changes` sets them, so an unpinned snapshot keeps
    following a live run. Switching runs drops the fields that belong to the old run. A change to
    None removes the field.
    """
    state = state or {}
    explicit = set(state.get("explicit") or ()) | {"run", "view"}
    if "run" in changes and changes["run"] != state.get("run"):
        explicit -= set(RUN_SPECIFIC_FIELDS)
    values = {key: state.get(key) for key in FIELDS if key in explicit}
    values.update({key: value for key, value in changes.items() if key in FIELDS})
    values["runs"] = RUN_SEPARATOR.join(values.get("runs") or []) or None
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"href: unknown field(s) {', '.join(sorted(unknown))}")
    pairs = [(key, str(values[key])) for key in FIELDS if values.get(key) is not None]
    return "?" + urlencode(pairs)

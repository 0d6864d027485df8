"""Call a Dash app's server callbacks over HTTP, as the browser's renderer does.

Used by the latency benchmark and the hostile-input tests: both need to send arbitrary values to
`/_dash-update-component` without a browser.
"""
from __future__ import annotations

ENDPOINT = "/_dash-update-component"


def split_prop(text: str) -> dict:
    """'url.search@hash' → {'id': 'url', 'property': 'search'} (the @hash marks allow_duplicate)."""
    component, _, prop = text.split("@")[0].rpartition(".")
    return {"id": component, "property": prop}


def outputs_of(spec: dict):
    output = spec["output"]
    if output.startswith(".."):
        return [split_prop(part) for part in output[2:-2].split("...")]
    return split_prop(output)


def server_callbacks(app) -> list[dict]:
    """The app's callbacks that run on the server (clientside ones never reach the endpoint)."""
    return [spec for spec in app._callback_list if not spec.get("clientside_function")]


def payload(spec: dict, values: dict[str, object], changed: list[str] | None = None) -> dict:
    """The request body for one callback; values maps 'id.property' to the value sent."""
    def filled(items):
        return [item | {"value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    inputs = filled(spec["inputs"])
    return {"output": spec["output"], "outputs": outputs_of(spec), "inputs": inputs,
            "state": filled(spec.get("state", [])),
            "changedPropIds": changed if changed is not None else
            [f"{item['id']}.{item['property']}" for item in inputs[:1]]}


def find_callback(app, output_prefix: str) -> dict:
    """The server callback whose output string starts with output_prefix (e.g. 'state.data')."""
    for spec in server_callbacks(app):
        if spec["output"].lstrip(".").startswith(output_prefix):
            return spec
    raise KeyError(f"no server callback writes {output_prefix}")

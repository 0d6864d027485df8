"""A headless Dash client: the HTTP half of what the browser's Dash renderer does.

It fetches the page, the layout and the callback graph (`/_dash-dependencies`), keeps every
component property in a store, and when a property changes it calls each server callback that
takes it as an Input, with the payload the renderer sends to `/_dash-update-component`, then
follows the chain through the outputs. Clientside callbacks run in the browser and are skipped, as
are pattern-matching callbacks. Standard library only: the container smoke test runs it with the
system Python.
"""
from __future__ import annotations

import http.client
import json
import time
from collections import defaultdict

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# Cut-off for runaway chains; the renderer has none, but a healthy page settles in a few rounds.
MAX_CHAIN_ROUNDS = 8


class RequestFailed(Exception):
    """An HTTP request that did not answer as a working app would."""


def split_outputs(output: str) -> list[tuple[str, str]]:
    """The (component id, property) pairs of a callback's output key, '..a.x...b.y..' or 'a.x'."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(part.rsplit(".", 1)) for part in parts]


def clean_property(prop: str) -> str:
    """'search@a1b2' (an allow_duplicate output) names the property 'search'."""
    return prop.split("@")[0]


def layout_properties(node, store=None) -> dict[str, dict]:
    """{component id: {property: value}} for every component with a plain string id."""
    store = {} if store is None else store
    if isinstance(node, list):
        for child in node:
            layout_properties(child, store)
    elif isinstance(node, dict) and "props" in node:
        props = node["props"]
        if isinstance(props.get("id"), str):
            store[props["id"]] = {key: value for key, value in props.items() if key != "children"
                                  or not isinstance(value, (dict, list))}
        for value in props.values():
            if isinstance(value, (dict, list)):
                layout_properties(value, store)
    return store


class DashClient:
    """One browser tab's worth of requests, over one kept-alive connection."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0, record=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.connection = None
        # record(kind, seconds, ok, detail) is called once per request (detail: the callback's
        # output key, else the path); the load benchmark times with it.
        self.record = record or (lambda kind, seconds, ok, detail: None)
        self.callbacks: list[dict] = []
        self.by_input: dict[str, list[dict]] = defaultdict(list)
        self.store: dict[str, dict] = {}

    def request(self, method: str, path: str, kind: str, body: dict | None = None):
        """Status and decoded body (JSON when it is JSON); RequestFailed on 4xx/5xx or no answer."""
        detail = body["output"] if body and "output" in body else path
        started = time.perf_counter()
        try:
            status, payload = self._exchange(method, path, body)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.record(kind, time.perf_counter() - started, False, detail)
            raise RequestFailed(f"{method} {path}: {error!r}") from error
        ok = status < 400
        self.record(kind, time.perf_counter() - started, ok, detail)
        if not ok:
            raise RequestFailed(f"{method} {path}: HTTP {status}: {payload[:300]!r}")
        return status, payload

    def _exchange(self, method, path, body):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        data = None if body is None else json.dumps(body).encode()
        self.connection.request(method, path, body=data, headers=JSON_HEADERS if data else {})
        response = self.connection.getresponse()
        raw = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        if "json" in response.getheader("Content-Type", ""):
            return response.status, json.loads(raw)
        return response.status, raw.decode("utf-8", "replace")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def open_page(self, search: str = "") -> str:
        """What a browser loads for `/?search`: the HTML, layout and graph, then the first chain."""
        _, html = self.request("GET", f"/{search}", "page")
        _, layout = self.request("GET", "/_dash-layout", "layout")
        _, dependencies = self.request("GET", "/_dash-dependencies", "dependencies")
        self.store = layout_properties(layout)
        self.callbacks = [callback for callback in dependencies if is_server_callback(callback)]
        self.by_input = defaultdict(list)
        for callback in self.callbacks:
            for item in callback["inputs"]:
                self.by_input[f"{item['id']}.{item['property']}"].append(callback)
        self.store.setdefault("url", {}).update(search=search, pathname="/")
        self.fire_initial()
        return html

    def fire_initial(self) -> None:
        """The renderer calls every callback once at start unless prevent_initial_call is set."""
        self.run_chain([callback for callback in self.callbacks if not callback.get("prevent_initial_call")],
                       changed=set())

    def set(self, component: str, prop: str, value) -> None:
        """A user action: set a property, then run every callback that listens to it, and on."""
        self.store.setdefault(component, {})[prop] = value
        self.run_chain(self.by_input.get(f"{component}.{prop}", []), changed={f"{component}.{prop}"})

    def run_chain(self, pending: list[dict], changed: set[str]) -> None:
        """Like the renderer, hold back a callback while another pending one may change its inputs."""
        for _ in range(MAX_CHAIN_ROUNDS):
            if not pending:
                return
            ready = [callback for callback in pending if not waits_for(callback, pending)] or pending
            updated = set()
            for callback in ready:
                updated |= self.call(callback, changed | updated)
            changed |= updated
            pending = unique([callback for callback in pending if callback not in ready]
                             + [callback for prop_id in updated for callback in self.by_input.get(prop_id, [])])

    def call(self, callback: dict, changed: set[str]) -> set[str]:
        """Call one callback with the store's values; apply its answer; return the prop ids set."""
        outputs = [{"id": component, "property": prop} for component, prop in split_outputs(callback["output"])]
        inputs = [self.value_spec(item) for item in callback["inputs"]]
        body = {"output": callback["output"],
                "outputs": outputs if callback["output"].startswith("..") else outputs[0],
                "inputs": inputs, "state": [self.value_spec(item) for item in callback["state"]],
                "changedPropIds": [prop_id for prop_id in
                                   (f"{item['id']}.{item['property']}" for item in callback["inputs"])
                                   if prop_id in changed]}
        status, answer = self.request("POST", "/_dash-update-component", "callback", body)
        if status == 204 or not isinstance(answer, dict):
            return set()
        updated = set()
        for section in ("response", "sideUpdate"):
            for component, props in (answer.get(section) or {}).items():
                for prop, value in props.items():
                    known = self.store.setdefault(component, {})
                    # The renderer re-runs listeners on every set; an unchanged value costs the
                    # server nothing new, so skipping it keeps chains finite here.
                    if known.get(clean_property(prop), object()) != value:
                        known[clean_property(prop)] = value
                        updated.add(f"{component}.{clean_property(prop)}")
        return updated

    def value_spec(self, item: dict) -> dict:
        return {"id": item["id"], "property": item["property"],
                "value": self.store.get(item["id"], {}).get(item["property"])}

    def value(self, component: str, prop: str):
        return self.store.get(component, {}).get(prop)


def is_server_callback(callback: dict) -> bool:
    plain_ids = all(isinstance(item["id"], str) and not item["id"].startswith("{")
                    for item in callback["inputs"] + callback["state"])
    return callback.get("clientside_function") is None and plain_ids


def waits_for(callback: dict, pending: list[dict]) -> bool:
    """True when another pending callback outputs one of this callback's inputs."""
    inputs = {f"{item['id']}.{item['property']}" for item in callback["inputs"]}
    return any(other is not callback and inputs & {f"{component}.{clean_property(prop)}"
                                                   for component, prop in split_outputs(other["output"])}
               for other in pending)


def unique(callbacks) -> list[dict]:
    seen, result = set(), []
    for callback in callbacks:
        if callback["output"] not in seen:
            seen.add(callback["output"])
            result.append(callback)
    return result

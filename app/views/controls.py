"""Controls shared by several views: the snapshot slider's marks and the layer/snapshot links."""
from __future__ import annotations

from dash.exceptions import PreventUpdate

from app import figures
from app.urlstate import href


def snapshot_marks(labels: list[str], most: int = 6) -> dict[int, str]:
    """Slider marks for a few evenly spread snapshots, labelled init, epoch k, …"""
    return {index: labels[index] for index in figures.tick_positions(len(labels), most=most)}


def layer_snapshot_link(state: dict, layer: str | None, snapshot: int | None) -> str:
    """The link for a newly chosen layer or snapshot; a new layer forgets the old layer's neuron."""
    if layer is None or snapshot is None or (layer == state["layer"] and snapshot == state["snapshot"]):
        raise PreventUpdate
    changes = {"layer": layer, "snapshot": snapshot}
    if layer != state["layer"]:
        changes["neuron"] = None
    return href(state, **changes)

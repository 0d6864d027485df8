"""Pure figure builders of the Space tab and the layer-health panel: frames from the core in,
plain Plotly figure dicts out (no run, cache or callback context, so plain pytest tests them).

Every figure names what it shows in its title and the definition it uses in its subtitle
(docs/interpretation.md, "How a layer sees the digits").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from app import figures, theme
from app.neuron_figures import CLASS_COLOURS

RING = "#1f2933"
SEQUENTIAL = "Viridis"
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE"}
# The activation distribution is shaded by log10(share): a ReLU layer's zeros hold most of it, and
# the rest would vanish on a linear scale; shares below 0.01% get the lightest shade.
SHADE_FLOOR = -4
SHADES = [[0, "#f7fbff"], [0.5, "#9ecae1"], [0.8, "#3182bd"], [1, "#08306b"]]


def class_colour(label: int) -> str:
    return CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]


def _layout(title: str, subtitle: str, *, height: int, **extra) -> dict:
    """figures.chart_layout with room for a two-line subtitle (lines split by <br>)."""
    layout = figures.chart_layout(title, subtitle, height=height, **extra)
    layout["margin"] = layout["margin"] | {"t": 86}
    return layout


def map_figure(frame: pd.DataFrame, *, title: str, subtitle: str, height: int = 560) -> dict:
    """Probe digits as points coloured by true class, misclassified ones ringed. Each point's
    customdata is its probe index (for hover pictures and click-through)."""
    traces = []
    for label in sorted(frame["label"].unique()):
        members = frame[frame["label"] == label]
        traces.append({"type": "scatter", "mode": "markers", "name": str(label), "x": members["x"].to_numpy(),
                       "y": members["y"].to_numpy(), "customdata": members.index.to_numpy(),
                       "marker": {"size": 6, "color": class_colour(label), "opacity": 0.85},
                       "hoverinfo": "none"})
    wrong = frame[frame["label"] != frame["predicted"]]
    traces.append({"type": "scatter", "mode": "markers", "name": f"misclassified ({len(wrong)})",
                   "x": wrong["x"].to_numpy(), "y": wrong["y"].to_numpy(), "customdata": wrong.index.to_numpy(),
                   "marker": {"size": 11, "symbol": "circle-open", "color": RING, "line": {"width": 1.5}},
                   "hoverinfo": "none"})
    hidden = {"showticklabels": False, "zeroline": False, "showgrid": False}
    return {"data": traces, "layout": _layout(
        title, subtitle, height=height, xaxis=hidden, yaxis=hidden | {"scaleanchor": "x", "scaleratio": 1},
        legend={"title": {"text": "true class"}, "itemsizing": "constant"}, hovermode="closest",
        dragmode="pan", uirevision="map")}


def map_subtitle(attrs: dict, labels: list[str], probe_size: int) -> str:
    """How the map was made, in words: the method, its alignment or start, and what PCA keeps."""
    if attrs["method"] == "pca":
        share = attrs.get("variance_share")
        kept = f"these two axes hold {share:.0%} of the layer's variance" if share == share else "the layer does not vary"
        aligned = ("" if attrs["snapshot"] == attrs["reference"]
                   else f", turned (Procrustes) to match {labels[attrs['reference']]}")
        return f"PCA of the activations of {probe_size} probe digits{aligned}<br>{kept}"
    start = "the PCA map" if attrs.get("start") is None else f"the t-SNE map of {labels[attrs['start']]}"
    return (f"t-SNE (perplexity 30) of {probe_size} probe digits, started from {start}<br>"
            "distances between clusters and the sizes of clusters mean nothing")


def probe_curve_figure(curves: dict[str, pd.DataFrame], labels: list[str], current: int, *,
                       probe_size: int, height: int = 380) -> dict:
    """Probe accuracy of each hidden layer at every snapshot, the pixel baseline dashed, each
    layer's init baseline dotted, the current snapshot a vertical line."""
    traces = []
    snapshots = list(range(len(labels)))
    for position, (layer, curve) in enumerate(curves.items()):
        colour = theme.SERIES[position % len(theme.SERIES)]
        accuracy = curve["accuracy"].to_numpy()
        traces.append({"type": "scatter", "mode": "lines+markers", "name": layer, "x": snapshots,
                       "y": accuracy.tolist(), "customdata": labels, "legendgroup": layer,
                       "line": {"color": colour, "width": 2.5}, "marker": {"size": 5},
                       "hovertemplate": f"{layer} at %{{customdata}}: %{{y:.1%}}<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines", "name": f"{layer} at init",
                       "x": [snapshots[0], snapshots[-1]], "y": [curve["init"].iloc[0]] * 2, "legendgroup": layer,
                       "line": {"color": colour, "width": 1.5, "dash": "dot"},
                       "hovertemplate": f"{layer} at init: %{{y:.1%}}<extra></extra>"})
    if curves:
        pixels = next(iter(curves.values()))["pixels"].iloc[0]
        traces.append({"type": "scatter", "mode": "lines", "name": "raw pixels", "x": [snapshots[0], snapshots[-1]],
                       "y": [pixels, pixels], "line": {"color": theme.MUTED, "width": 2, "dash": "dash"},
                       "hovertemplate": "raw pixels: %{y:.1%}<extra></extra>"})
    ticks = figures.tick_positions(len(labels))
    return {"data": traces, "layout": _layout(
        "Linear-probe accuracy of each hidden layer over training",
        f"5-fold cross-validated StandardScaler + logistic regression, {probe_size} probe digits<br>"
        "dashed: raw pixels · dotted: the layer at initialisation",
        height=height, xaxis={"tickmode": "array", "tickvals": ticks, "ticktext": [labels[tick] for tick in ticks],
                              "range": [-0.3, max(len(labels) - 0.7, 0.7)]},
        yaxis={"tickformat": ".0%", "title": {"text": "probe accuracy"}},
        shapes=[current_line(current)], legend={"orientation": "h", "y": -0.18}, hovermode="closest")}


def current_line(snapshot: int) -> dict:
    return {"type": "line", "xref": "x", "yref": "paper", "x0": snapshot, "x1": snapshot, "y0": 0, "y1": 1,
            "line": {"color": figures.HIGHLIGHT, "width": 1.5, "dash": "dot"}}


def cka_heatmap(matrix: pd.DataFrame, names: list[str], *, title: str, subtitle: str, height: int = 420,
                marked: int | None = None) -> dict:
    """A CKA matrix on a 0–1 colour scale, rows and columns named; `marked` outlines one row and column."""
    values = matrix.to_numpy(dtype=float)
    heatmap = {"type": "heatmap", "z": values, "x": names, "y": names, "zmin": 0, "zmax": 1,
               "colorscale": SEQUENTIAL, "colorbar": figures.COLORBAR | {"title": {"text": "CKA", "side": "right"}},
               "hovertemplate": "%{y} vs %{x}: CKA %{z:.3f}<extra></extra>"}
    shapes = []
    if marked is not None and len(names):
        for axis in ("x", "y"):
            other = "y" if axis == "x" else "x"
            shapes.append({"type": "rect", "xref": "x", "yref": "y",
                           f"{axis}0": marked - 0.5, f"{axis}1": marked + 0.5, f"{other}0": -0.5,
                           f"{other}1": len(names) - 0.5, "line": {"color": figures.HIGHLIGHT, "width": 1.5}})
    axis = {"type": "category", "showgrid": False, "automargin": True}
    return {"data": [heatmap], "layout": _layout(
        title, subtitle, height=height, xaxis=axis | {"tickangle": -45 if len(names) > 6 else 0},
        yaxis=axis | {"autorange": "reversed", "scaleanchor": "x"}, shapes=shapes)}


def snapshot_names(labels: list[str]) -> list[str]:
    """Category names for snapshot axes: the labels, made unique (two snapshots can share a label)."""
    seen: dict[str, int] = {}
    names = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        names.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return names


def confusion_figure(matrix: pd.DataFrame, *, title: str, subtitle: str, selected: tuple | None = None,
                     height: int = 430) -> dict:
    """Counts with the true class down and the predicted class across; off-diagonal cells (the
    mistakes) in one colour scale, the diagonal in grey with its counts, so the errors stand out."""
    counts = matrix.to_numpy()
    classes = [str(label) for label in matrix.columns]
    diagonal = np.eye(len(counts), dtype=bool)
    errors = np.where(diagonal, np.nan, counts).astype(float)
    correct = np.where(diagonal, counts, np.nan).astype(float)
    text = [[str(value) for value in row] for row in counts]
    common = {"type": "heatmap", "x": classes, "y": classes, "text": text, "texttemplate": "%{text}", "xgap": 1, "ygap": 1,
              "hovertemplate": "true %{y}, predicted %{x}: %{text} digits — click to list them<extra></extra>"}
    traces = [common | {"z": correct.tolist(), "colorscale": [[0, "#e4e7eb"], [1, "#e4e7eb"]], "showscale": False},
              common | {"z": errors.tolist(), "zmin": 0, "zmax": max(1.0, float(np.nanmax(errors, initial=0))),
                        "colorscale": [[0, "#fff5eb"], [1, "#d94801"]],
                        "colorbar": figures.COLORBAR | {"title": {"text": "mistakes", "side": "right"}}}]
    shapes = []
    if selected is not None:
        row, column = (classes.index(str(value)) for value in selected)
        shapes.append({"type": "rect", "x0": column - 0.5, "x1": column + 0.5, "y0": row - 0.5, "y1": row + 0.5,
                       "line": {"color": RING, "width": 3}})
    axis = {"type": "category", "showgrid": False}
    return {"data": traces, "layout": _layout(
        title, subtitle, height=height, xaxis=axis | {"title": {"text": "predicted class"}},
        yaxis=axis | {"title": {"text": "true class"}, "autorange": "reversed", "scaleanchor": "x"}, shapes=shapes)}


def health_figure(frame: pd.DataFrame, edges: np.ndarray, shares: pd.DataFrame, labels: list[str], *,
                  layer: str, activation: str, probe_size: int, height: int = 520) -> dict:
    """One layer's health over training: the activation distribution per snapshot (a heatmap, share
    of activations per bin, with the median and 5th–95th percentiles drawn over it), the dead or
    saturated share, and the update ratio on a log scale."""
    snapshots = list(range(len(frame)))
    centres = ((edges[:-1] + edges[1:]) / 2).tolist()
    share = shares.to_numpy().T
    with np.errstate(divide="ignore"):
        shade = np.where(share > 0, np.log10(np.maximum(share, 1e-12)), np.nan)
    traces = [{"type": "heatmap", "x": snapshots, "y": centres, "z": shade.tolist(), "customdata": share.tolist(),
               "colorscale": SHADES, "zmin": SHADE_FLOOR, "zmax": 0, "showscale": False,
               "hoverongaps": False, "xaxis": "x", "yaxis": "y",
               "hovertemplate": "snapshot %{x}: %{customdata:.2%} of activations near %{y:.2f}<extra></extra>"}]
    for column, name, dash in (("q50", "median", "solid"), ("q05", "5th percentile", "dash"), ("q95", "95th percentile", "dash")):
        traces.append({"type": "scatter", "mode": "lines", "x": snapshots, "y": frame[column].tolist(), "name": name,
                       "line": {"color": figures.HIGHLIGHT, "width": 2.5 if dash == "solid" else 1.8, "dash": dash},
                       "xaxis": "x", "yaxis": "y", "legendgroup": "distribution",
                       "hovertemplate": f"{name}: %{{y:.3f}}<extra></extra>"})
    share_column, share_name = (("dead_share", "dead neurons (silent on every probe digit)")
                                if frame["dead_share"].notna().any() else
                                ("saturated_share", "saturated activations (flat tails)"))
    if frame[share_column].notna().any():
        traces.append({"type": "scatter", "mode": "lines+markers", "x": snapshots, "y": frame[share_column].tolist(),
                       "name": share_name, "line": {"color": theme.SERIES[4], "width": 2}, "marker": {"size": 4},
                       "xaxis": "x", "yaxis": "y2", "hovertemplate": f"{share_name}: %{{y:.1%}}<extra></extra>"})
    traces.append({"type": "scatter", "mode": "lines+markers", "x": snapshots, "y": frame["update_ratio"].tolist(),
                   "name": "update ratio ‖Wₜ − Wₜ₋₁‖ / ‖Wₜ₋₁‖", "line": {"color": theme.SERIES[0], "width": 2},
                   "marker": {"size": 4}, "xaxis": "x", "yaxis": "y3",
                   "hovertemplate": "update ratio: %{y:.2e}<extra></extra>"})
    ticks = figures.tick_positions(len(labels))
    x_axis = {"tickmode": "array", "tickvals": ticks, "ticktext": [labels[tick] for tick in ticks],
              "gridcolor": theme.GRID, "range": [-0.5, max(len(labels) - 0.5, 0.5)]}
    plain = {"gridcolor": theme.GRID, "zeroline": False, "automargin": True}
    what = {"relu": "dead share", "relu6": "dead share", "sigmoid": "saturated share", "tanh": "saturated share"}
    return {"data": traces, "layout": _layout(
        f"{layer} ({activation}): health over training",
        f"activations of {probe_size} probe digits: share per bin, log shade (darker = more), with percentiles · "
        f"{what.get(activation, f'no dead or saturated share for {activation}')} · update ratio of the kernel",
        height=height, xaxis=x_axis | {"anchor": "y3"},
        yaxis=plain | {"domain": [0.5, 1], "title": {"text": "activation"}},
        yaxis2=plain | {"domain": [0.27, 0.44], "tickformat": ".0%", "rangemode": "tozero", "title": {"text": "share"}},
        yaxis3=plain | {"domain": [0, 0.21], "type": "log", "title": {"text": "update"}, "exponentformat": "power",
                                "nticks": 4},
        legend={"orientation": "h", "y": -0.12}, hovermode="x unified")}

"""Pure figure builders of the neuron page's "what it responds to and does" panels (issue 11),
and of the ranking's importance panels: tables from the core in, Plotly figures or image data out.

Each figure's subtitle names the definition it draws (docs/interpretation.md); no run, cache or
callback context here, so every builder is tested with plain pytest.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app import figures, images, theme

# One colour per digit class (Plotly's qualitative T10), for the class-stacked histogram.
CLASS_COLOURS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                 "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")
ORDER_COLOURS = {"importance": figures.HIGHLIGHT, "selectivity": theme.ACCENT, "random": theme.NEUTRAL}
SCALES = {"count": "count", "density": "density, log axis"}


def activation_histogram(table, classes, *, scale: str, silent_share: float | None, title: str,
                         height: int = 290) -> go.Figure:
    """Bars of a core `activation_histogram` table stacked by class; `scale` "count", or "density"
    (count / (N × bin width)) on a log axis so rare high activations stay visible."""
    widths = np.asarray(table["right"] - table["left"], dtype=float)
    centres = np.asarray(table["left"], dtype=float) + widths / 2
    total = float(np.asarray(table[list(classes)]).sum())
    per_unit = 1.0 / (total * np.where(widths > 0, widths, 1.0)) if scale == "density" else np.ones_like(widths)
    bars = [{"type": "bar", "x": centres, "y": np.asarray(table[label], dtype=float) * per_unit, "width": widths,
             "name": str(label), "marker": {"color": CLASS_COLOURS[index % len(CLASS_COLOURS)], "line": {"width": 0}},
             "hovertemplate": f"digit {label}<br>h %{{x:.3g}}<br>{SCALES[scale]} %{{y:.3g}}<extra></extra>"}
            for index, label in enumerate(classes)]
    subtitle = f"probe digits by activation h, stacked by true class · {SCALES[scale]}"
    if silent_share is not None:
        subtitle += f" · silent (h = 0) on {silent_share:.1%}" + (" — dead" if silent_share == 1 else "")
    yaxis = {"title": {"text": SCALES[scale]}} | ({"type": "log"} if scale == "density" else {})
    return figures.figure_of(bars, figures.chart_layout(
        title, subtitle, height=height, barmode="stack", bargap=0, yaxis=yaxis,
        xaxis={"title": {"text": "activation h"}},
        legend={"title": {"text": "digit"}, "orientation": "h", "x": 0, "y": -0.32, "font": {"size": 10},
                "traceorder": "normal"},
        margin={"l": 52, "r": 8, "t": 64, "b": 76}))


def band_label(low: float, high: float) -> str:
    """'top 1%' or '10–50%' style: the band of probe digits by activation rank, from the top."""
    top, bottom = round(100 * (1 - high), 6), round(100 * (1 - low), 6)
    return f"top {bottom:g}%" if top == 0 else f"{top:g}–{bottom:g}% from the top"


def digit_png(image) -> str:
    """A probe digit (28×28 uint8, ink 255) as a PNG data URI, ink dark on white."""
    ink = 255 - np.asarray(image, dtype=np.uint8).reshape(figures.SIDE, figures.SIDE)
    return images.png_data_uri(np.repeat(ink[:, :, None], 3, axis=2))


def logit_effects(table, *, neuron: int, title: str, height: int = 250) -> go.Figure:
    """Both measures of a core `logit_effects` table as paired bars per digit."""
    digits = [str(digit) for digit in table.index]
    logits = list(table["logit"])
    traces = [
        {"type": "bar", "x": digits, "y": np.asarray(table["weights_path"], dtype=float), "customdata": logits,
         "name": "weights path c·Δh (gates open)", "marker": {"color": theme.NEUTRAL},
         "hovertemplate": "%{customdata}: weights path %{y:+.3f}<extra></extra>"},
        {"type": "bar", "x": digits, "y": np.asarray(table["measured"], dtype=float), "customdata": logits,
         "name": "measured: mean-ablation takes away", "marker": {"color": figures.HIGHLIGHT},
         "hovertemplate": "%{customdata}: measured %{y:+.3f}<extra></extra>"},
    ]
    subtitle = f"change of each logit when neuron {neuron} fires (its top 10% of probe digits) instead of sitting at its mean"
    return figures.figure_of(traces, figures.chart_layout(
        title, subtitle, height=height, barmode="group", legend={"orientation": "h", "y": -0.16, "x": 0},
        margin={"l": 52, "r": 8, "t": 64, "b": 56},
        xaxis={"tickmode": "array", "tickvals": digits, "ticktext": [f"digit {digit}" for digit in digits]},
        yaxis={"title": {"text": "Δ logit"}, "zeroline": True, "zerolinecolor": theme.MUTED}))


def dream_gallery(dream: dict, best_image, best_label: int, *, title: str, first_layer: bool,
                  height: int = 200) -> go.Figure:
    """The maximised inputs (pixels in 0–1), each captioned with the activation it reaches, then
    the probe digit that reaches the highest activation, for comparison. A first-layer neuron's
    objective is concave, so its seeds all reach one image: the subtitle says so."""
    images = np.concatenate([np.asarray(dream["images"], dtype=np.float32) * 255,
                             np.asarray(best_image, dtype=np.float32)[None]])
    captions = [f"seed {seed} · h {value:.2f}" for seed, value in enumerate(dream["activations"])]
    captions.append(f"best probe digit ({best_label}) · h {dream['best_activation']:.2f}")
    subtitle = "gradient ascent from noise on a/σ − λ₂‖x‖²/2 − λ_TV·TV/2, pixels in [0, 1]"
    if first_layer:
        subtitle += " · first layer: concave, every seed reaches the same image"
    return figures.digit_gallery(images, captions, title=title, subtitle=subtitle, columns=len(images), height=height)


def importance_scatter(selectivity_index, importance, *, selected: int | None, title: str,
                       height: int = 320) -> go.Figure:
    """One point per neuron: selectivity index against importance (accuracy drop); customdata
    holds the neuron, so a click opens it."""
    selectivity_index = np.asarray(selectivity_index, dtype=float)
    importance = np.asarray(importance, dtype=float)
    # A plain list: Dash reads a clicked point's customdata from the figure as sent, and a numpy
    # array would travel base64-encoded, unreadable there.
    neurons = list(range(len(importance)))
    colours = [figures.HIGHLIGHT if neuron == selected else theme.ACCENT for neuron in neurons]
    points = {"type": "scatter", "mode": "markers", "x": selectivity_index, "y": importance,
              "customdata": neurons, "marker": {"color": colours, "size": 8, "opacity": 0.8},
              "hovertemplate": "neuron %{customdata}<br>SI %{x:.2f}<br>accuracy drop %{y:.2%}<extra></extra>"}
    return figures.figure_of([points], figures.chart_layout(
        title, "each point a neuron (click to open) · importance: accuracy drop when mean-ablated alone",
        height=height,
        xaxis={"title": {"text": "selectivity index SI"}},
        yaxis={"title": {"text": "importance (accuracy drop)"}, "tickformat": ".1%"}))


def ablation_curves(curves: dict, *, title: str, height: int = 320) -> go.Figure:
    """Probe accuracy against the number of neurons ablated, one line per order."""
    lines = [{"type": "scatter", "mode": "lines", "x": np.asarray(curve.index), "y": np.asarray(curve["accuracy"]),
              "name": f"by {order}" if order != "random" else "random order",
              "line": {"color": ORDER_COLOURS[order], "width": 2},
              "hovertemplate": f"{order}: %{{x}} ablated<br>accuracy %{{y:.1%}}<extra></extra>"}
             for order, curve in curves.items()]
    return figures.figure_of(lines, figures.chart_layout(
        title, "neurons mean-ablated cumulatively, most important (or most selective) first",
        height=height, legend={"orientation": "h", "y": -0.25, "x": 0},
        margin={"l": 52, "r": 16, "t": 64, "b": 62},
        xaxis={"title": {"text": "neurons ablated"}},
        yaxis={"title": {"text": "probe accuracy"}, "tickformat": ".0%", "range": [0, 1.02]}))

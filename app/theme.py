"""The dashboard's look: colours, fonts and figure defaults shared by every view.

There is ONE diverging colour scale. It is zero-centred and symmetric (callers pass ±limit as
zmin/zmax via `symmetric_limits`), red for positive and blue for negative values, so a weight, a
change or an attribution reads the same way in every view.
"""
from __future__ import annotations

import numpy as np

from neurons import colours

FONT_FAMILY = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
MONO_FAMILY = "'JetBrains Mono', 'SFMono-Regular', Menlo, Consolas, monospace"

INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
SURFACE = "#ffffff"
PAGE = "#f5f7fa"
ACCENT = "#3e5c9a"

# RdBu reversed (ColorBrewer): blue = negative, near-white = zero, red = positive. The core keeps
# it (neurons.colours), so the animations it writes read like the page.
DIVERGING = colours.DIVERGING
POSITIVE = "#b2182b"
NEGATIVE = "#2166ac"
NEUTRAL = "#9aa5b1"
# Pixels never inked in the training set: the model never sees them, and their weights keep
# their random initial values, so weight maps draw them in this flat grey instead of as noise.
UNSEEN = colours.UNSEEN
UNSEEN_NOTE = "grey: pixels never inked in training (never seen by the model)"

# Line colours for overlaid runs, in order; chosen to stay apart from the red/blue of DIVERGING.
SERIES = ["#3e5c9a", "#e07b00", "#2f9e44", "#8e44ad", "#c2255c", "#0b7285", "#795548", "#5c940d"]

STATUS_COLORS = {
    "running": "#1971c2",
    "completed": "#2f9e44",
    "interrupted": "#e8590c",
    "failed": "#c92a2a",
    "imported": "#6741d9",
    "broken": "#868e96",
}


def blank_figure(height: int = 400) -> dict:
    """A placeholder figure with no axes, shown until a callback draws the real one."""
    hidden = {"visible": False}
    return {"data": [], "layout": figure_layout(height=height, xaxis=hidden, yaxis=hidden)}


def symmetric_limits(values, floor: float = 1e-9) -> tuple[float, float]:
    """(−m, m) with m the largest finite |value|, so zero sits at the centre of DIVERGING."""
    array = np.asarray(values, dtype=float)
    finite = np.abs(array[np.isfinite(array)])
    limit = float(finite.max()) if finite.size else 1.0
    limit = max(limit, floor)
    return -limit, limit


def figure_layout(**overrides) -> dict:
    """Base layout for every figure: white plot, the app's font, tight margins."""
    layout = {
        "template": "plotly_white",
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "margin": {"l": 56, "r": 16, "t": 48, "b": 44},
        "paper_bgcolor": SURFACE,
        "plot_bgcolor": SURFACE,
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "title": {"x": 0.0, "xanchor": "left", "font": {"size": 15}},
    }
    layout.update(overrides)
    return layout

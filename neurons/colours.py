"""The one diverging colour scale of Neuron Lens, for pictures the core writes (animations) and the app.

Zero-centred and symmetric: values are drawn with limits ±limit, blue negative, near-white zero,
red positive (RdBu reversed, ColorBrewer). Pixels never inked in training (NaN) are a flat grey.
app/theme.py takes its scale from here, so a GIF and the page read the same way.
"""
from __future__ import annotations

import numpy as np

DIVERGING = [
    [0.0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
    [0.5, "#f7f7f7"],
    [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1.0, "#67001f"],
]
UNSEEN = "#c5ccd4"


def hex_rgb(colour: str) -> list[int]:
    """'#rrggbb' as [r, g, b]."""
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def colour_rgb(values, limit: float) -> np.ndarray:
    """Map values to RGB bytes on the diverging scale with limits ±limit; NaN (a pixel never
    inked in training) to the flat grey UNSEEN."""
    stops = np.array([stop for stop, _ in DIVERGING], dtype=float)
    rgb = np.array([hex_rgb(colour) for _, colour in DIVERGING], dtype=float)
    values = np.asarray(values, dtype=float)
    position = np.clip((np.nan_to_num(values) / limit + 1) / 2, 0, 1)
    channels = [np.interp(position, stops, rgb[:, channel]) for channel in range(3)]
    colours = np.stack(channels, axis=-1).round().astype(np.uint8)
    colours[np.isnan(values)] = hex_rgb(UNSEEN)
    return colours

"""Small PNG pictures for places a Plotly figure is too heavy (table thumbnails, digit chips).

No imaging library: a PNG of raw RGB rows is a few lines of zlib and struct. The colours are the
one diverging scale of neurons.colours, so a thumbnail reads like the heatmaps.
"""
from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

from app.figures import SIDE, symmetric_limit
from neurons.colours import colour_rgb


def png_data_uri(rgb: np.ndarray) -> str:
    """A tiny PNG (no imaging library needed) of an (h, w, 3) uint8 array, as a data: URI."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    # Each PNG row starts with its filter type, 0 (none).
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, -1)], axis=1).tobytes()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def field_thumbnails(fields) -> list[str]:
    """One 28×28 PNG per field, each on the shared scale with its own limits, for table rows
    (the page enlarges them with crisp pixels: a bigger PNG only costs encoding time)."""
    fields = np.asarray(fields, dtype=float).reshape(-1, SIDE, SIDE)
    limits = np.array([symmetric_limit(field) for field in fields])
    return [png_data_uri(rgb) for rgb in colour_rgb(fields / limits[:, None, None], 1.0)]

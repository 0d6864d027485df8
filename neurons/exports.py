"""Files to take away: a neuron's field over snapshots as an animated GIF, or as arrays (.npz).

The GIF draws every frame with the same colour limits (the largest |value| over all frames, live
pixels only), so growth shows; each frame names its snapshot. Pixels never inked in training are
the flat grey of neurons.colours. Frames are quantised to one shared palette, so colours do not
flicker from frame to frame. MP4 is not offered: every maintained MP4 writer for Python
(imageio-ffmpeg, PyAV) wraps a native FFmpeg; none is pure Python.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from neurons import colours

PIXEL_SIZE = 8  # each field pixel drawn as an 8×8 block: 224×224 for the field
HEADER = 40
FOOTER = 18
FRAME_MS = 400
LAST_FRAME_MS = 1600  # hold the last snapshot before the loop starts again
INK = (31, 41, 51)
MUTED = (97, 110, 124)
PAPER = (255, 255, 255)
SCALE_STEPS = 240


def palette() -> Image.Image:
    """One palette for every frame: the diverging scale, the unseen grey, paper and ink."""
    ramp = colours.colour_rgb(np.linspace(-1, 1, SCALE_STEPS), 1.0).tolist()
    extra = [colours.hex_rgb(colours.UNSEEN), list(PAPER), list(INK), list(MUTED)]
    flat = [channel for colour in ramp + extra for channel in colour]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + [0] * (768 - len(flat)))
    return image


def frame(field: np.ndarray, limit: float, title: str, label: str, note: str) -> Image.Image:
    """One field (28×28, NaN = never inked) enlarged, with the title and snapshot label above it."""
    side = field.shape[0] * PIXEL_SIZE
    picture = Image.fromarray(colours.colour_rgb(field, limit)).resize((side, side), Image.NEAREST)
    canvas = Image.new("RGB", (side, HEADER + side + FOOTER), PAPER)
    canvas.paste(picture, (0, HEADER))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 2), title, fill=MUTED, font=ImageFont.load_default(size=12))
    draw.text((4, 17), label, fill=INK, font=ImageFont.load_default(size=16))
    draw.text((4, HEADER + side + 3), note, fill=MUTED, font=ImageFont.load_default(size=11))
    return canvas


def write_animation(fields, labels, target, *, live=None, title: str = "") -> int:
    """Write fields (T, 28, 28) as a looping GIF to `target` (a path or a binary file); one frame
    per field, labelled by `labels`. Returns the number of frames."""
    fields = np.array(fields, dtype=np.float64).reshape(-1, 28, 28)
    if live is not None:
        fields[:, ~np.asarray(live, dtype=bool).reshape(28, 28)] = np.nan
    if len(fields) != len(labels) or not len(fields):
        raise ValueError(f"need one label per field: {len(fields)} fields, {len(labels)} labels")
    finite = np.abs(fields[np.isfinite(fields)])
    limit = max(float(finite.max()) if finite.size else 1.0, 1e-9)
    note = f"colour limits ±{limit:.3g} on every frame"
    shared = palette()
    frames = [frame(field, limit, title, str(label), note).quantize(palette=shared, dither=Image.Dither.NONE)
              for field, label in zip(fields, labels)]
    durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
    frames[0].save(target, format="GIF", save_all=True, append_images=frames[1:], duration=durations,
                   loop=0, optimize=False, disposal=1)
    return len(frames)


def write_fields(target, *, weights, change, step, labels, live, layer: str, neuron: int, run_id: str) -> None:
    """A neuron's fields over snapshots as an .npz: `weights`, `change` (since init) and `step`
    (since the snapshot before), each (T, 28, 28) float32, with `labels`, `live_pixels` and names."""
    np.savez_compressed(target, weights=np.asarray(weights, np.float32), change=np.asarray(change, np.float32),
                        step=np.asarray(step, np.float32), labels=np.array(labels, dtype=str),
                        live_pixels=np.asarray(live, bool), layer=np.array(layer), neuron=np.array(neuron),
                        run_id=np.array(run_id))

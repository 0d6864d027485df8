"""Files to take away: a neuron's field over snapshots as an animated GIF, or as arrays (.npz).

The GIF draws every frame with the same colour limits (the largest |value| over all frames, live
pixels only), so growth shows; each frame names its snapshot. Pixels never inked in training are
the flat grey of neurons.colours. Every frame is drawn in one shared palette, so colours do not
flicker from frame to frame. MP4 is not offered: every maintained MP4 writer for Python
(imageio-ffmpeg, PyAV) wraps a native FFmpeg; none is pure Python.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from neurons import colours

PIXEL_SIZE = 10  # each field pixel drawn as a 10×10 block: 280×280 for the field
HEADER = 40
FOOTER = 18
FRAME_MS = 400
LAST_FRAME_MS = 1600  # hold the last snapshot before the loop starts again
SCALE_STEPS = 241  # odd, so that zero and both ends of the scale are palette colours exactly


PALETTE_EXTRAS = (colours.UNSEEN, "#ffffff", "#1f2933", "#616e7c")  # unseen grey, paper, ink, muted ink
UNSEEN_INDEX, PAPER_INDEX, INK_INDEX, MUTED_INDEX = range(SCALE_STEPS, SCALE_STEPS + len(PALETTE_EXTRAS))


def palette() -> list[int]:
    """One palette for every frame: SCALE_STEPS colours along the diverging scale, then the extras."""
    ramp = colours.colour_rgb(np.linspace(-1, 1, SCALE_STEPS), 1.0).tolist()
    flat = [channel for colour in ramp + [colours.hex_rgb(extra) for extra in PALETTE_EXTRAS] for channel in colour]
    return flat + [0] * (768 - len(flat))


def frame(field: np.ndarray, limit: float, title: str, label: str, note: str) -> Image.Image:
    """One field (28×28, NaN = never inked) enlarged, with the title and snapshot label above it,
    drawn straight in palette indices (exact colours, no quantisation)."""
    position = np.clip((np.nan_to_num(field) / limit + 1) / 2, 0, 1)
    indices = np.where(np.isnan(field), UNSEEN_INDEX, np.rint(position * (SCALE_STEPS - 1))).astype(np.uint8)
    side = field.shape[0] * PIXEL_SIZE
    canvas = Image.new("P", (side, HEADER + side + FOOTER), PAPER_INDEX)
    canvas.putpalette(palette())
    canvas.paste(Image.fromarray(indices, "L").resize((side, side), Image.NEAREST), (0, HEADER))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 2), title, fill=MUTED_INDEX, font=ImageFont.load_default(size=12))
    draw.text((4, 17), label, fill=INK_INDEX, font=ImageFont.load_default(size=16))
    draw.text((4, HEADER + side + 3), note, fill=MUTED_INDEX, font=ImageFont.load_default(size=11))
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
    frames = [frame(field, limit, title, str(label), note) for field, label in zip(fields, labels)]
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

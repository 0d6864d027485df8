"""Pure figure builders shared by the views: numpy arrays in, Plotly figures out.

No run, cache or callback context here, so every builder is tested with plain pytest. Every
figure carries a title naming what it shows and a subtitle naming which definition of the
interpretation guide it uses.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app import theme

SIDE = 28
TILE_GAP = 2
GALLERY_GAP = 9  # room for a caption under each digit
DIGITS = tuple(range(10))


# Red and blue already mean "positive" and "negative"; the selection needs a third colour.
HIGHLIGHT = "#e07b00"


def symmetric_limit(values) -> float:
    """The largest finite |value| (never zero): the colour limit ±limit of the shared scale."""
    return theme.symmetric_limits(values)[1]


def titled(text: str, subtitle: str | None = None) -> dict:
    """A figure title with a smaller line (Plotly's subtitle) naming the definition shown."""
    title = {"text": text, "x": 0.0, "xanchor": "left", "xref": "paper", "font": {"size": 14}}
    if subtitle:
        title["subtitle"] = {"text": subtitle, "font": {"size": 11, "color": theme.MUTED}}
    return title


def figure_of(traces: list[dict], layout: dict) -> go.Figure:
    """One figure, validated once. No Plotly template: merging one (even the default) costs ~8 ms
    a figure, so the little of its look we want is spelt out in chart_layout and image_layout."""
    return go.Figure(data=traces, layout={"template": {}, **layout})


def chart_layout(title: str, subtitle: str | None, *, height: int, xaxis: dict | None = None,
                 yaxis: dict | None = None, **extra) -> dict:
    """Layout of a chart with axes: the theme's font and margins, light grid lines."""
    plain_axis = {"gridcolor": theme.GRID, "zerolinecolor": theme.GRID, "linecolor": theme.GRID,
                  "ticks": "", "automargin": True}
    layout = theme.figure_layout(title=titled(title, subtitle), height=height,
                                 font={"family": theme.FONT_FAMILY, "size": 12, "color": theme.INK},
                                 margin={"l": 52, "r": 16, "t": 64, "b": 40})
    layout.pop("template", None)
    return layout | {"xaxis": plain_axis | (xaxis or {}), "yaxis": plain_axis | (yaxis or {}), **extra}


def image_layout(title: str, subtitle: str | None, *, height: int, bottom: int = 8, **extra) -> dict:
    """Layout of an image: row 0 at the top, square pixels, no tick clutter."""
    hidden = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False, "showline": False,
              "constrain": "domain"}
    layout = chart_layout(title, subtitle, height=height, xaxis=hidden,
                          yaxis=hidden | {"autorange": "reversed", "scaleanchor": "x", "scaleratio": 1})
    layout["title"] |= {"xref": "container", "x": 0.01}
    return layout | {"margin": {"l": 8, "r": 8, "t": 64, "b": bottom}, **extra}


COLORBAR = {"thickness": 12, "outlinewidth": 0, "len": 0.85}


def field_heatmap(field, *, title: str, subtitle: str, limit: float | None = None,
                  height: int = 360, colorbar_title: str | None = "weight") -> go.Figure:
    """One 28×28 field on the shared zero-centred diverging scale, limits ±limit; no colour bar
    when colorbar_title is None (the caller draws its own)."""
    field = np.asarray(field, dtype=np.float32).reshape(SIDE, SIDE)
    limit = symmetric_limit(field) if limit is None else float(limit)
    heatmap = {"type": "heatmap", "z": field, "zmin": -limit, "zmax": limit, "colorscale": theme.DIVERGING,
               "showscale": colorbar_title is not None, "hoverongaps": False,
               "colorbar": COLORBAR | {"title": {"text": colorbar_title or "", "side": "right"}},
               "hovertemplate": "row %{y}, column %{x}<br>%{z:.4g}<extra></extra>"}
    return figure_of([heatmap], image_layout(title, subtitle, height=height, **unseen_legend(field)))


def unseen_legend(fields) -> dict:
    """Layout for maps whose never-inked pixels are NaN: they show the grey background, and a
    note under the map says what the grey means."""
    if not np.isnan(fields).any():
        return {}
    note = {"text": theme.UNSEEN_NOTE, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0, "y": 0,
            "xanchor": "left", "yanchor": "top", "yshift": -4, "font": {"size": 11, "color": theme.MUTED}}
    return {"plot_bgcolor": theme.UNSEEN, "bottom": 28, "annotations": [note]}


def css_gradient(scale=theme.DIVERGING, direction: str = "to top") -> str:
    """The colour scale as a CSS gradient, for colour bars drawn outside Plotly."""
    return f"linear-gradient({direction}, " + ", ".join(f"{colour} {100 * stop:g}%" for stop, colour in scale) + ")"


def tile_fields(fields, columns: int, gap: int = TILE_GAP):
    """Lay (n, 28, 28) fields out in a grid; returns (image with NaN gaps, tile index or -1)."""
    fields = np.asarray(fields, dtype=np.float32)
    count = len(fields)
    rows = max(1, -(-count // columns))
    pitch = SIDE + gap
    image = np.full((rows * pitch - gap, columns * pitch - gap), np.nan, dtype=np.float32)
    owner = np.full(image.shape, -1, dtype=np.int16)
    for index, field in enumerate(fields):
        top, left = (index // columns) * pitch, (index % columns) * pitch
        image[top:top + SIDE, left:left + SIDE] = field
        owner[top:top + SIDE, left:left + SIDE] = index
    return image, owner


def mosaic_columns(count: int) -> int:
    """Columns for a mosaic of `count` tiles that fits a 1280-pixel-wide page."""
    return int(min(16, max(4, np.ceil(np.sqrt(count * 2)))))


def mosaic_figure(fields, neurons, *, title: str, subtitle: str, per_tile: bool = False,
                  selected: int | None = None, columns: int | None = None,
                  height: int | None = None) -> go.Figure:
    """Every field of a layer as one heatmap; customdata holds the neuron under each pixel."""
    fields = np.asarray(fields, dtype=np.float32)
    neurons = np.asarray(neurons, dtype=np.int16)
    if per_tile:
        # Never-inked pixels are NaN: they are left out of each tile's largest |value|.
        magnitudes = np.abs(fields).reshape(len(fields), -1)
        scale = magnitudes.max(axis=1, where=np.isfinite(magnitudes), initial=0)
        fields = fields / np.where(scale > 0, scale, 1)[:, None, None]
    columns = columns or mosaic_columns(len(fields))
    image, owner = tile_fields(fields, columns)
    neuron_map = np.where(owner >= 0, neurons[np.maximum(owner, 0)], -1).astype(np.int16)
    limit = 1.0 if per_tile else symmetric_limit(image)
    value_label = "relative value" if per_tile else "value"
    heatmap = {"type": "heatmap", "z": image, "customdata": neuron_map, "zmin": -limit, "zmax": limit,
               "colorscale": theme.DIVERGING, "hoverongaps": False, "colorbar": COLORBAR | {"len": 0.7},
               "hovertemplate": f"neuron %{{customdata}}<br>{value_label} %{{z:.3g}}<extra></extra>"}
    shapes = []
    if selected is not None and selected in set(neurons.tolist()):
        shapes.append(tile_outline(int(np.flatnonzero(neurons == selected)[0]), columns))
    rows = image.shape[0] // (SIDE + TILE_GAP) + 1
    return figure_of([heatmap], image_layout(title, subtitle, height=height or min(560, 90 + rows * 70),
                                             shapes=shapes, **unseen_legend(fields)))


def tile_outline(position: int, columns: int) -> dict:
    """The highlight drawn around tile `position` of a mosaic with `columns` columns."""
    top, left = (position // columns) * (SIDE + TILE_GAP), (position % columns) * (SIDE + TILE_GAP)
    return {"type": "rect", "x0": left - 1, "x1": left + SIDE, "y0": top - 1, "y1": top + SIDE,
            "line": {"color": HIGHLIGHT, "width": 3}}


def neuron_at(click_data) -> int | None:
    """The neuron id under a click on a mosaic or a neuron bar chart (None for a gap or no click)."""
    try:
        value = click_data["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if value is not None and int(value) >= 0 else None


def signed_colours(values) -> list[str]:
    return [theme.POSITIVE if value >= 0 else theme.NEGATIVE for value in np.asarray(values)]


def neuron_bars(values, neurons, *, title: str, subtitle: str, highlight: int | None = None,
                highlight_label: str = "", value_label: str = "contribution",
                height: int = 300) -> go.Figure:
    """Per-neuron signed values, largest first; customdata holds the neuron id for click-through."""
    values = np.asarray(values, dtype=float)
    neurons = np.asarray(neurons, dtype=int)
    order = np.argsort(-values, kind="stable")
    values, neurons = values[order], neurons[order]
    labels = [f"n{neuron}" for neuron in neurons]
    outline = [HIGHLIGHT if neuron == highlight else "rgba(0,0,0,0)" for neuron in neurons]
    # customdata as a plain list: Plotly leaves a typed array out of a bar's click data.
    bars = {"type": "bar", "x": labels, "y": values, "customdata": neurons.tolist(),
            "marker": {"color": signed_colours(values), "line": {"color": outline, "width": 3}},
            "hovertemplate": f"neuron %{{customdata}}<br>{value_label} %{{y:.4g}}<br>click to open<extra></extra>"}
    annotations = []
    if highlight is not None and highlight in set(neurons.tolist()):
        position = int(np.flatnonzero(neurons == highlight)[0])
        annotations.append({"x": labels[position], "y": values[position], "text": highlight_label or f"n{highlight}",
                            "showarrow": True, "arrowhead": 2, "ax": 30, "ay": -30,
                            "font": {"color": HIGHLIGHT}, "bgcolor": "rgba(255,255,255,0.8)"})
    return figure_of([bars], chart_layout(
        title, subtitle, height=height, bargap=0.15, showlegend=False, annotations=annotations,
        hovermode="x",  # a click anywhere in a bar's column opens its neuron, however short the bar
        xaxis={"title": {"text": "neuron (sorted by value)"}, "showticklabels": len(labels) <= 40,
               "tickfont": {"size": 9}, "type": "category"},
        yaxis={"title": {"text": value_label}, "zeroline": True, "zerolinecolor": theme.MUTED}))


def probability_bars(probabilities, *, title: str, subtitle: str, selected: int | None = None,
                     true_label: int | None = None, height: int = 240) -> go.Figure:
    """Predicted probability per digit; the selected digit is highlighted, the true one named."""
    probabilities = np.asarray(probabilities, dtype=float)
    digits = list(range(len(probabilities)))
    colours = [HIGHLIGHT if digit == selected else theme.NEUTRAL for digit in digits]
    bars = {"type": "bar", "x": digits, "y": probabilities, "customdata": digits, "marker": {"color": colours},
            "hovertemplate": "digit %{x}<br>p = %{y:.3f}<extra></extra>"}
    # The true digit is named under its bar: an arrow above a bar near p = 1 would hit the title.
    ticks = [f"{digit}<br><b>true</b>" if digit == true_label else str(digit) for digit in digits]
    # A selected digit with p ≈ 0 has no visible bar: a tinted column marks it whatever its height.
    column = [] if selected is None else [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": selected - 0.5, "x1": selected + 0.5, "y0": 0, "y1": 1,
         "fillcolor": HIGHLIGHT, "opacity": 0.12, "line": {"width": 0}, "layer": "below"}]
    # Hovering (so clicking) by column: a near-zero bar is otherwise too thin to click.
    return figure_of([bars], chart_layout(
        title, subtitle, height=height, hovermode="x", shapes=column,
        xaxis={"tickmode": "array", "tickvals": digits, "ticktext": ticks, "tickangle": 0},
        yaxis={"title": {"text": "probability"}, "range": [0, 1.05]}))


def metric_curve(table, metric: str, current: int, *, marks: dict[int, str], title: str, subtitle: str,
                 value_label: str, height: int = 220) -> go.Figure:
    """`table[metric]` over snapshots, hovering `table["label"]`, ticked at the slider's `marks`;
    trace 1 and shape 0 mark the current snapshot (moved clientside). Values and labels come in
    one table, so they cannot disagree; marks beyond the table are left out."""
    values = np.asarray(table[metric], dtype=float)
    steps = list(range(len(values)))
    current = int(np.clip(current, 0, len(values) - 1))
    line = {"type": "scatter", "x": steps, "y": plain_list(values), "mode": "lines+markers",
            "customdata": list(table["label"]), "line": {"color": theme.NEUTRAL}, "marker": {"size": 4},
            "hovertemplate": "%{customdata}<br>" + value_label + " %{y:.3f}<extra></extra>"}
    marker = {"type": "scatter", "x": [current], "y": plain_list(values[current:current + 1]), "mode": "markers",
              "marker": {"size": 11, "color": HIGHLIGHT}, "hoverinfo": "skip"}
    shape = {"type": "line", "x0": current, "x1": current, "yref": "paper", "y0": 0, "y1": 1,
             "line": {"color": HIGHLIGHT, "width": 1, "dash": "dot"}}
    ticks = [index for index in sorted(marks) if index < len(values)]
    return figure_of([line, marker], chart_layout(
        title, subtitle, height=height, showlegend=False, shapes=[shape],
        xaxis={"title": {"text": "snapshot"}, "tickmode": "array", "tickvals": ticks,
               "ticktext": [marks[index] for index in ticks]},
        yaxis={"title": {"text": value_label}}))


def plain_list(values) -> list:
    """Floats as a JSON list with None for NaN, so browser code can read them without decoding."""
    return [None if not np.isfinite(value) else float(value) for value in np.asarray(values, dtype=float)]


def tick_positions(count: int, most: int = 6, among: list[int] | None = None) -> list[int]:
    """At most `most` evenly spread indices out of range(count) (or out of `among`, e.g. the epoch
    boundaries, when it has two or more), always including both ends of the range chosen from."""
    candidates = [index for index in among if index < count] if among is not None else []
    if len(candidates) < 2:
        candidates = list(range(count))
    if len(candidates) <= most:
        return candidates
    picks = np.linspace(0, len(candidates) - 1, most).round().astype(int)
    return sorted({candidates[pick] for pick in picks})


def class_means_figure(means, *, best_digit: int | None, selectivity: float, d_prime: float | None = None,
                       active_share: float | None = None, title: str = "Mean activation per class",
                       height: int = 230) -> go.Figure:
    """Class means μ_c over the probe set with the best digit highlighted and the SI named;
    best_digit None means no class stands out (a neuron silent on every probe digit)."""
    means = np.asarray(means, dtype=float)
    digits = list(range(len(means)))
    colours = [HIGHLIGHT if digit == best_digit else theme.NEUTRAL for digit in digits]
    if best_digit is None:
        subtitle = "no best digit (all class means equal)"
    else:
        subtitle = f"best digit {best_digit} · SI {selectivity:.2f}"
        if d_prime is not None:
            subtitle += f" · d′ {d_prime:.2f}"
    if active_share is not None:
        subtitle += f" · active on {active_share:.1%}"
    bars = {"type": "bar", "x": digits, "y": means, "marker": {"color": colours},
            "hovertemplate": "digit %{x}<br>mean activation %{y:.3f}<extra></extra>"}
    return figure_of([bars], chart_layout(
        title, subtitle, height=height, yaxis={"title": {"text": "mean activation"}},
        xaxis={"title": {"text": "digit class"}, "tickmode": "array", "tickvals": digits}))


def digit_gallery(images, captions, *, title: str, subtitle: str, columns: int | None = None,
                  height: int = 170) -> go.Figure:
    """Grey-scale probe digits in one heatmap, a caption under each."""
    images = np.asarray(images, dtype=np.float32).reshape(-1, SIDE, SIDE)
    columns = columns or max(1, len(images))
    image, _ = tile_fields(images, columns, gap=GALLERY_GAP)
    heatmap = {"type": "heatmap", "z": image, "zmin": 0, "zmax": 255, "colorscale": "Greys", "showscale": False,
               "hoverinfo": "skip"}
    pitch = SIDE + GALLERY_GAP
    annotations = [{"x": (index % columns) * pitch + SIDE / 2, "y": (index // columns) * pitch + SIDE + 1,
                    "text": caption, "showarrow": False, "yanchor": "top", "font": {"size": 10}}
                   for index, caption in enumerate(captions)]
    return figure_of([heatmap], image_layout(title, subtitle, height=height, bottom=24, annotations=annotations))


def digit_image(image, *, title: str, subtitle: str, height: int = 240) -> go.Figure:
    """One probe digit, grey scale, ink dark."""
    image = np.asarray(image, dtype=np.float32).reshape(SIDE, SIDE)
    heatmap = {"type": "heatmap", "z": image, "zmin": 0, "zmax": 255, "colorscale": "Greys", "showscale": False,
               "hovertemplate": "row %{y}, column %{x}<br>ink %{z:.0f}/255<extra></extra>"}
    return figure_of([heatmap], image_layout(title, subtitle, height=height))


def accuracy_before_after(before, after, *, overall_before: float, overall_after: float,
                          title: str, subtitle: str, height: int = 250) -> go.Figure:
    """Per-class accuracy before and after an ablation, as paired bars."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    digits = list(range(len(before)))
    # Ablating one neuron often moves accuracy by a point or two: write the change on each bar.
    changes = [f"{100 * (late - early):+.1f}" for early, late in zip(before, after)]
    traces = [
        {"type": "bar", "x": digits, "y": before, "name": f"before ({overall_before:.1%} overall)",
         "marker": {"color": theme.NEUTRAL}, "hovertemplate": "digit %{x}<br>before %{y:.1%}<extra></extra>"},
        {"type": "bar", "x": digits, "y": after, "name": f"after ({overall_after:.1%} overall)",
         "marker": {"color": HIGHLIGHT}, "text": changes, "textposition": "outside", "textfont": {"size": 10},
         "hovertemplate": "digit %{x}<br>after %{y:.1%} (%{text} points)<extra></extra>"},
    ]
    return figure_of(traces, chart_layout(
        title, f"{subtitle} · numbers: change in percentage points", height=height, barmode="group",
        legend={"orientation": "h", "y": -0.3, "x": 0}, margin={"l": 48, "r": 16, "t": 62, "b": 60},
        xaxis={"tickmode": "array", "tickvals": digits, "ticktext": [f"digit {d}" for d in digits]},
        yaxis={"title": {"text": "accuracy"}, "tickformat": ".0%", "range": [0, 1.15]}))


def activation_comparison(example, generalized, *, title: str, subtitle: str,
                          height: int = 220) -> go.Figure:
    """One example's activations per neuron beside its class's mean (the generalised digit)."""
    example, generalized = np.asarray(example, dtype=float), np.asarray(generalized, dtype=float)
    neurons = list(range(len(example)))
    traces = [
        {"type": "bar", "x": neurons, "y": example, "name": "this example", "marker": {"color": theme.NEUTRAL},
         "customdata": neurons, "hovertemplate": "neuron %{x}<br>activation %{y:.3f}<extra></extra>"},
        {"type": "scatter", "x": neurons, "y": generalized, "name": "generalised digit (class mean)",
         "mode": "markers",
         "marker": {"color": HIGHLIGHT, "size": 5, "symbol": "line-ew-open", "line": {"width": 2}},
         "hovertemplate": "neuron %{x}<br>class mean %{y:.3f}<extra></extra>"},
    ]
    # The caller's subtitle names both series; a legend would crowd a short chart.
    return figure_of(traces, chart_layout(title, subtitle, height=height, bargap=0.1, showlegend=False,
                                          xaxis={"title": {"text": "neuron"}},
                                          yaxis={"title": {"text": "activation"}}))

"""One run as a single HTML file that opens offline: `python -m app report RUN_ID -o report.html`
and the page's "download report".

Everything in it is drawn by the views' own builders from the views' own cached answers (the
training curves, the layer mosaic, the ranking's metrics and columns, the digit view's pixel
chain), so the report and the page cannot disagree. plotly.js is inlined; nothing is fetched.
Sections: training curves; each hidden layer's mosaic at the best snapshot; the ten most focused
neurons of the first layer (neurons the ranking hides at first, firing on < 1% of probe digits,
left out), each with a scrub that plays over every snapshot; the pixel chain of every digit; the
ranking table of each hidden layer.
"""
from __future__ import annotations

import html
import json
from datetime import datetime, timezone

import numpy as np
import plotly
import plotly.offline
from _plotly_utils.utils import to_typed_array_spec  # numpy → plotly.js's base64 typed arrays

from app import figures, theme
from app.runs import get_info
from app.views import computed, digit, layer, ranking, training

TOP_NEURONS = 10
FIGURES_START = "const figures = "  # the figures' JSON follows, up to ";\n"
SCRUB_FRAME_MS = 350
REPORT_CSS = f"""
body {{ font-family: {theme.FONT_FAMILY}; color: {theme.INK}; background: {theme.PAGE}; margin: 0; }}
main {{ max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }}
h1 {{ font-size: 24px; margin: 0 0 4px; }}
h2 {{ font-size: 18px; margin: 32px 0 6px; }}
p.note {{ color: {theme.MUTED}; font-size: 13px; margin: 2px 0 10px; }}
section {{ background: {theme.SURFACE}; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 8px; }}
table {{ border-collapse: collapse; font-size: 12.5px; width: 100%; }}
th, td {{ padding: 3px 8px; text-align: right; border-bottom: 1px solid {theme.GRID}; }}
th {{ position: sticky; top: 0; background: {theme.SURFACE}; cursor: help; }}
.scroll {{ max-height: 460px; overflow-y: auto; }}
"""


class Figures:
    """The report's figures, each given an element id, as Plotly JSON."""

    def __init__(self):
        self.items: list[tuple[str, dict]] = []

    def add(self, figure, frames: list | None = None) -> str:
        element = f"figure-{len(self.items)}"
        spec = computed.plain(figure)
        if frames:
            spec = spec | {"frames": frames}
        self.items.append((element, spec))
        return f'<div id="{element}"></div>'

    def script(self) -> str:
        specs = json.dumps({element: spec for element, spec in self.items}, cls=plotly.utils.PlotlyJSONEncoder
                           ).replace("</", "<\\/")  # no text can close the script
        return (f"{FIGURES_START}{specs};\n"
                "for (const [id, figure] of Object.entries(figures)) {\n"
                "  Plotly.newPlot(id, figure.data, figure.layout, {displayModeBar: false, responsive: true})\n"
                "    .then(gd => figure.frames ? Plotly.addFrames(gd, figure.frames) : gd);\n"
                "}\n")


def build_report(run_id: str) -> str:
    """The whole report of a run as it is now, as one HTML document."""
    info = get_info(run_id)
    run = computed.run_at(run_id, info.snapshot_count)
    if run.snapshot_count == 0:
        raise ValueError(f"run {run_id} has no snapshot yet")
    key = (run_id, run.snapshot_count)
    snapshot = run.default_snapshot
    plots = Figures()
    parts = [header(info, run, snapshot),
             section("Training", "Loss and accuracy per epoch; the star marks the best epoch.",
                     plots.add(training.training_curves_figure([training.curves_of(info)])))]
    for name in run.hidden_layers:
        figure, _ = layer.mosaic(*key, name, snapshot, "change", "tile", "focus")
        parts.append(section(f"Layer {name}", "Every neuron's learned change at the best snapshot, "
                             "each tile on its own scale, most focused first.", plots.add(figure)))
    parts.append(focused_neurons(plots, key, run, snapshot))
    parts.append(digit_chains(plots, key, run, snapshot))
    for name in run.hidden_layers:
        parts.append(ranking_table(key, run, name, snapshot))
    return page(f"Neuron Lens · {run_id}", "\n".join(parts), plots.script())


def header(info, run, snapshot: int) -> str:
    manifest = run.manifest
    accuracy = (manifest.get("test") or {}).get("accuracy")
    facts = [manifest.get("preset", "?"), (manifest.get("dataset") or {}).get("name", "?"), info.status,
             f"{len(run.history)} epochs", f"{run.snapshot_count} snapshots",
             f"best snapshot: {run.snapshot_labels[snapshot]}",
             "test accuracy " + ("–" if accuracy is None else f"{accuracy:.4f}")]
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<h1>{html.escape(run.run_id)}</h1><p class='note'>{html.escape(' · '.join(map(str, facts)))}"
            f" · report made {made} by Neuron Lens. Every number is defined in the project's "
            f"docs/interpretation.md.</p>")


def focused_neurons(plots: Figures, key, run, snapshot: int) -> str:
    first = run.hidden_layers[0]
    table = ranking.metrics_frame(*key, first, snapshot)
    taking_part = table[~(table["active_share"] < ranking.QUIET_SHARE)]
    top = taking_part.sort_values("focus", ascending=False, kind="stable").head(TOP_NEURONS)
    scrubs = [plots.add(*scrub(key, run, first, int(neuron), snapshot, focus))
              for neuron, focus in zip(top["neuron"], top["focus"])]
    left_out = len(table) - len(taking_part)
    note = (f"The learned change Δₜ = RFₜ − RF₀ of each, colour limits fixed over the scrub; press ▶ to "
            f"play it over all {run.snapshot_count} snapshots."
            + (f" {left_out} neurons firing on fewer than {ranking.QUIET_SHARE:.0%} of probe digits "
               f"are left out, as the ranking does at first." if left_out else ""))
    return section(f"The {len(scrubs)} most focused neurons of {first}", note,
                   f"<div class='grid'>{''.join(scrubs)}</div>")


def scrub(key, run, layer_name: str, neuron: int, snapshot: int, focus: float):
    """(figure at the best snapshot, frames) of one neuron's learned change over every snapshot."""
    fields = computed.unseen_as_nan(run, run.receptive_fields(layer_name, neuron, kind="change"))
    limit = figures.symmetric_limit(fields)
    labels = run.snapshot_labels
    title = f"{layer_name} · neuron {neuron}"

    def subtitle(label: str) -> str:
        return f"focus {focus:.3f} at {labels[snapshot]} · showing {label}"
    figure = computed.plain(figures.field_heatmap(fields[snapshot], limit=limit, height=330, colorbar_title=None,
                                                  title=title, subtitle=subtitle(labels[snapshot])))
    frames = [{"name": label, "data": [{"z": to_typed_array_spec(field.astype(np.float32))}], "traces": [0],
               "layout": {"title": figure["layout"]["title"] | figures.titled(title, subtitle(label))}}
              for label, field in zip(labels, fields)]
    ticked = set(figures.tick_positions(len(labels), 4))
    steps = [{"label": label if index in ticked else "", "method": "animate",
              "args": [[label], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                 "transition": {"duration": 0}}]} for index, label in enumerate(labels)]
    play = {"type": "buttons", "showactive": False, "x": 0, "y": -0.02, "xanchor": "left", "yanchor": "top",
            "pad": {"t": 0, "r": 6}, "buttons": [{
                "label": "▶", "method": "animate",
                "args": [None, {"frame": {"duration": SCRUB_FRAME_MS, "redraw": True}, "fromcurrent": True,
                                "transition": {"duration": 0}, "mode": "immediate"}]}]}
    slider = {"active": snapshot, "steps": steps, "x": 0.14, "len": 0.86, "y": 0, "yanchor": "top",
              "pad": {"t": 0, "b": 0}, "currentvalue": {"visible": False}, "ticklen": 0,
              "font": {"size": 9, "color": theme.MUTED}}
    figure["layout"] |= {"updatemenus": [play], "sliders": [slider], "height": 400,
                         "margin": {"l": 8, "r": 8, "t": 64, "b": 70}, "annotations": []}
    return figure, frames


def digit_chains(plots: Figures, key, run, snapshot: int) -> str:
    """The digit view's pixel map, weights only, for every digit."""
    chains = [plots.add(digit.digit_figures(*key, snapshot, value, "weights", 0)["pixels"]) for value in run.classes]
    return section("Digit chains", "How much each pixel moves each digit's logit through the whole network "
                   "(weights only, batch-norm folded in), at the best snapshot.",
                   f"<div class='grid'>{''.join(chains)}</div>")


def ranking_table(key, run, layer_name: str, snapshot: int) -> str:
    table = ranking.metrics_frame(*key, layer_name, snapshot)
    table = table.assign(quiet=table["active_share"] < ranking.QUIET_SHARE).sort_values(
        ["quiet", "focus"], ascending=[True, False], kind="stable")
    heads = "".join(f"<th title='{html.escape(column.definition)}'>{html.escape(column.header)}</th>"
                    for column in ranking.COLUMNS.values())
    rows = []
    for record in table[list(ranking.COLUMNS)].to_dict("records"):
        cells = "".join(f"<td>{shown(record[name], column)}</td>" for name, column in ranking.COLUMNS.items())
        rows.append(f"<tr>{cells}</tr>")
    return section(f"Ranking of {layer_name}", f"Every neuron at {run.snapshot_labels[snapshot]}, most focused "
                   f"first; neurons firing on fewer than {ranking.QUIET_SHARE:.0%} of probe digits come last. "
                   f"Hover a header for its definition.",
                   f"<div class='scroll'><table><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}"
                   f"</tbody></table></div>")


def shown(value, column) -> str:
    """A metric as the ranking grid shows it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if column.decimals is None:
        return str(int(value))
    if column.percent:
        return f"{100 * value:.{column.decimals}f}%"
    return f"{value:.{column.decimals}f}"


def section(title: str, note: str, body: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2><p class='note'>{html.escape(note)}</p>{body}</section>"


def page(title: str, body: str, script: str) -> str:
    plotly_js = plotly.offline.get_plotlyjs()
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<style>{REPORT_CSS}</style><script>{plotly_js}</script></head>"
            f"<body><main>{body}</main><script>{script}</script></body></html>")


def main(argv) -> int:
    """`python -m app report RUN_ID -o report.html [--data-dir DIR]`."""
    import argparse
    import os
    import sys
    from pathlib import Path

    from app.runs import RunUnavailable
    from app.server import DATA_DIR_ENV, create_app
    parser = argparse.ArgumentParser(prog="python -m app report",
                                     description="Write one run as a single HTML file that opens offline.")
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="where to write the report")
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_ENV, "data"),
                        help="folder holding runs/ (default: $NEURON_LENS_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    server = create_app(args.data_dir, allow_training=False).server
    try:
        with server.app_context():
            document = build_report(args.run_id)
    except (RunUnavailable, ValueError) as error:
        parser.error(str(error))
    try:
        args.output.write_text(document, encoding="utf-8")
    except OSError as error:
        print(f"python -m app report: error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"{args.output}: report of run {args.run_id}, {len(document.encode()) / 2**20:.1f} MB")
    return 0

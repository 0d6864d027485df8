"""Journey 5, rank neurons: one layer's neurons at one snapshot with every focus and selectivity
metric, sortable and filterable, a small field per row; clicking a row opens the neuron.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Input, Output, State, dash_table, dcc, html, no_update
from dash.dash_table.Format import Format, Scheme
from dash.exceptions import PreventUpdate

from app import figures, theme
from app.cache import cache
from app.urlstate import href
from app.views import computed, controls

VIEW = "ranking"
LABEL = "Ranking"
HINT = "A layer's neurons ranked by focus and selectivity; click a row to open one"

# column id → (header, definition shown as the header's tooltip)
COLUMNS = {
    "neuron": ("neuron", "The neuron's number in its layer."),
    "focus": ("focus", "Hoyer sparsity of |Δₜ| over live pixels: 0 = spread evenly, 1 = a single pixel."),
    "effective_pixels": ("effective pixels", "exp(−Σ p log p), p = |Δₜ| / Σ|Δₜ|: how many pixels it effectively looks at."),
    "top20_share": ("top-20 share", "Share of Σ|Δₜ| held by the 20 largest pixels."),
    "spread": ("spread (px)", "Radius of gyration of p on the 28×28 grid, in pixels: small = local."),
    "blobs": ("blobs", "Connected regions (8-connectivity) of pixels with |Δₜ| ≥ ½ max."),
    "si": ("selectivity", "Selectivity index (Morcos et al. 2018): (μ_max − μ_rest) / (μ_max + μ_rest) over the probe set."),
    "best_digit": ("best digit", "The class with the highest mean activation μ_c; blank when no class stands out (a dead neuron)."),
    "d_prime": ("d′", "d′ for the best digit: (μ_d − μ_¬d) / sqrt((σ²_d + σ²_¬d) / 2)."),
    "active_share": ("active", "ReLU layers: share of probe digits on which the activation is above zero; 0 = a dead neuron, whose weights only ever changed by the optimiser's momentum. Blank for sigmoid or tanh layers, which are never exactly silent."),
}
DECIMALS = {"focus": 3, "effective_pixels": 1, "top20_share": 3, "spread": 2, "si": 3, "d_prime": 2,
            "active_share": 4}
# A neuron that fires on almost no digit has barely learned: its Δₜ is mostly optimiser noise, which
# can look focused and top the ranking. Such neurons are filtered out at first (visibly, in the
# filter row), so the ranking opens on neurons that take part.
QUIET_SHARE = 0.01
QUIET_FILTER = f"{{active_share}} >= {QUIET_SHARE}"


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Layer", dcc.Dropdown(id="ranking-layer", clearable=False, style={"width": "140px"})]),
            html.Button("Download CSV", id="ranking-download-button", n_clicks=0, className="nl-button"),
            dcc.Download(id="ranking-download"),
        ]),
        html.Div(className="nl-scrubber", children=[
            html.Span("Snapshot", className="nl-caption"),
            html.Div(dcc.Slider(id="ranking-snapshot", min=0, max=0, step=1, value=0, marks=None,
                                allow_direct_input=False), className="nl-slider"),
        ]),
        html.P(id="ranking-caption", className="nl-caption"),
        dash_table.DataTable(
            id="ranking-table", sort_action="native", filter_action="native", page_action="native",
            page_size=10, sort_by=[{"column_id": "focus", "direction": "desc"}],
            markdown_options={"html": True}, cell_selectable=True,
            columns=[{"id": "field", "name": "field", "presentation": "markdown"}]
            + [{"id": key, "name": header, "type": "numeric"} | column_format(key)
               for key, (header, _) in COLUMNS.items()],
            tooltip_header={key: definition for key, (_, definition) in COLUMNS.items()},
            tooltip_delay=300, tooltip_duration=None,
            style_table={"overflowX": "auto"}, css=[{"selector": ".dash-spreadsheet td", "rule": "cursor: pointer"},
                                                      {"selector": ".dash-cell-value p", "rule": "margin: 0"},
                                                      {"selector": "th.dash-filter[data-dash-column='field'] input",
                                                       "rule": "display: none"},
                                                      # thumbnails have no order: no sort arrow crowding the header
                                                      {"selector": "th[data-dash-column='field'] .column-header--sort",
                                                       "rule": "display: none"}],
            style_cell={"fontFamily": theme.FONT_FAMILY, "fontSize": "13px", "padding": "2px 10px", "textAlign": "right"},
            style_header={"fontWeight": "600", "backgroundColor": "#f5f7fa"},
            style_cell_conditional=[{"if": {"column_id": "field"}, "width": "56px", "textAlign": "center"}],
            style_data_conditional=[{"if": {"state": "active"}, "backgroundColor": "#fff3e0", "border": "1px solid #e07b00"}],
        ),
        dcc.Store(id="ranking-filtered-for"),
    ], className="nl-ranking-table")


def column_format(key: str) -> dict:
    return {"format": Format(precision=1, scheme=Scheme.percentage)} if key == "active_share" else {}


def active(state) -> bool:
    return controls.showing(state, VIEW)


def metrics_frame(run_id: str, snapshot_count: int, layer: str, snapshot: int) -> pd.DataFrame:
    """Every metric of every neuron of a layer at one snapshot, one row per neuron."""
    focus = computed.focus_table(run_id, snapshot_count, layer, snapshot)
    selective = computed.selectivity(run_id, snapshot_count, layer, snapshot)[["si", "best_digit", "d_prime",
                                                                                   "active_share"]]
    frame = pd.concat([focus.reset_index(drop=True), selective.reset_index(drop=True)], axis=1)
    frame.insert(0, "neuron", np.arange(len(frame)))
    return frame


@cache.memoize()
def table_rows(run_id: str, snapshot_count: int, layer: str, snapshot: int) -> list[dict]:
    """The table's rows: rounded metrics (None for undefined) and a thumbnail of each learned change."""
    frame = metrics_frame(run_id, snapshot_count, layer, snapshot)
    fields = computed.layer_fields(run_id, snapshot_count, layer, snapshot, "change")
    rows = []
    for record, thumbnail in zip(frame.to_dict("records"), figures.field_thumbnails(fields)):
        row = {key: (None if isinstance(value, float) and np.isnan(value) else
                     round(value, DECIMALS[key]) if key in DECIMALS else int(value))
               for key, value in record.items()}
        row["field"] = f"<img src='{thumbnail}' alt='field of neuron {row['neuron']}'>"
        row["id"] = row["neuron"]
        rows.append(row)
    return rows


def quiet_neurons(rows: list[dict]) -> int | None:
    """How many neurons fire on fewer than QUIET_SHARE of the probe digits; None when the layer's
    activation is never exactly silent (sigmoid, tanh), so the share says nothing."""
    shares = [row["active_share"] for row in rows if row["active_share"] is not None]
    return sum(share < QUIET_SHARE for share in shares) if shares else None


def caption_of(run, state: dict, quiet: int | None) -> str:
    labels = run.snapshot_labels
    caption = (f"{run.units(state['layer'])} neurons of {state['layer']} at {labels[state['snapshot']]}. "
               "Focus metrics are computed on the learned change Δₜ = RFₜ − RF₀ over live pixels "
               "(deeper layers: expanded weights); selectivity over the probe set. Hover a header for its "
               "definition; click a row to open the neuron; type in the filter row, e.g. > 0.5.")
    if quiet:
        caption += (f" {quiet} of them fire on fewer than {QUIET_SHARE:.0%} of probe digits (dead or nearly): "
                    f"the filter ≥ {QUIET_SHARE} under “active” hides them at first; clear it to see them.")
    if state["snapshot"] == 0:
        caption += " At init nothing has changed yet, so the focus metrics are empty."
    return caption


def register(app):
    controls.register_waiting(app, VIEW)

    @app.callback(Output("ranking-table", "data"), Output("ranking-caption", "children"),
                  Output("ranking-layer", "options"), Output("ranking-layer", "value"),
                  Output("ranking-snapshot", "max"), Output("ranking-snapshot", "marks"),
                  Output("ranking-snapshot", "value"),
                  Output("ranking-table", "filter_query"), Output("ranking-filtered-for", "data"),
                  Input("state", "data"), State("ranking-snapshot", "value"), State("ranking-filtered-for", "data"))
    def render(state, slider_value, filtered_for):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        count, snapshot = state["snapshot_count"], state["snapshot"]
        rows = table_rows(*computed.key_of(state), state["layer"], snapshot)
        quiet = quiet_neurons(rows)
        marks = controls.snapshot_marks(run.snapshot_labels[:count], controls.finished_best(state, run))
        # The default filter is set when a layer is first shown; after that the filter row is the user's.
        layer_key = f"{state['run']}|{state['layer']}"
        filter_query = no_update if layer_key == filtered_for else (QUIET_FILTER if quiet is not None else "")
        return (rows, caption_of(run, state, quiet), run.hidden_layers, state["layer"], max(count - 1, 0), marks,
                no_update if snapshot == slider_value else snapshot, filter_query, layer_key)

    @app.callback(Output("url", "search", allow_duplicate=True), Output("ranking-table", "active_cell"),
                  Input("ranking-table", "active_cell"), State("state", "data"), prevent_initial_call=True)
    def open_neuron(cell, state):
        """Open the clicked row's neuron and let go of the cell: a cell left active would ignore
        the next click on it (after the back button, say)."""
        if not cell or cell.get("row_id") is None or not active(state):
            raise PreventUpdate
        return href(state, view="neuron", neuron=int(cell["row_id"])), None

    controls.register_layer_snapshot_picker(app, VIEW)

    @app.callback(Output("ranking-download", "data"), Input("ranking-download-button", "n_clicks"),
                  State("state", "data"), prevent_initial_call=True)
    def download(clicks, state):
        if not clicks or not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        label = run.snapshot_labels[state["snapshot"]].replace(" ", "-")
        name = f"{state['run']}-{state['layer']}-{label}-neurons.csv"
        return dcc.send_data_frame(metrics_frame(*computed.key_of(state), state["layer"], state["snapshot"]).to_csv, name, index=False)

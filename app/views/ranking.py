"""Journey 5, rank neurons: one layer's neurons at one snapshot with every focus and selectivity
metric in a Dash AG Grid, sortable and filterable, a small field per row; clicking a row opens the
neuron.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import dash_ag_grid as dag
import numpy as np
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from app import images
from app.urlstate import href
from app.views import computed, controls
from app.views import ranking_importance
from neurons import selectivity

VIEW = "ranking"
LABEL = "Ranking"
HINT = "A layer's neurons ranked by focus and selectivity; click a row to open one"


@dataclass(frozen=True)
class Column:
    """One metric column: its header, its definition (the header's tooltip, from
    docs/interpretation.md) and how its numbers are shown: with `decimals` places (None: a whole
    number), as a percentage when `percent`; such a column is also filtered in percent, as it reads."""
    header: str
    definition: str
    decimals: int | None = None
    percent: bool = False

    @property
    def places(self) -> int:
        """Decimal places of the value itself (a percentage shows two fewer)."""
        return self.decimals + 2 if self.percent else self.decimals


# The metric columns in display order, after the field thumbnail: adding a metric is adding a line.
COLUMNS = {
    "neuron": Column("neuron", "The neuron's number in its layer."),
    "focus": Column("focus", "Hoyer sparsity of |Δₜ| over live pixels: 0 = spread evenly, 1 = a single pixel.", 3),
    "focus_z": Column("focus above noise", "z = (focus − its noise baseline's mean) / its sd: Gaussian noise on the "
                      "live pixels for Δₜ, the neuron's own activations shuffled across digits for the "
                      "responds-to picture. ≥ 3: clear of noise.", 1),
    "effective_pixels": Column("effective pixels", "exp(−Σ p log p), p = |Δₜ| / Σ|Δₜ|: how many pixels it "
                               "effectively looks at.", 1),
    "top20_share": Column("top-20 share", "Share of Σ|Δₜ| held by the 20 largest pixels.", 3),
    "spread": Column("spread (px)", "Radius of gyration of p on the 28×28 grid, in pixels: small = local.", 2),
    "blobs": Column("blobs", "Connected regions (8-connectivity) of pixels with |Δₜ| ≥ ½ max."),
    "si": Column("selectivity", "Selectivity index (Morcos et al. 2018): (μ_max − μ_rest) / (μ_max + μ_rest) "
                 "over the probe set.", 3),
    "best_digit": Column("best digit", "The class with the highest mean activation μ_c; blank when no class "
                         "stands out (a dead neuron)."),
    "d_prime": Column("d′", "d′ for the best digit: (μ_d − μ_¬d) / sqrt((σ²_d + σ²_¬d) / 2).", 2),
    "active_share": Column("active", "ReLU layers: share of probe digits on which the activation is above zero; "
                           "0 = a dead neuron, whose weights only ever changed by the optimiser's momentum. Blank "
                           "for sigmoid or tanh layers, which are never exactly silent.", 1, percent=True),
    "importance": Column("accuracy drop", "Importance: the probe accuracy drop when this neuron alone is "
                         "mean-ablated (its activation replaced by its probe-set mean).", 1, percent=True),
}
# The core's per-neuron tables (computed functions of run id, snapshot count, layer, snapshot) that
# hold the COLUMNS; a metric from another table adds its table here.
METRIC_TABLES = (computed.selectivity, ranking_importance.importance_table)
FIELD_DEFINITION = ("The learned change Δₜ = RFₜ − RF₀ of the neuron's receptive field, each on its own "
                    "symmetric scale: red up, blue down; grey: pixels never inked in training.")
DEFAULT_SORT = "focus"
PAGE_SIZE = 10
ROW_HEIGHT = 44  # a 38-pixel thumbnail and its margin
HEADER_HEIGHT = 50  # two lines of a wrapped header, fixed: a header that grew with a sort arrow would
# shrink the rows' viewport, bring up a scroll bar and re-lay every column
FILTER_ROW_HEIGHT = 36
GRID_HEIGHT = HEADER_HEIGHT + FILTER_ROW_HEIGHT + PAGE_SIZE * ROW_HEIGHT + 50  # and the pager, borders
# A neuron that fires on almost no digit has barely learned: its Δₜ is mostly optimiser noise, which
# can look focused and top the ranking. Such neurons are filtered out at first (visibly, in the
# filter row), so the ranking opens on neurons that take part.
QUIET_SHARE = selectivity.QUIET_SHARE
QUIET_FILTER = {"active_share": {"filterType": "number", "type": "greaterThanOrEqual", "filter": QUIET_SHARE * 100}}


def layout():
    return controls.view_frame(VIEW, body())


def body():
    return html.Div(children=[
        html.Div(className="nl-controls", children=[
            html.Label(["Layer", dcc.Dropdown(id="ranking-layer", clearable=False, style={"width": "140px"})]),
            ranking_importance.basis_control(),
            html.Button("Download CSV", id="ranking-download-button", n_clicks=0, className="nl-button"),
            dcc.Download(id="ranking-download"),
        ]),
        html.Div(className="nl-scrubber", children=[
            html.Span("Snapshot", className="nl-caption"),
            html.Div(dcc.Slider(id="ranking-snapshot", min=0, max=0, step=1, value=0, marks=None,
                                allow_direct_input=False), className="nl-slider"),
        ]),
        html.P(id="ranking-caption", className="nl-caption"),
        dag.AgGrid(
            id="ranking-table", className="nl-grid", columnDefs=column_defs(), rowData=[],
            getRowId="params.data.id",
            defaultColDef={"flex": 1, "sortable": True, "resizable": True, "filter": "agNumberColumnFilter",
                           "filterParams": {"inRangeInclusive": True},
                           "floatingFilter": True, "floatingFilterComponent": "ComparisonFilter",
                           "suppressFloatingFilterButton": True, "suppressHeaderFilterButton": True,
                           "suppressHeaderMenuButton": True, "type": "numericColumn",
                           "sortingOrder": ["desc", "asc", None]},
            # A fixed height that fits one page of PAGE_SIZE rows: a longer page scrolls inside the
            # grid, which then draws only the rows in view (1,024 rows stay smooth).
            style={"height": f"{GRID_HEIGHT}px"},
            dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE,
                             "paginationPageSizeSelector": [PAGE_SIZE, 25, 50, 100], "rowHeight": ROW_HEIGHT,
                             "headerHeight": HEADER_HEIGHT, "floatingFiltersHeight": FILTER_ROW_HEIGHT,
                             "enableFilterHandlers": True, "tooltipShowDelay": 300, "suppressCellFocus": True,
                             "animateRows": False},
        ),
        dcc.Store(id="ranking-filtered-for"),
        ranking_importance.panels(),
    ], className="nl-ranking-table")


def column_defs() -> list[dict]:
    """The grid's columns: the field thumbnail, then one per entry of COLUMNS."""
    field = {"field": "field", "headerName": "field", "headerTooltip": FIELD_DEFINITION,
             "cellRenderer": "FieldThumbnail", "sortable": False, "filter": False, "resizable": False,
             "type": None, "flex": None, "width": 64, "cellClass": "nl-grid-thumbnail"}
    return [field] + [column_def(key, column) for key, column in COLUMNS.items()]


def column_def(key: str, column: Column) -> dict:
    decimals = "null" if column.decimals is None else column.decimals
    percent = "true" if column.percent else "false"
    definition = {"field": key, "headerName": column.header, "headerTooltip": column.definition, "minWidth": 80,
                  "valueFormatter": {"function": f"rankingNumber(params.value, {decimals}, {percent})"},
                  "wrapHeaderText": True}
    if column.percent:
        definition |= {"filterValueGetter": {"function": f"rankingPercent(params.data.{key})"},
                       "floatingFilterComponentParams": {"unit": "%"}}
    if key == DEFAULT_SORT:
        definition["sort"] = "desc"
    return definition


def active(state) -> bool:
    return controls.showing(state, VIEW)


def metrics_frame(run_id: str, snapshot_count: int, layer: str, snapshot: int, basis: str = "change") -> pd.DataFrame:
    """The COLUMNS of every neuron of a layer at one snapshot, one row per neuron, gathered from
    the core's per-neuron tables (METRIC_TABLES, and the focus metrics on `basis`)."""
    tables = [ranking_importance.focus_table(run_id, snapshot_count, layer, snapshot, basis).reset_index(drop=True)]
    tables += [table(run_id, snapshot_count, layer, snapshot).reset_index(drop=True) for table in METRIC_TABLES]
    frame = pd.concat(tables, axis=1)
    frame.insert(0, "neuron", np.arange(len(frame)))
    return frame[list(COLUMNS)]


def grid_rows(frame: pd.DataFrame, thumbnails: list[str]) -> list[dict]:
    """One grid row per neuron of a `metrics_frame`: its metrics rounded to the places shown, so
    that sorting and filtering agree with what the grid shows (None where undefined, e.g. no best
    digit), its field thumbnail (a PNG data URI) and its row id."""
    rows = []
    for record, thumbnail in zip(frame.to_dict("records"), thumbnails):
        row = {key: (None if isinstance(value, float) and np.isnan(value) else
                     int(value) if COLUMNS[key].decimals is None else round(value, COLUMNS[key].places))
               for key, value in record.items()}
        rows.append(row | {"field": thumbnail, "id": str(row["neuron"])})  # AG Grid's row ids are strings
    return rows


@computed.per_run
def table_rows(run_id: str, snapshot_count: int, layer: str, snapshot: int, basis: str) -> list[dict]:
    """The grid's rows for a layer at one snapshot, a thumbnail of each neuron's basis picture included."""
    fields = ranking_importance.basis_fields(run_id, snapshot_count, layer, snapshot, basis)
    return grid_rows(metrics_frame(run_id, snapshot_count, layer, snapshot, basis), images.field_thumbnails(fields))


def quiet_neurons(rows: list[dict]) -> int | None:
    """How many neurons fire on fewer than QUIET_SHARE of the probe digits; None when the layer's
    activation is never exactly silent (sigmoid, tanh), so the share says nothing."""
    shares = [row["active_share"] for row in rows if row["active_share"] is not None]
    return sum(share < QUIET_SHARE for share in shares) if shares else None


def caption_of(run, state: dict, quiet: int | None) -> str:
    labels = run.snapshot_labels
    caption = (f"{run.units(state['layer'])} neurons of {state['layer']} at {labels[state['snapshot']]}. "
               f"Focus metrics are computed on the {ranking_importance.BASES[state['basis']]} over live pixels "
               "(learned change of deeper layers: of expanded weights); selectivity and importance over the "
               "probe set. Hover a header for its "
               "definition; click a row to open the neuron; type in the filter row under a header, "
               "e.g. > 0.5, ≤ 3 or 0.2 to 0.4.")
    if quiet:
        caption += (f" {quiet} of them fire on fewer than {QUIET_SHARE:.0%} of probe digits (dead or nearly): "
                    f"the filter ≥ {QUIET_SHARE:.0%} under “active” hides them at first; clear it to see them.")
    if state["snapshot"] == 0:
        caption += " At init nothing has changed yet, so the focus metrics are empty."
    return caption


def csv_name(run_id: str, layer: str, label: str) -> str:
    """The download's file name: letters, digits, '.', '_' and '-' only (a label such as
    'epoch 2 · step 50' becomes 'epoch-2-step-50')."""
    return "-".join(re.sub(r"[^A-Za-z0-9._]+", "-", part).strip("-") for part in (run_id, layer, label, "neurons")) + ".csv"


def register(app):
    controls.register_waiting(app, VIEW)
    ranking_importance.register(app, active)

    @app.callback(Output("ranking-table", "rowData"), Output("ranking-caption", "children"),
                  Output("ranking-layer", "options"), Output("ranking-layer", "value"),
                  Output("ranking-snapshot", "max"), Output("ranking-snapshot", "marks"),
                  Output("ranking-snapshot", "value"),
                  Output("ranking-table", "filterModel"), Output("ranking-filtered-for", "data"),
                  Input("state", "data"), State("ranking-snapshot", "value"), State("ranking-filtered-for", "data"))
    def render(state, slider_value, filtered_for):
        if not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        count, snapshot = run.snapshot_count, state["snapshot"]
        rows = table_rows(*computed.key_of(state), state["layer"], snapshot, state["basis"])
        quiet = quiet_neurons(rows)
        marks = controls.run_marks(run)
        # The default filter is set when a layer is first shown; after that the filter row is the user's.
        shown_layer = [state["run"], state["layer"]]
        filter_model = no_update if shown_layer == filtered_for else (QUIET_FILTER if quiet is not None else {})
        noise = ranking_importance.noise_caption(
            ranking_importance.focus_table(*computed.key_of(state), state["layer"], snapshot, state["basis"]), state["basis"])
        return (rows, f"{caption_of(run, state, quiet)} {noise}", run.hidden_layers, state["layer"], max(count - 1, 0), marks,
                no_update if snapshot == slider_value else snapshot, filter_model, shown_layer)

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input("ranking-table", "cellClicked"), State("state", "data"), prevent_initial_call=True)
    def open_neuron(cell, state):
        """Open the clicked row's neuron (each click is new to Dash: it carries its own timestamp)."""
        if not cell or cell.get("rowId") is None or not active(state):
            raise PreventUpdate
        return href(state, view="neuron", neuron=int(cell["rowId"]))

    controls.register_layer_snapshot_picker(app, VIEW)

    @app.callback(Output("ranking-download", "data"), Input("ranking-download-button", "n_clicks"),
                  State("state", "data"), prevent_initial_call=True)
    def download(clicks, state):
        """Every neuron of the layer, unrounded, whatever the grid's filter hides."""
        if not clicks or not active(state):
            raise PreventUpdate
        run = computed.run_of(state)
        name = csv_name(state["run"], state["layer"], run.snapshot_labels[state["snapshot"]])
        return dcc.send_data_frame(metrics_frame(*computed.key_of(state), state["layer"], state["snapshot"],
                                                 state["basis"]).to_csv,
                                   name, index=False)

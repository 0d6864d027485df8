"""Browser-side filter and sort latency of the ranking grid on a 1,024-neuron layer (target: p95 ≤ 100 ms).

Serves the dashboard on a synthetic run whose first hidden layer has 1,024 neurons (64 of them never
fire, so the default dead-neuron filter has work to do), opens the ranking view in headless
Chromium and, in the page, reads performance.now() when a key goes down in a filter box or a column
header is clicked (the click event: a sort starts on release), and again once the grid has
re-filtered or re-sorted (AG Grid's
modelUpdated), its first shown row on the page shows the row the grid's model puts first, and the
browser has painted: one round trip of a user's filter or sort, everything included. Beside it, the
CPU time the page's main thread spent a step, which other load on the machine hardly changes.

Cases: typing in the focus filter (each key changes the filter: backspace, then a digit), and
clicking column headers, each with 10 and with 100 rows a page. Afterwards the grid must hold the
rows the last filter keeps and show the largest value of the last sorted column first, or the
benchmark fails.

    python -m bench.ranking_latency [--steps 40] [--port 8138]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app.views import ranking
from bench.app_latency import percentile
from bench.browser import browser, serve, text_of, wait_until

TARGET_MS = 100.0
RUN_ID = "ranking-bench"
UNITS = 1024
SILENT = tuple(range(0, UNITS, 16))
SORTED_COLUMNS = ["si", "d_prime", "effective_pixels", "top20_share", "spread", "blobs", "focus"]
INSTRUMENT = """
const api = dash_ag_grid.getApi('ranking-table');
window.__grid = {start: null, samples: [], waiting: null};
const begin = () => { window.__grid.start = performance.now(); };
document.addEventListener('keydown', begin, true);
document.addEventListener('click', begin, true);
const grid = document.getElementById('ranking-table');
function shown() {
    const first = api.paginationGetCurrentPage() * api.paginationGetPageSize();
    const node = api.getDisplayedRowAtIndex(first);
    if (!node) return grid.querySelector('.ag-center-cols-container .ag-row') === null;
    const cell = grid.querySelector(`.ag-row[row-index='${first}'] [col-id='neuron']`);
    return cell !== null && cell.textContent === String(node.data.neuron);
}
function finish() {
    if (!shown()) { requestAnimationFrame(finish); return; }
    // The frame after the one that shows it: the browser has painted the new rows by then.
    requestAnimationFrame(() => setTimeout(() => {
        const timing = window.__grid;
        if (timing.start !== null) { timing.samples.push(performance.now() - timing.start); timing.start = null; }
        if (timing.waiting) { timing.waiting(); timing.waiting = null; }
    }, 0));
}
api.addEventListener('modelUpdated', () => requestAnimationFrame(finish));
"""
# Waits in the page, not by polling from here: a WebDriver command runs on the page's main thread
# and would slow the very redraw being timed.
WAIT_FOR_SAMPLE = """const [count, done] = arguments;
if (window.__grid.samples.length > count) done(); else window.__grid.waiting = done;"""
GRID = "return dash_ag_grid.getApi('ranking-table')"  # the page's grid, for reading its model


def samples_of(driver) -> list[float]:
    return driver.execute_script("return window.__grid.samples;")


def timed(driver, action, settle: float = 0.0) -> None:
    """Do one user action and wait until the page has timed it (and `settle` seconds more, for an
    action of several keys)."""
    before = len(samples_of(driver))
    action()
    driver.execute_async_script(WAIT_FOR_SAMPLE, before)
    time.sleep(settle)


def page_cpu(driver) -> float:
    """Milliseconds of CPU the page's main thread has used so far, WebDriver's own commands left out:
    unlike the round trip, this hardly grows when other programs load the machine."""
    metrics = {metric["name"]: metric["value"]
               for metric in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    return 1000 * (metrics["ThreadTime"] - metrics["DevToolsCommandDuration"])


def filter_steps(driver, steps: int) -> tuple[list[float], float, float]:
    """Type in the focus filter, one key a step, each changing the filter; the milliseconds per
    step, the page's CPU milliseconds per step and the threshold the box ends on."""
    box = driver.find_element(By.CSS_SELECTOR, "#ranking-table .ag-floating-filter[col-id='focus'] input")
    box.click()
    timed(driver, lambda: box.send_keys(">0.1"), settle=0.5)
    first, cpu = len(samples_of(driver)), page_cpu(driver)
    digit = 1
    for step in range(steps):
        if step % 2 == 0:
            timed(driver, lambda: box.send_keys(Keys.BACKSPACE))  # ">0.3" -> ">0.": focus > 0
        else:
            digit = digit % 5 + 1
            timed(driver, lambda: box.send_keys(str(digit)))
    cpu = (page_cpu(driver) - cpu) / steps
    return samples_of(driver)[first:], cpu, float(box.get_attribute("value").lstrip(">"))


def clear_filter(driver) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "#ranking-table .ag-floating-filter[col-id='focus'] input")
    box.send_keys(Keys.CONTROL + "a")
    timed(driver, lambda: box.send_keys(Keys.BACKSPACE))


def sort_steps(driver, steps: int) -> tuple[list[float], float, str]:
    """Click column headers, a new one each step (each sorts highest first); the milliseconds per
    step, the page's CPU milliseconds per step and the column sorted last."""
    first, cpu = len(samples_of(driver)), page_cpu(driver)
    for step in range(steps):
        column = SORTED_COLUMNS[step % len(SORTED_COLUMNS)]
        header = driver.find_element(By.CSS_SELECTOR, f"#ranking-table .ag-header-cell[col-id='{column}'] "
                                                      ".ag-header-cell-label")
        timed(driver, header.click)
    return samples_of(driver)[first:], (page_cpu(driver) - cpu) / steps, column


def report(name: str, samples: list[float], cpu: float) -> bool:
    p95 = percentile(samples, 0.95)
    verdict = p95 <= TARGET_MS
    print(f"{name:<26} n {len(samples):>3}  median {statistics.median(samples):6.1f} ms  p95 {p95:6.1f} ms  "
          f"max {max(samples):6.1f} ms  p95/target {p95 / TARGET_MS:4.2f}  {'OK' if verdict else 'OVER TARGET'}  "
          f"(page CPU {cpu:5.1f} ms a step)")
    return verdict


def shown_table(table):
    """The metrics as the grid holds them (rounded to the places shown), default filter applied."""
    rounded = table.round({key: column.places for key, column in ranking.COLUMNS.items() if column.decimals})
    return rounded[rounded["active_share"] >= ranking.QUIET_SHARE]


def rows_right(driver, table, threshold: float) -> bool:
    expected = int((shown_table(table)["focus"] > threshold).sum())
    return driver.execute_script(f"{GRID}.getDisplayedRowCount();") == expected


def order_right(driver, table, column: str) -> bool:
    first = driver.execute_script(f"{GRID}.getDisplayedRowAtIndex(0).data[arguments[0]];", column)
    return bool(np.isclose(first, shown_table(table)[column].max()))


def loads() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def run_benchmark(data_dir: Path, port: int, steps: int) -> bool:
    from neurons import open_run

    run = open_run(data_dir / "runs" / RUN_ID)
    snapshot = run.snapshot_count - 1
    table = run.focus_table("dense_1", snapshot).join(run.selectivity("dense_1", snapshot))
    server = serve(data_dir, port)
    driver = browser()
    try:
        driver.get(f"http://127.0.0.1:{port}/?run={RUN_ID}&view=ranking&layer=dense_1&snapshot={snapshot}")
        wait_until(lambda: f"{UNITS} neurons of dense_1" in text_of(driver, "ranking-caption"), timeout=120)
        wait_until(lambda: driver.execute_script(f"{GRID}.getDisplayedRowCount();") == len(shown_table(table)))
        driver.execute_script(INSTRUMENT)
        driver.set_script_timeout(10)
        driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
        print(f"run {RUN_ID}: layer dense_1 with {UNITS} neurons ({len(SILENT)} silent, filtered out at first); "
              f"Chromium headless, {steps} steps a case; load average {loads()}")
        verdicts = []
        for page_size in (10, 100):
            driver.execute_script(f"{GRID}.setGridOption('paginationPageSize', arguments[0]);", page_size)
            samples, cpu, threshold = filter_steps(driver, steps)
            verdicts.append(report(f"filter, {page_size} rows a page", samples, cpu))
            verdicts.append(rows_right(driver, table, threshold))
            clear_filter(driver)
            samples, cpu, column = sort_steps(driver, steps)
            verdicts.append(report(f"sort, {page_size} rows a page", samples, cpu))
            verdicts.append(order_right(driver, table, column))
        print("grid after the steps:", "the expected rows and order" if all(verdicts[1::2]) else "WRONG ROWS OR ORDER")
        print(f"load average after: {loads()}")
        return all(verdicts)
    finally:
        driver.quit()
        server.shutdown()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ranking_latency", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="filter keys and sort clicks per case")
    parser.add_argument("--port", type=int, default=8138)
    args = parser.parse_args(argv)
    from tests.helpers.runs import write_synthetic_run

    with tempfile.TemporaryDirectory() as folder:
        write_synthetic_run(folder, RUN_ID, units=(UNITS, 64), snapshots=3, probe_size=1000, batchnorm=False,
                            silent=SILENT)
        return 0 if run_benchmark(Path(folder), args.port, args.steps) else 1


if __name__ == "__main__":
    sys.exit(main())

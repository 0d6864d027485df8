"""Browser-side scrub latency of the neuron view (target: ≤ 30 ms per step).

Serves the dashboard on a run with many snapshots, opens the neuron view in headless Chromium and
steps the snapshot slider with the keyboard. Inside the page, performance.now() is read when the
key goes down and again when Plotly has redrawn the field (plotly_afterplot); the difference is
one step's latency, everything included: the slider's own update, the page's redraw, Plotly.
After the steps the field must show the snapshot the slider names, or the benchmark fails.

    python -m bench.scrub_latency                      # synthetic 128-64 run, 100 snapshots
    python -m bench.scrub_latency --run-dir data/runs/ID
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench.browser import browser, serve, text_of, wait_until

TARGET_MS = 30.0
FIELD = "#neuron-field .js-plotly-plot"
INSTRUMENT = """
window.__scrub = {start: null, samples: []};
document.addEventListener('keydown', () => { window.__scrub.start = performance.now(); }, true);
document.querySelector(arguments[0]).on('plotly_afterplot', () => {
    const scrub = window.__scrub;
    if (scrub.start !== null) { scrub.samples.push(performance.now() - scrub.start); scrub.start = null; }
});
"""


def measure(driver, steps: int, key) -> list[float]:
    """Press `key` on the slider `steps` times, one redraw at a time; milliseconds per step."""
    driver.execute_script(INSTRUMENT, FIELD)
    handle = driver.find_element(By.CSS_SELECTOR, '#neuron-slider [role="slider"]')
    for step in range(steps):
        handle.send_keys(key)
        wait_until(lambda: driver.execute_script("return window.__scrub.samples.length;") > step, timeout=10)
    return driver.execute_script("return window.__scrub.samples;")


def shows(driver, expected) -> bool:
    """Whether the field plot shows `expected` (a 28×28 array): fast must also be right."""
    shown = np.array(driver.execute_script(f"return document.querySelector('{FIELD}').data[0].z;"), dtype=float)
    return shown.shape == expected.shape and bool(np.allclose(shown, expected, atol=1e-6, equal_nan=True))


def report(name: str, samples: list[float]) -> bool:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    verdict = p95 <= TARGET_MS
    print(f"{name:<38} steps {len(samples):>3}  median {statistics.median(samples):6.1f} ms  "
          f"p95 {p95:6.1f} ms  max {max(samples):6.1f} ms  p95/target {p95 / TARGET_MS:4.2f}  "
          f"{'OK' if verdict else 'OVER TARGET'}")
    return verdict


def run_benchmark(data_dir: Path, run_id: str, port: int, steps: int) -> bool:
    from neurons import open_run

    run = open_run(data_dir / "runs" / run_id)
    server = serve(data_dir, port)
    driver = browser()
    try:
        layer = run.hidden_layers[0]
        last = run.snapshot_count - 1
        # A finished run opens on its best snapshot; the steps start from the last one.
        driver.get(f"http://127.0.0.1:{port}/?run={run_id}&view=neuron&layer={layer}&neuron=0&snapshot={last}")
        wait_until(lambda: f"Snapshot {last} of 0–{last}:" in text_of(driver, "neuron-snapshot-label"))
        print(f"run {run_id}: {run.snapshot_count} snapshots, layer {layer} ({run.units(layer)} neurons); "
              f"Chromium headless, {steps} keyboard steps per case")
        steps = min(steps, last)
        driver.find_element(By.CSS_SELECTOR, "#neuron-kind input[value='weights']").click()
        time.sleep(0.5)
        fields = np.where(run.live_pixels, run.receptive_fields(layer, 0), np.nan)  # never-inked pixels: grey
        results = [report("weights, fixed limits (step back)", measure(driver, steps, Keys.ARROW_LEFT))]
        results.append(shows(driver, fields[last - steps]))
        driver.find_element(By.CSS_SELECTOR, "#neuron-kind input[value='change']").click()
        driver.find_element(By.CSS_SELECTOR, "#neuron-scaling input[value='frame']").click()
        time.sleep(0.5)
        results.append(report("change since init, per-frame limits", measure(driver, steps, Keys.ARROW_RIGHT)))
        results.append(shows(driver, fields[last] - fields[0]))
        print("field after the steps:", "the expected snapshot" if all(results[1::2]) else "WRONG SNAPSHOT")
        return all(results)
    finally:
        driver.quit()
        server.shutdown()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, help="an existing run folder (default: a synthetic one)")
    parser.add_argument("--snapshots", type=int, default=100, help="snapshots of the synthetic run")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--port", type=int, default=8137)
    args = parser.parse_args(argv)
    if args.run_dir:
        return 0 if run_benchmark(args.run_dir.resolve().parent.parent, args.run_dir.name, args.port, args.steps) else 1
    from tests.helpers.runs import write_synthetic_run

    with tempfile.TemporaryDirectory() as folder:
        write_synthetic_run(folder, "scrub-bench", units=(128, 64), snapshots=args.snapshots, probe_size=1000,
                            batchnorm=False)
        return 0 if run_benchmark(Path(folder), "scrub-bench", args.port, args.steps) else 1


if __name__ == "__main__":
    sys.exit(main())

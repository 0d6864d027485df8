"""Remake docs/neuron-view.png: the neuron view of a real run, as the README shows it.

Takes the newest completed ten-digit run (else the newest completed run), opens the first-layer
neuron that best tells 4s from other digits (largest d′ at the best snapshot) in headless Chromium
at 1280×800, shows its learned change since init, and saves the page.

    python scripts/screenshot.py [--data-dir data] [--run RUN_ID] [--out docs/neuron-view.png]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from selenium.webdriver.common.by import By  # noqa: E402

from bench.browser import browser, serve, text_of, wait_until  # noqa: E402
from neurons import list_runs, open_run  # noqa: E402

MAX_BYTES = 500_000


def pick_run(data_dir: Path, run_id: str | None) -> str:
    if run_id:
        return run_id
    finished = [run.run_id for run in list_runs(data_dir) if run.broken is None and run.status == "completed"]
    if not finished:
        sys.exit(f"no completed run in {data_dir}/runs: train one first (python -m trainer train)")
    # A ten-digit run shows class means over every digit; a 0-or-1 run only two bars.
    ten_digit = [run_id for run_id in finished if open_run(data_dir / "runs" / run_id).output_units == 10]
    return (ten_digit or finished)[0]


def looking_for_a_four(run) -> tuple[str, int, int]:
    """(layer, neuron, snapshot): the first layer's neuron with the largest d′ for the digit 4
    (the blog's favourite kind of neuron; class 1 for a 0-or-1 run) at the best snapshot."""
    layer, snapshot = run.hidden_layers[0], run.default_snapshot
    digit = 4 if run.output_units == 10 else 1
    return layer, int(run.most_differentiated(digit, layer, snapshot)), snapshot


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--run", help="run id (default: the newest completed run)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "neuron-view.png")
    parser.add_argument("--port", type=int, default=8139)
    args = parser.parse_args(argv)
    run_id = pick_run(args.data_dir, args.run)
    layer, neuron, snapshot = looking_for_a_four(open_run(args.data_dir / "runs" / run_id))
    server = serve(args.data_dir, args.port)
    driver = browser(1280, 800)
    try:
        driver.get(f"http://127.0.0.1:{args.port}/?run={run_id}&view=neuron&layer={layer}"
                   f"&neuron={neuron}&snapshot={snapshot}")
        wait_until(lambda: f"Snapshot {snapshot} of" in text_of(driver, "neuron-snapshot-label"))
        driver.find_element(By.CSS_SELECTOR, "#neuron-kind input[value='change']").click()
        wait_until(lambda: "Probe digits that excite it most" in text_of(driver, "neuron-top"))
        wait_until(lambda: "change since init" in text_of(driver, "neuron-field"))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(args.out))
    finally:
        driver.quit()
        server.shutdown()
    size = args.out.stat().st_size
    print(f"{args.out}: run {run_id}, {layer} neuron {neuron} at snapshot {snapshot}, {size / 1000:.0f} kB")
    if size > MAX_BYTES:
        print(f"the screenshot is over {MAX_BYTES // 1000} kB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

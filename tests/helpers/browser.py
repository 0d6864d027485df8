"""Browser helpers for dash_duo tests and benchmarks: the headless Chromium, a free port, and
reading or clicking what Plotly drew."""
import os
import random
import socket
from pathlib import Path

import numpy as np
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.action_chains import ActionChains

BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--window-size=1280,1024")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"  # git ignores it
PORT_RANGE_ENV = "NEURON_LENS_TEST_PORTS"
DEFAULT_PORT_RANGE = "8110-8149"


def chrome_options() -> Options:
    """The system Chromium, headless, able to run as root, offline."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    return options


def port_range() -> tuple[int, int]:
    """Engineers side by side keep to their own ports: NEURON_LENS_TEST_PORTS=LOW-HIGH."""
    low, _, high = os.environ.get(PORT_RANGE_ENV, DEFAULT_PORT_RANGE).partition("-")
    return int(low), int(high or low)


def free_port(low: int, high: int) -> int:
    """A port in [low, high] that nothing listens on right now, tried in random order."""
    candidates = list(range(low, high + 1))
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def screenshot(dash_duo, name: str) -> Path:
    """Save the page as screenshots/NAME.png in the repository, to look at after the test."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    dash_duo.driver.save_screenshot(str(path))
    return path


def seen(run, maps) -> np.ndarray:
    """28×28 maps as the app draws them: pixels never inked in training are NaN (drawn grey)."""
    return np.where(run.live_pixels, np.asarray(maps, dtype=float), np.nan)


def open_view(dash_duo, synthetic_run, port, query, ready_selector, ready_text, run_id="synthetic",
              **run_options):
    """Write a synthetic run, serve the app on `port`, open `?query` and wait for `ready_text`."""
    from app.server import create_app  # not at the top: fixtures import this module in every test

    path = synthetic_run(run_id, **run_options)
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run={run_id}&{query}")
    dash_duo.wait_for_contains_text(ready_selector, ready_text, timeout=20)
    return path


def click_plot_at(dash_duo, container, x, y):
    """Click the data coordinate (x, y) of the Plotly graph inside the CSS selector `container`."""
    ActionChains(dash_duo.driver).move_to_location(*plot_position(dash_duo, container, x, y)).pause(0.3).click().perform()


def hover_plot_at(dash_duo, container, x, y):
    """Rest the mouse on the data coordinate (x, y) of the Plotly graph inside `container`."""
    ActionChains(dash_duo.driver).move_to_location(*plot_position(dash_duo, container, x, y)).pause(0.3).perform()


def plot_position(dash_duo, container, x, y) -> list[float]:
    """The page position of the data coordinate (x, y) of the Plotly graph inside `container`."""
    return dash_duo.driver.execute_script(
        """const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
        gd.scrollIntoView({block: 'center'});
        const layout = gd._fullLayout, box = gd.getBoundingClientRect();
        const xaxis = layout.xaxis, yaxis = layout.yaxis;
        return [box.left + xaxis._offset + xaxis.d2p(arguments[1]),
                box.top + yaxis._offset + yaxis.d2p(arguments[2])];""",
        container, x, y)


def shown_matrix(dash_duo, container, attribute="z"):
    """A 2-D attribute of the first trace of the Plotly graph inside `container`, as drawn."""
    return np.array(dash_duo.driver.execute_script(
        "const values = document.querySelector(arguments[0] + ' .js-plotly-plot')._fullData[0][arguments[1]];"
        "return Array.from(values, row => Array.from(row));", container, attribute), dtype=float)

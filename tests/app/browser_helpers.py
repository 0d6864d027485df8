"""Browser-test helpers for the inspection views: open a synthetic run, click inside Plotly figures."""
import numpy as np
from selenium.webdriver.common.action_chains import ActionChains

from app.server import create_app
from neurons.runformat import RunWriter
from tests.helpers.runs import random_weights


def grow(path, epoch: int, seed: int = 5) -> None:
    """Append a snapshot ("epoch {epoch}", new random weights) to a running run, as the trainer would."""
    writer = RunWriter.reopen(path)
    writer.append_snapshot(random_weights(writer.manifest["layers"], np.random.default_rng(seed)),
                           label=f"epoch {epoch}", epoch=epoch, step=0)


def seen(run, maps) -> np.ndarray:
    """28×28 maps as the app draws them: pixels never inked in training are NaN (drawn grey)."""
    return np.where(run.live_pixels, np.asarray(maps, dtype=float), np.nan)


def open_view(dash_duo, synthetic_run, port, query, ready_selector, ready_text, **run_options):
    """Write a synthetic run, serve the app on `port`, open `?query` and wait for `ready_text`."""
    path = synthetic_run("synthetic", **run_options)
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=synthetic&{query}")
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

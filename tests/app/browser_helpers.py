"""Browser-test helpers for the inspection views: open a synthetic run, click inside Plotly figures."""
from selenium.webdriver.common.action_chains import ActionChains

from app.server import create_app


def open_view(dash_duo, synthetic_run, port, query, ready_selector, ready_text, **run_options):
    """Write a synthetic run, serve the app on `port`, open `?query` and wait for `ready_text`."""
    path = synthetic_run("synthetic", **run_options)
    dash_duo.start_server(create_app(synthetic_run.data_dir, allow_training=False), port=port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=synthetic&{query}")
    dash_duo.wait_for_contains_text(ready_selector, ready_text, timeout=20)
    return path


def click_plot_at(dash_duo, graph_id, x, y):
    """Click the data coordinate (x, y) of the Plotly graph inside the element with id graph_id."""
    position = dash_duo.driver.execute_script(
        """const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        gd.scrollIntoView({block: 'center'});
        const layout = gd._fullLayout, box = gd.getBoundingClientRect();
        const xaxis = layout.xaxis, yaxis = layout.yaxis;
        const px = xaxis.type === 'category' ? xaxis.c2p(arguments[1]) : xaxis.l2p(arguments[1]);
        return [box.left + xaxis._offset + px, box.top + yaxis._offset + yaxis.l2p(arguments[2])];""",
        graph_id, x, y)
    ActionChains(dash_duo.driver).move_to_location(*position).pause(0.3).click().perform()

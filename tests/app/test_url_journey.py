"""Journey 8: the URL holds the view; a pasted link reopens it, back and forward work, and bad
values become a plain message."""
import time
from urllib.parse import parse_qs, urlparse

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from app.server import create_app
from app.views import VIEWS
from tests.helpers.browser import screenshot


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def tab_links(dash_duo):
    return {link.text: query_of(link.get_attribute("href"))
            for link in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#tabs a")}


def pick_run(dash_duo, run_id):
    dash_duo.find_element("#run-picker").click()
    dash_duo.wait_for_element(".dash-dropdown-option")
    [option] = [option for option in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                if option.text.startswith(run_id)]
    option.click()


def test_a_pasted_link_reopens_the_same_state(dash_duo, synthetic_run, app_port):
    synthetic_run("alpha", units=(16, 8), snapshots=4)
    synthetic_run("beta")
    dash_duo.start_server(create_app(synthetic_run.data_dir), port=app_port)
    link = "/?run=alpha&view=training&layer=dense_2&neuron=3&snapshot=1&digit=4&example=7"
    dash_duo.driver.get(dash_duo.server_url + link)
    dash_duo.wait_for_text_to_equal(".nl-run-id", "alpha")
    dash_duo.wait_for_text_to_equal(".nl-tab-active", "Training")
    links = tab_links(dash_duo)
    assert links["Training"] == {"run": "alpha", "view": "training", "layer": "dense_2", "neuron": "3",
                                 "snapshot": "1", "digit": "4", "example": "7"}
    assert all(query["layer"] == "dense_2" and query["neuron"] == "3" for query in links.values())
    hints = [link.get_attribute("title") for link in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#tabs a")]
    assert len(hints) == len(VIEWS) and all(len(hint) > 20 for hint in hints)  # each tab says what it is for
    assert dash_duo.find_element("#message").get_attribute("hidden") == "true"
    assert dash_duo.get_logs() == []


def test_back_and_forward_follow_the_history(dash_duo, synthetic_run, app_port):
    synthetic_run("alpha")
    synthetic_run("beta")
    dash_duo.start_server(create_app(synthetic_run.data_dir), port=app_port)
    dash_duo.driver.get(dash_duo.server_url + "/?run=alpha&view=training")
    dash_duo.wait_for_text_to_equal(".nl-run-id", "alpha")
    pick_run(dash_duo, "beta")
    dash_duo.wait_for_text_to_equal(".nl-run-id", "beta")
    assert query_of(dash_duo.driver.current_url) == {"run": "beta", "view": "training"}
    dash_duo.driver.back()
    dash_duo.wait_for_text_to_equal(".nl-run-id", "alpha")
    assert query_of(dash_duo.driver.current_url)["run"] == "alpha"
    dash_duo.driver.forward()
    dash_duo.wait_for_text_to_equal(".nl-run-id", "beta")
    assert dash_duo.get_logs() == []


def test_bad_values_show_a_plain_message_and_the_page_keeps_working(dash_duo, synthetic_run, app_port):
    synthetic_run("alpha")
    dash_duo.start_server(create_app(synthetic_run.data_dir), port=app_port)
    dash_duo.driver.get(dash_duo.server_url + "/?run=..%2F..%2Fcanary.txt&view=nope&neuron=-4"
                        "&snapshot=<img src=x onerror=alert(1)>&layer=" + "z" * 300)
    dash_duo.wait_for_contains_text("#message", "not a valid run id")
    text = dash_duo.find_element("#message").text
    assert "'../../canary.txt' is not a valid run id" in text and "Showing the newest run instead" in text
    assert "There is no view called 'nope'" in text
    assert "Neuron '-4' is not valid: use a whole number from 0 to 15." in text
    assert "Snapshot '<img src=x onerror=alert(1)>' is not valid" in text
    assert "The layer in the link is too long" in text
    assert "Traceback" not in dash_duo.driver.page_source
    dash_duo.wait_for_text_to_equal(".nl-run-id", "alpha")
    screenshot(dash_duo, "url-bad-values")
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("view", ["digit", "example"])
def test_switching_runs_carries_no_value_that_only_fits_the_old_run(dash_duo, synthetic_run, app_port, view):
    """digit=9 of a 0–9 run means nothing for a run of 0s and 1s: the switch must not carry it
    over and then blame the user for it."""
    synthetic_run("ten", snapshots=3)
    synthetic_run("binary", outputs=1, batchnorm=False, snapshots=3)
    dash_duo.start_server(create_app(synthetic_run.data_dir), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=ten&view={view}&digit=9&example=150")
    dash_duo.wait_for_contains_text(".nl-run-id", "ten")
    dash_duo.wait_for_contains_text(f"#view-{view}", "9")
    pick_run(dash_duo, "binary")
    dash_duo.wait_for_text_to_equal(".nl-run-id", "binary")
    until(lambda: query_of(dash_duo.driver.current_url).get("run") == "binary", timeout=10)
    assert query_of(dash_duo.driver.current_url) == {"run": "binary", "view": view}
    time.sleep(1)  # a wrong carry-over would be said within a refresh
    assert not dash_duo.find_element("#message").is_displayed(), dash_duo.find_element("#message").text
    assert dash_duo.get_logs() == []

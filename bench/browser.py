"""A served dashboard and a headless Chromium for benchmarks and scripted screenshots."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from selenium import webdriver
from werkzeug.serving import make_server

from tests.helpers.browser import chrome_options  # the same headless, offline Chromium as the browser tests


def serve(data_dir: Path, port: int):
    """The dashboard for data_dir on 127.0.0.1:port in a background thread; call .shutdown() after."""
    from app.server import create_app

    server = make_server("127.0.0.1", port, create_app(data_dir, allow_training=False).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser(width: int = 1280, height: int = 1024):
    """Headless Chromium (the system one, offline) showing pages at width × height."""
    driver = webdriver.Chrome(options=chrome_options())
    # The page itself (not the window around it) gets exactly width × height.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


def wait_until(condition, timeout: float = 30.0, interval: float = 0.02):
    """Poll condition() until it returns something true, and return that; TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("the page did not get there in time")


def text_of(driver, element_id: str) -> str:
    """The text of the element with this id, or "" while it does not exist yet."""
    return driver.execute_script(
        "const element = document.getElementById(arguments[0]); return element ? element.textContent : '';",
        element_id)

"""Downloads in a real browser: the neuron's GIF and .npz, and the run's report (a background job)."""
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tests.helpers.browser import open_view

SNAPSHOTS = 5


def downloaded(dash_duo, pattern: str, timeout: float = 60) -> Path:
    """The file matching `pattern` once the browser has finished writing it."""
    folder = Path(dash_duo.download_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [path for path in folder.glob(pattern) if not path.name.endswith(".crdownload")]
        if found and found[0].stat().st_size:
            return found[0]
        time.sleep(0.25)
    raise AssertionError(f"nothing matching {pattern} was downloaded into {folder}")


def test_neuron_downloads_and_the_report(dash_duo, synthetic_run, app_port):
    open_view(dash_duo, synthetic_run, app_port, "view=neuron&layer=dense_1&neuron=3", "#neuron-field",
              "Neuron 3 of dense_1", units=(16, 8), snapshots=SNAPSHOTS)
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": dash_duo.download_path})

    dash_duo.find_element("#export-gif-button").click()
    gif = downloaded(dash_duo, "*.gif")
    assert gif.name == "synthetic-dense_1-neuron3-change.gif"
    assert Image.open(gif).n_frames == SNAPSHOTS

    dash_duo.find_element("#export-npz-button").click()
    with np.load(downloaded(dash_duo, "*.npz")) as archive:
        assert archive["change"].shape == (SNAPSHOTS, 28, 28) and len(archive["labels"]) == SNAPSHOTS

    dash_duo.find_element("#export-report-button").click()
    page = downloaded(dash_duo, "*.html", timeout=120).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h1>synthetic</h1>" in page
    dash_duo.wait_for_element("#export-report-button:not([disabled])")
    assert dash_duo.get_logs() == []

"""`python -m app report`: one HTML file that opens from file:// with the network off, and plays."""
import json
import time

import pytest

from app import report
from app.__main__ import main as app_main

# The reference model's shape (784-128-BN-64-BN-10) over 31 snapshots (init and 30 epochs).
REFERENCE = {"units": (128, 64), "batchnorm": True, "snapshots": 31}
MAX_BYTES = 10 * 2 ** 20


@pytest.fixture
def written_report(synthetic_run, tmp_path):
    synthetic_run("reference", **REFERENCE)
    target = tmp_path / "report.html"
    assert app_main(["report", "reference", "-o", str(target), "--data-dir", str(synthetic_run.data_dir)]) == 0
    return target


def test_report_holds_every_section_within_ten_megabytes(written_report):
    text = written_report.read_text(encoding="utf-8")
    assert written_report.stat().st_size < MAX_BYTES
    for heading in ("Training", "Layer dense_1", "Layer dense_2", "most focused neurons of dense_1",
                    "Digit chains", "Ranking of dense_1", "Ranking of dense_2"):
        assert f"<h2>{heading}" in text or heading in text
    assert "https://" not in text.split("<script>", 1)[0]  # no stylesheet or font fetched
    start = text.index(report.FIGURES_START) + len(report.FIGURES_START)
    shown = json.loads(text[start:text.index(";\n", start)].replace("<\\/", "</"))
    titles = [figure["layout"].get("title", {}).get("text", "") for figure in shown.values()]
    assert sum(title.startswith("Pixels → digit") for title in titles) == 10
    assert sum("frames" in figure for figure in shown.values()) == report.TOP_NEURONS
    assert all(len(figure.get("frames", [None] * 31)) == 31 for figure in shown.values())


def test_unknown_run_is_refused(synthetic_run, tmp_path, capsys):
    synthetic_run("there", snapshots=2)
    with pytest.raises(SystemExit) as stop:
        report.main(["missing", "-o", str(tmp_path / "r.html"), "--data-dir", str(synthetic_run.data_dir)])
    assert stop.value.code == 2 and "missing" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_report_opens_offline_and_its_scrub_plays(dash_duo, written_report):
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    driver.get(written_report.as_uri())
    figures = driver.execute_script("return Object.keys(figures).length")
    deadline = time.time() + 30
    while driver.execute_script("return document.querySelectorAll('.js-plotly-plot').length") < figures:
        assert time.time() < deadline, "not every figure was drawn"
        time.sleep(0.2)
    scrub = driver.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')].find(gd => gd.layout.sliders).id")
    before = driver.execute_script(f"""
        const gd = document.getElementById('{scrub}');
        window.framesShown = [];
        gd.on('plotly_animatingframe', event => window.framesShown.push(event.name));
        return gd.layout.title.subtitle.text;""")
    driver.execute_script(f"document.getElementById('{scrub}').scrollIntoView({{block: 'center'}})")
    dash_duo.find_element(f"#{scrub} .updatemenu-button").click()
    deadline = time.time() + 20
    while driver.execute_script("return window.framesShown.length") < 3:
        assert time.time() < deadline, "pressing play did not step through the snapshots"
        time.sleep(0.2)
    shown = driver.execute_script(f"return document.getElementById('{scrub}').layout.title.subtitle.text")
    assert shown != before and "showing epoch" in shown
    assert dash_duo.get_logs() == []

"""A model trained elsewhere, imported from one .keras file, opens in every view of the dashboard."""
import os
import time

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from app.server import create_app  # noqa: E402
from app.views import VIEWS  # noqa: E402
from tests.helpers.browser import screenshot  # noqa: E402
from tests.helpers.runs import mnist_sample  # noqa: E402

SCREENSHOTS = os.environ.get("NEURON_LENS_SCREENSHOTS")  # set it to look at each page in screenshots/


@pytest.fixture
def imported_data_dir(tmp_path):
    """One functional Keras model (BN before its activation, custom names), fitted briefly and imported."""
    import keras

    from trainer.importer import import_run
    keras.utils.set_random_seed(0)
    pixels = keras.Input((28, 28), name="pixels")
    x = keras.layers.Flatten(name="flat")(pixels)
    x = keras.layers.Dense(32, name="encode")(x)
    x = keras.layers.BatchNormalization(name="norm")(x)
    x = keras.layers.Activation("relu", name="gate")(x)
    x = keras.layers.Dense(16, activation="relu", name="middle")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="digits")(x)
    model = keras.Model(pixels, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    images, labels = mnist_sample(800, seed=5)
    model.fit(images / 255.0, labels, epochs=2, batch_size=64, verbose=0)
    model.save(tmp_path / "mine.keras")
    import_run(str(tmp_path / "mine.keras"), data_dir=tmp_path / "data", run_id="mine")
    return tmp_path / "data"


def drawn_figures(dash_duo, view: str) -> int:
    """Plotly figures with data, and AG Grid rows (the ranking), shown in the view."""
    return dash_duo.driver.execute_script(
        f"return [...document.querySelectorAll('#view-{view} .js-plotly-plot')]"
        ".filter(gd => gd.data && gd.data.length && gd.offsetParent !== null).length"
        f" + document.querySelectorAll('#view-{view} .ag-row').length")


def test_imported_run_opens_in_every_view(dash_duo, imported_data_dir, app_port):
    dash_duo.start_server(create_app(imported_data_dir, allow_training=False), port=app_port)
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=mine&view=training")
    dash_duo.wait_for_contains_text("#run-title", "imported", timeout=20)
    for view in VIEWS:
        dash_duo.driver.get(f"{dash_duo.server_url}/?run=mine&view={view.VIEW}")
        deadline = time.time() + 40
        while drawn_figures(dash_duo, view.VIEW) == 0:
            assert time.time() < deadline, f"the {view.VIEW} view drew nothing for an imported run"
            time.sleep(0.3)
        assert not dash_duo.find_element("#callback-error").is_displayed(), view.VIEW
        if SCREENSHOTS:
            time.sleep(1.5)
            screenshot(dash_duo, f"imported-{view.VIEW}")
    dash_duo.driver.get(f"{dash_duo.server_url}/?run=mine&view=neuron&layer=dense_1&neuron=0")
    dash_duo.wait_for_contains_text("#neuron-field", "Neuron 0 of dense_1", timeout=20)
    assert "no change yet" not in dash_duo.find_element("#neuron-field").text  # one snapshot, no init: weights
    assert dash_duo.get_logs() == []

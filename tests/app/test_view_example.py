"""Journey 7 in a real browser: pick a probe digit, jump to the next misclassified one, attribute."""
import numpy as np
from selenium.webdriver.common.keys import Keys
from tests.helpers.browser import click_plot_at, open_view, screenshot, shown_matrix

from neurons import open_run
from neurons.forward import predicted_classes

CAPTION = "#example-caption"


def test_trace_an_example_and_its_attributions(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=example&snapshot=3&example=0", CAPTION,
                     "Probe example #0", units=(16, 8), snapshots=4)
    run = open_run(path)
    labels = run.probe_labels
    predicted = predicted_classes(run.forward(run.probe_images, 3))

    # Class 7, third of its class.
    sevens = np.flatnonzero(labels == 7)
    dash_duo.select_dcc_dropdown("#example-class", value="7")
    dash_duo.wait_for_contains_text(CAPTION, f"Probe example #{sevens[0]}, number 1 of {len(sevens)} 7s")
    index = dash_duo.find_element("#example-index")
    index.clear()
    index.send_keys("2\n")
    dash_duo.wait_for_contains_text(CAPTION, f"Probe example #{sevens[2]}, number 3 of")
    dash_duo.wait_for_contains_text("#example-layers", f"dense_1: activations of example #{sevens[2]}")
    dash_duo.wait_for_contains_text("#example-layers", "generalised 7")
    dash_duo.wait_for_contains_text("#example-image", f"Example #{sevens[2]}: a 7")

    wrong = np.flatnonzero(predicted != labels)
    expected = int(next((i for i in wrong if i > sevens[2]), wrong[0]))
    dash_duo.find_element("#example-next-wrong").click()
    dash_duo.wait_for_contains_text(CAPTION, f"Probe example #{expected},")
    dash_duo.wait_for_contains_text(CAPTION, f"wrong (predicts {predicted[expected]})")

    # Attribute to the digit of a clicked probability bar.
    click_plot_at(dash_duo, "#example-probabilities", 6, 0.01)
    dash_duo.wait_for_contains_text("#example-gradient", "Gradient × input of logit z₆", timeout=10)
    dash_duo.wait_for_contains_text("#example-integrated", "Integrated gradients of logit z₆")
    np.testing.assert_allclose(shown_matrix(dash_duo, "#example-gradient"),
                               run.gradient_x_input(expected, 6, 3), atol=1e-5)
    np.testing.assert_allclose(shown_matrix(dash_duo, "#example-integrated"),
                               run.integrated_gradients(expected, 6, 3), atol=1e-5)
    assert f"example={expected}" in dash_duo.driver.current_url and "digit=6" in dash_duo.driver.current_url
    screenshot(dash_duo, "example-view")
    dash_duo.select_dcc_dropdown("#example-class", value="8")
    dash_duo.wait_for_contains_text("#example-image", ": an 8")
    assert dash_duo.get_logs() == []


def test_an_index_beyond_the_class_is_refused_with_a_message(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=example&snapshot=3&example=0", CAPTION,
                     "Probe example #0", units=(16, 8), snapshots=4)
    labels = open_run(path).probe_labels
    members = np.flatnonzero(labels == labels[0])
    index = dash_duo.find_element("#example-index")
    index.send_keys(Keys.CONTROL, "a")
    index.send_keys("9999\n")
    dash_duo.wait_for_contains_text("#message", f"The probe set has {len(members)} {labels[0]}s, index 0 to "
                                                f"{len(members) - 1}; still showing example #0.")
    dash_duo.wait_for_text_to_equal("#example-index", "0")
    assert "example=0" in dash_duo.driver.current_url
    index.send_keys(Keys.CONTROL, "a")
    index.send_keys("1\n")
    dash_duo.wait_for_contains_text(CAPTION, f"Probe example #{members[1]}, number 2 of", timeout=10)
    assert dash_duo.get_logs() == []


def test_completeness_names_the_logit_change_plainly():
    """Not "−z(x) − −z(0)" for digit 0 of a single sigmoid output."""
    from app.views.example import logit_change

    assert logit_change("z₄") == "z₄(x) − z₄(0)"
    assert logit_change("−z") == "z(0) − z(x)"

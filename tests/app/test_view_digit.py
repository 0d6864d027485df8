"""Journey 6 in a real browser: pick a digit, switch chains, click a bar to open its neuron."""
import numpy as np
from tests.helpers.browser import click_plot_at, open_view, screenshot, seen, shown_matrix

from neurons import open_run
from neurons.outputs import output_for

PIXELS = "#digit-pixels"


def shown_pixels(dash_duo) -> np.ndarray:
    return shown_matrix(dash_duo, PIXELS)


def test_follow_a_digit_back_to_its_neurons_and_pixels(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=digit&digit=4&example=3", PIXELS,
                     "Pixels → digit 4 at epoch 3", units=(16, 8), snapshots=4)
    run = open_run(path)
    np.testing.assert_allclose(shown_pixels(dash_duo), seen(run, run.digit_chain(4, 3)["pixels"]), atol=1e-5)
    dash_duo.wait_for_contains_text("#digit-layers", "dense_2: contribution of each neuron to digit 4")
    dash_duo.wait_for_contains_text("#digit-layers", "dense_1: contribution of each neuron to digit 4")
    best = run.most_differentiated(4, "dense_2", 3)
    dash_duo.wait_for_contains_text("#digit-layers", f"n{best}: highest d′ for 4")

    dash_duo.find_element("#digit-buttons button:nth-child(8)").click()  # digit 7
    dash_duo.wait_for_contains_text(PIXELS, "Pixels → digit 7")
    assert "digit=7" in dash_duo.driver.current_url

    dash_duo.find_element("#digit-mode input[value='raw']").click()
    dash_duo.wait_for_contains_text(PIXELS, "no BN (the blog's view)")
    np.testing.assert_allclose(shown_pixels(dash_duo), seen(run, run.digit_chain(7, 3, mode="raw")["pixels"]), atol=1e-5)
    dash_duo.find_element("#digit-mode input[value='example']").click()
    dash_duo.wait_for_contains_text(PIXELS, "∂z₇/∂x, probe example #3")
    np.testing.assert_allclose(shown_pixels(dash_duo), seen(run, run.digit_chain(7, 3, example=3)["pixels"]), atol=1e-5)

    click_plot_at(dash_duo, "#digit-probabilities", 2, 1.0)  # high above the short bar of digit 2
    dash_duo.wait_for_contains_text(PIXELS, "Pixels → digit 2", timeout=10)
    screenshot(dash_duo, "digit-view")

    contributions = run.digit_chain(2, 3, example=3)["dense_2"]
    smallest = int(np.argmin(np.abs(contributions)))  # its bar is a sliver: click high above it
    click_plot_at(dash_duo, "#digit-layers > :first-child", f"n{smallest}", float(contributions.max()) / 2)
    dash_duo.wait_for_contains_text("#neuron-field", f"Neuron {smallest} of dense_2", timeout=10)
    assert "view=neuron" in dash_duo.driver.current_url and f"neuron={smallest}" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_a_zero_or_one_run_reads_its_single_logit_negated_for_class_0(dash_duo, synthetic_run, app_port):
    path = open_view(dash_duo, synthetic_run, app_port, "view=digit&digit=0&snapshot=2", PIXELS,
                     "Pixels → digit 0 at epoch 2", units=(16, 8), snapshots=3, outputs=1, batchnorm=False)
    run = open_run(path)
    np.testing.assert_allclose(shown_pixels(dash_duo), seen(run, run.digit_chain(0, 2)["pixels"]), atol=1e-5)
    dash_duo.wait_for_contains_text(PIXELS, "no BN in this model")
    assert "folded in" not in dash_duo.find_element("#view-digit").text  # like binary01: no batch norm
    dash_duo.wait_for_contains_text("#digit-layers", "how much logit −z moves")
    dash_duo.find_element("#digit-buttons button:nth-child(2)").click()  # class 1
    dash_duo.wait_for_contains_text(PIXELS, "Pixels → digit 1")
    np.testing.assert_allclose(shown_pixels(dash_duo), seen(run, run.digit_chain(1, 2)["pixels"]), atol=1e-5)
    assert dash_duo.get_logs() == []


class FakeRun:
    hidden_layers = ["dense_1", "dense_2"]

    def __init__(self, output_units, kinds):
        self.output_units = output_units
        self.manifest = {"layers": [{"kind": kind} for kind in kinds]}

    def output_for(self, digit):
        return output_for(self.output_units, digit)


def test_subtitles_name_the_output_column_that_is_really_used():
    from app.views.digit import layer_subtitle, pixel_subtitle
    ten = FakeRun(10, ["dense", "batchnorm", "dense", "batchnorm", "dense"])
    assert layer_subtitle(ten, "dense_2", "weights", 4).startswith("c_L = s_L ⊙ W_out[:, 4]: how much logit z₄")
    assert pixel_subtitle(ten, "raw", 4, 0) == "c₀ = W₁W₂⋯W_out[:, 4] · no BN (the blog's view)"
    assert pixel_subtitle(ten, "weights", 4, 0) == "c₀ = W₁ c₁ · BN folded in, all gates open"

    zero_or_one = FakeRun(1, ["dense", "dense", "dense"])  # one sigmoid column, no batch norm
    assert layer_subtitle(zero_or_one, "dense_2", "weights", 1).startswith("c_L = s_L ⊙ W_out[:, 0]: how much logit z ")
    assert layer_subtitle(zero_or_one, "dense_2", "weights", 0).startswith("c_L = s_L ⊙ −W_out[:, 0]: how much logit −z ")
    assert layer_subtitle(zero_or_one, "dense_1", "raw", 0).startswith("row of −W₁⋯W_out[:, 0] (raw")
    assert pixel_subtitle(zero_or_one, "raw", 1, 0) == "c₀ = W₁W₂⋯W_out[:, 0] · no BN (the blog's view)"
    assert pixel_subtitle(zero_or_one, "raw", 0, 0) == "c₀ = −W₁W₂⋯W_out[:, 0] · no BN (the blog's view)"
    assert pixel_subtitle(zero_or_one, "weights", 1, 0) == "c₀ = W₁ c₁ · no BN in this model, all gates open"

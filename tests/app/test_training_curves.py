"""Training-curve figure and its summary line (pure)."""
from app import theme
from app.views.training import Curves, curves_of, summary_line, training_curves_figure
from app.runs import RunInfo
from tests.helpers.browser import screenshot


def history(epochs, offset=0.0):
    return [{"epoch": epoch, "loss": 1 / epoch + offset, "accuracy": 1 - 0.5 / epoch,
             "val_loss": 1.2 / epoch + offset, "val_accuracy": 1 - 0.6 / epoch, "seconds": 0.5}
            for epoch in range(1, epochs + 1)]


def traces_named(figure, name):
    return [trace for trace in figure["data"] if trace["name"] == name]


def test_the_figure_is_valid_plotly():
    import plotly.graph_objects as go
    go.Figure(training_curves_figure([Curves("a", history(3), 2), Curves("b", history(2), 1)]))


def test_one_run_has_train_and_validation_in_both_panels_and_a_best_star():
    figure = training_curves_figure([Curves("a", history(5), best_epoch=3)])
    training = traces_named(figure, "training")
    validation = traces_named(figure, "validation")
    assert len(training) == len(validation) == 2
    loss, accuracy = training
    assert list(loss["x"]) == [1, 2, 3, 4, 5] and loss["y"][0] == 1.0
    assert accuracy["y"][-1] == 0.9 and accuracy["xaxis"] == "x2" and accuracy["yaxis"] == "y2"
    assert validation[0]["line"]["dash"] == "dash" and loss["line"]["dash"] == "solid"
    stars = traces_named(figure, "best epoch")
    assert [(star["x"][0], round(star["y"][0], 4)) for star in stars] == [(3, 0.4), (3, 0.8)]
    assert [trace["showlegend"] for trace in stars] == [True, False]
    assert [note["text"] for note in figure["layout"]["annotations"]] == ["Loss", "Accuracy"]
    assert figure["layout"]["yaxis2"]["tickformat"] == ".0%"


def test_overlaid_runs_get_their_own_colour_and_named_legend_entries():
    figure = training_curves_figure([Curves("a", history(4), 2), Curves("b", history(6, 0.1), None)])
    a = traces_named(figure, "a · training")
    b = traces_named(figure, "b · validation")
    assert a[0]["line"]["color"] == theme.SERIES[0] and b[0]["line"]["color"] == theme.SERIES[1]
    assert traces_named(figure, "a · best epoch") and not traces_named(figure, "b · best epoch")


def test_no_finished_epoch_says_so():
    figure = training_curves_figure([Curves("a", [], None)])
    assert "No epoch has finished yet" in [note["text"] for note in figure["layout"]["annotations"]]


def test_best_epoch_comes_from_the_best_snapshot():
    manifest = {"history": history(3), "best_snapshot": 2,
                "snapshots": [{"index": 0, "epoch": 0}, {"index": 1, "epoch": 1}, {"index": 2, "epoch": 2}]}
    curves = curves_of(RunInfo("a", manifest, "completed"))
    assert curves.best_epoch == 2
    assert summary_line(curves, {"accuracy": 0.912}) == (
        "Best epoch 2: validation accuracy 70.0% · test accuracy 91.2% (best snapshot, held-out test set)")
    assert curves_of(RunInfo("a", manifest | {"best_snapshot": None}, "completed")).best_epoch == 2
    assert curves_of(RunInfo("a", manifest | {"best_snapshot": 1}, "running")).best_epoch is None


def test_training_view_overlays_picked_runs(dash_duo, synthetic_run, app_port):
    """Journey 2 in the browser: curves with the best epoch marked, then another run overlaid."""
    from dash.testing.wait import until
    from selenium.webdriver.common.by import By

    from app.server import create_app

    synthetic_run("dropout", snapshots=5)
    synthetic_run("baseline", snapshots=3)
    dash_duo.start_server(create_app(synthetic_run.data_dir), port=app_port)
    dash_duo.driver.get(dash_duo.server_url + "/?run=dropout&view=training")
    dash_duo.wait_for_contains_text("#training-summary", "Best epoch 4: validation accuracy 85.0%")
    legend = "#training-curves .legendtext"
    dash_duo.wait_for_text_to_equal(legend, "training")
    assert [item.text for item in dash_duo.driver.find_elements(By.CSS_SELECTOR, legend)] == [
        "training", "validation", "best epoch"]

    dash_duo.find_element("#training-compare").click()
    dash_duo.wait_for_element(".dash-dropdown-option")
    [option] = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
    assert option.text == "baseline"
    option.click()
    dash_duo.wait_for_text_to_equal(legend, "dropout · training")
    names = [item.text for item in dash_duo.driver.find_elements(By.CSS_SELECTOR, legend)]
    assert names == ["dropout · training", "dropout · validation", "dropout · best epoch",
                     "baseline · training", "baseline · validation", "baseline · best epoch"]
    until(lambda: "runs=baseline" in dash_duo.driver.current_url, timeout=10)
    screenshot(dash_duo, "training-overlay")

    dash_duo.driver.back()  # the overlay was a step in the history
    dash_duo.wait_for_text_to_equal(legend, "training")
    dash_duo.driver.forward()
    dash_duo.wait_for_text_to_equal(legend, "dropout · training")
    dash_duo.driver.get(dash_duo.server_url + "/?run=dropout&view=training&runs=baseline,nope")  # a pasted link
    dash_duo.wait_for_text_to_equal(legend, "dropout · training")
    dash_duo.wait_for_contains_text("#message", "There is no run called 'nope'. Leaving it out")
    assert len(dash_duo.driver.find_elements(By.CSS_SELECTOR, legend)) == 6
    assert dash_duo.get_logs() == []


def test_an_import_without_history_says_why_and_names_its_probe_accuracy():
    figure = training_curves_figure([Curves("imported", [], None, "imported")])
    texts = [note["text"] for note in figure["layout"]["annotations"]]
    assert "No training history: this run was imported without --history" in texts
    assert summary_line(Curves("imported", [], None, "imported"), {"accuracy": 0.97}) == (
        "test accuracy 97.0% (its probe digits)")

"""The views' display choices in the link (issue 11): each checked against its allowed values."""
import pytest

from app import urlstate
from tests.app.test_url_state import run_info


@pytest.fixture
def run():
    return run_info(run_id="r1")


def resolve(query: str, run):
    raw, problems = urlstate.parse_query(query)
    return urlstate.resolve(raw, run, ["neuron", "ranking"]), problems


def test_choices_default_to_their_first_value_and_are_not_written_back(run):
    state, _ = resolve("run=r1&view=neuron", run)
    assert [state[field] for field in urlstate.CHOICES] == [values[0] for values in urlstate.CHOICES.values()]
    assert "histogram" not in urlstate.href(state)


def test_a_chosen_value_is_kept_in_every_link(run):
    state, _ = resolve("run=r1&view=neuron&histogram=density&dream=on", run)
    assert (state["histogram"], state["dream"]) == ("density", "on") and state["error"] is None
    link = urlstate.href(state, neuron=7)
    assert "histogram=density" in link and "dream=on" in link and "neuron=7" in link


def test_an_unknown_value_says_what_is_allowed_and_falls_back(run):
    state, _ = resolve("run=r1&view=ranking&basis=<script>", run)
    assert state["basis"] == "change"
    assert "not one of change, responds_to" in state["error"] and "basis" not in state["explicit"]

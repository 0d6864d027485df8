"""The run registry and cache settings behind the shell (no browser)."""
import pytest

from app import runs
from app.cache import cache_config
from app.runs import RunRegistry, RunUnavailable
from tests.helpers.runs import grow


def test_info_follows_a_growing_run(synthetic_run):
    path = synthetic_run("live", status="running", snapshots=2)
    registry = RunRegistry(synthetic_run.data_dir)
    before = registry.info("live")
    assert (before.snapshot_count, before.hidden_layers, before.units["dense_2"]) == (2, ["dense_1", "dense_2"], 8)
    grow(path, 2, seed=3)
    after = registry.info("live")
    assert after.snapshot_count == 3 and after.revision != before.revision


@pytest.mark.parametrize("run_id, reason", [
    ("../data", "not a valid run id"), ("nope", "There is no run called 'nope'"),
    ("a/b", "not a valid run id"), (None, "not a valid run id"), ("x" * 101, "not a valid run id"),
])
def test_bad_ids_are_unavailable_with_a_reason(synthetic_run, run_id, reason):
    synthetic_run("alpha")
    with pytest.raises(RunUnavailable, match=reason):
        RunRegistry(synthetic_run.data_dir).info(run_id)


def test_broken_manifest_is_unavailable_but_listed(synthetic_run):
    path = synthetic_run("alpha")
    (path / "manifest.json").write_text("{")
    registry = RunRegistry(synthetic_run.data_dir)
    with pytest.raises(RunUnavailable, match="Run alpha cannot be opened: manifest.json is not valid JSON"):
        registry.info("alpha")
    [summary] = registry.summaries()
    assert summary.broken and registry.newest() is None


def test_only_the_most_recently_used_runs_stay_open(synthetic_run, monkeypatch):
    for index in range(3):
        synthetic_run(f"run-{index}", snapshots=2)
    monkeypatch.setattr(runs, "MAX_OPEN_RUNS", 2)
    registry = RunRegistry(synthetic_run.data_dir)
    first = registry.run("run-0")
    registry.run("run-1")
    assert registry.run("run-0") is first  # still open: used again, kept
    registry.run("run-2")
    assert list(registry._opened) == ["run-0", "run-2"]
    assert registry.run("run-1") is not None and "run-0" not in registry._opened


def test_cache_is_in_process_unless_a_redis_url_is_given(monkeypatch):
    monkeypatch.delenv("NEURON_LENS_REDIS_URL", raising=False)
    assert cache_config()["CACHE_TYPE"] == "SimpleCache"
    monkeypatch.setenv("NEURON_LENS_REDIS_URL", "redis://127.0.0.1:6399/0")
    config = cache_config()
    assert config["CACHE_TYPE"] == "RedisCache" and config["CACHE_REDIS_URL"] == "redis://127.0.0.1:6399/0"
    assert cache_config("")["CACHE_TYPE"] == "SimpleCache"


def test_newest_prefers_a_run_with_something_to_show(synthetic_run):
    synthetic_run("older", snapshots=2)
    registry = RunRegistry(synthetic_run.data_dir)
    assert registry.newest() == "older"
    synthetic_run("starting", snapshots=0, status="running")
    assert registry.newest() == "older"

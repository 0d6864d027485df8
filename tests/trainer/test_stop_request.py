"""Ctrl-C / SIGTERM: a stop request survives a KeyboardInterrupt that library code swallowed."""
import contextlib
import os
import signal
import time

import pytest

from neurons.runformat import read_manifest
from tests.helpers.trainer import run_cli, stop_silently_at_snapshot
from trainer import stop_request


@pytest.fixture
def stop_handlers():
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    stop_request.install_handlers()
    stop_request.clear()
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    stop_request.clear()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_swallowed_interrupt_is_raised_again_at_the_next_boundary(stop_handlers, signum):
    check = stop_request.StopRequestCheck()
    check.on_train_batch_end(0)
    with contextlib.suppress(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler interrupts this at the next bytecode
    assert stop_request.requested()
    for boundary in (check.on_train_batch_end, check.on_test_batch_end, check.on_epoch_end):
        with pytest.raises(KeyboardInterrupt):
            boundary(0)


@pytest.mark.slow
def test_a_lost_interrupt_still_ends_training_as_interrupted(small_sample, tmp_path, monkeypatch, capsys):
    stop_silently_at_snapshot(monkeypatch, 2)
    status, _ = run_cli("train", "--data-dir", tmp_path, "--run-id", "lost", "--preset", "relu",
                        "--epochs", 20, "--no-early-stopping")
    assert status == 130
    assert "interrupted: 3 snapshots kept" in capsys.readouterr().err
    manifest = read_manifest(tmp_path / "runs" / "lost")
    assert manifest["status"] == "interrupted"
    assert [snapshot["label"] for snapshot in manifest["snapshots"]] == ["init", "epoch 1", "epoch 2"]


def test_a_check_costs_nothing_per_batch_until_a_stop_is_requested(stop_handlers):
    """Keras's own no-op batch hooks until a request arms every check; a check made after the
    request is born armed; clearing disarms them."""
    check = stop_request.StopRequestCheck()
    assert not {"on_train_batch_end", "on_test_batch_end"} & set(vars(check))
    stop_request.request_stop()
    later = stop_request.StopRequestCheck()
    for armed in (check, later):
        for boundary in (armed.on_train_batch_end, armed.on_test_batch_end):
            with pytest.raises(KeyboardInterrupt):
                boundary(0, logs={})
    stop_request.clear()
    for disarmed in (check, later):
        disarmed.on_train_batch_end(0)
        disarmed.on_test_batch_end(0)
        disarmed.on_epoch_end(0)

"""Helpers for trainer tests: the CLI in-process, and a stop requested mid-snapshot."""
import contextlib
import io

from neurons.runformat import RunWriter
from trainer import stop_request
from trainer.cli import main


def run_cli(*argv) -> tuple[int, str]:
    """`python -m trainer ARGV` in this process; returns (exit status, stdout)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = main([str(arg) for arg in argv])
    return status, output.getvalue()


def stop_silently_at_snapshot(monkeypatch, index: int) -> None:
    """Request a stop, as a swallowed Ctrl-C would, while snapshot `index` is being written."""
    write_slot = RunWriter._write_slot

    def request_stop_then_write(writer, name, slot, values):
        if slot == index:
            stop_request.request_stop()
        write_slot(writer, name, slot, values)

    monkeypatch.setattr(RunWriter, "_write_slot", request_stop_then_write)

"""Helpers for trainer tests."""
import contextlib
import io

from trainer.cli import main


def run_cli(*argv) -> tuple[int, str]:
    """`python -m trainer ARGV` in this process; returns (exit status, stdout)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = main([str(arg) for arg in argv])
    return status, output.getvalue()

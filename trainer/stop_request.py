"""Ctrl-C and SIGTERM (`kill`, `docker stop`) end training as "interrupted".

The signal handler raises KeyboardInterrupt at once, but that exception can be lost: it is
raised wherever the main thread happens to be, and library code running at that moment may
swallow it, after which training would simply go on. So the handler also records the request,
and `StopRequestCheck`, a callback, raises again at the next batch or epoch boundary.
"""
from __future__ import annotations

import signal
import threading

import keras

_requested = threading.Event()


def install_handlers() -> None:
    """Make Ctrl-C and SIGTERM request a stop (call once, from the main thread)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)


def request_stop() -> None:
    _requested.set()


def clear() -> None:
    _requested.clear()


def requested() -> bool:
    return _requested.is_set()


def _on_signal(signum, frame):
    request_stop()
    raise KeyboardInterrupt


class StopRequestCheck(keras.callbacks.Callback):
    """Raises KeyboardInterrupt at the first batch or epoch boundary after a stop was requested."""

    def on_train_batch_end(self, batch, logs=None):
        self._stop_if_requested()

    def on_test_batch_end(self, batch, logs=None):
        self._stop_if_requested()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_if_requested()

    @staticmethod
    def _stop_if_requested():
        if requested():
            raise KeyboardInterrupt

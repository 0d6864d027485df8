"""Ctrl-C and SIGTERM (`kill`, `docker stop`) end training as "interrupted".

The signal handler raises KeyboardInterrupt at once, but that exception can be lost: it is
raised wherever the main thread happens to be, and library code running at that moment may
swallow it, after which training would simply go on. So the handler also records the request,
and `StopRequestCheck`, a callback, raises again at the next batch or epoch boundary.

The check costs nothing per batch until a stop is requested: the request arms the batch hooks of
every check in existence (and a check made afterwards is born armed). Keras looks a hook up on
the callback each time it calls it, so an armed hook fires at the very next batch boundary.
"""
from __future__ import annotations

import signal
import threading
import weakref

import keras

_requested = threading.Event()
_checks: weakref.WeakSet = weakref.WeakSet()


def install_handlers() -> None:
    """Make Ctrl-C and SIGTERM request a stop (call once, from the main thread)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)


def request_stop() -> None:
    _requested.set()
    for check in list(_checks):
        check.arm()


def clear() -> None:
    _requested.clear()
    for check in list(_checks):
        check.disarm()


def requested() -> bool:
    return _requested.is_set()


def _on_signal(signum, frame):
    request_stop()
    raise KeyboardInterrupt


class StopRequestCheck(keras.callbacks.Callback):
    """Raises KeyboardInterrupt at the first batch or epoch boundary after a stop was requested."""

    def __init__(self):
        super().__init__()
        _checks.add(self)
        if requested():
            self.arm()

    def arm(self) -> None:
        """Give the check its batch hooks (a stop was requested)."""
        self.on_train_batch_end = self.on_test_batch_end = self._stop

    def disarm(self) -> None:
        for hook in ("on_train_batch_end", "on_test_batch_end"):
            self.__dict__.pop(hook, None)

    def on_epoch_end(self, epoch, logs=None):
        if requested():
            self._stop()

    @staticmethod
    def _stop(batch=None, logs=None):
        raise KeyboardInterrupt

"""One background thread that performs a run's disk writes in order, so training never waits
for a disk; errors come back to the training thread at the next check.

After a write fails, the writes queued behind it are skipped: a later snapshot written after an
earlier one was lost would be filed under the wrong index. `on_error` (called on the writer
thread) lets the owner stop training at once instead of at its next check.
"""
from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor


class BackgroundWriter:
    def __init__(self, on_error=None):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-writer")
        self._pending: deque[Future] = deque()
        self._failed = threading.Event()
        self._on_error = on_error
        self._timer_stop = threading.Event()
        self._timer: threading.Thread | None = None

    def submit(self, job, *args, **kwargs) -> None:
        while self._pending and self._pending[0].done() and self._pending[0].exception() is None:
            self._pending.popleft()  # nothing to report: the queue stays short even if nobody checks
        self._pending.append(self._executor.submit(self._run, job, args, kwargs))

    def every(self, seconds: float, job) -> None:
        """Queue `job` every `seconds` until close() or settle(), from a timer thread (e.g. the
        run's heartbeat: no training hook has to look at a clock)."""
        def tick():
            while not self._timer_stop.wait(seconds):
                try:
                    self.submit(job)
                except RuntimeError:  # the executor is gone (the interpreter is exiting)
                    return
        self._timer = threading.Thread(target=tick, name="run-writer-timer", daemon=True)
        self._timer.start()

    def raise_errors(self) -> None:
        """Re-raise the first error of the writes finished so far, without waiting."""
        while self._pending and self._pending[0].done():
            self._pending.popleft().result()

    def flush(self) -> None:
        """Wait for every write submitted so far; re-raise the first error."""
        while self._pending:
            self._pending.popleft().result()

    def settle(self) -> None:
        """Wait for every write submitted so far, however it ends (training was cut short and
        the caller is about to record how)."""
        self._stop_timer()
        while self._pending:
            self._pending.popleft().exception()

    def close(self) -> None:
        self._stop_timer()
        self.flush()
        self._executor.shutdown()

    def _run(self, job, args, kwargs):
        if self._failed.is_set():
            raise WriteSkipped("skipped: an earlier write of this run failed")
        try:
            return job(*args, **kwargs)
        except BaseException:
            self._failed.set()
            if self._on_error is not None:
                self._on_error()
            raise

    def _stop_timer(self) -> None:
        """No more timed jobs: the owner is about to finish the run and write it itself."""
        self._timer_stop.set()
        if self._timer is not None:
            self._timer.join()
            self._timer = None


class WriteSkipped(Exception):
    """A queued write that did not run because an earlier one failed."""

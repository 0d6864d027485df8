"""One background thread that performs a run's disk writes in order, so training never waits
for a disk; errors come back to the training thread at the next check."""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor


class BackgroundWriter:
    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-writer")
        self._pending: deque[Future] = deque()

    def submit(self, job, *args, **kwargs) -> None:
        self._pending.append(self._executor.submit(job, *args, **kwargs))

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
        while self._pending:
            self._pending.popleft().exception()

    def close(self) -> None:
        self.flush()
        self._executor.shutdown()

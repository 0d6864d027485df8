"""The run's background writer: writes in order, timed jobs, and what happens after a failure."""
import threading
import time

import pytest

from trainer.background_writer import BackgroundWriter, WriteSkipped


def test_a_timed_job_repeats_until_the_writer_settles():
    writer, beats = BackgroundWriter(), []
    writer.every(0.02, lambda: beats.append(threading.current_thread().name))
    time.sleep(0.3)
    writer.settle()
    counted = len(beats)
    time.sleep(0.1)
    assert counted >= 3 and len(beats) == counted, "no beat after settle()"
    assert set(beats) == {"run-writer_0"}, "on the writer thread, in line with the writes"
    writer.close()


def test_after_a_failed_write_the_queue_is_skipped_and_the_owner_told():
    stopped, done = threading.Event(), []

    def fail():
        raise OSError("disk full")

    writer = BackgroundWriter(on_error=stopped.set)
    writer.submit(done.append, 1)
    writer.submit(fail)
    writer.submit(done.append, 3)
    with pytest.raises(OSError, match="disk full"):
        writer.flush()
    assert stopped.is_set() and done == [1]
    with pytest.raises(WriteSkipped):
        writer.flush()
    writer.submit(done.append, 4)
    writer.settle()
    assert done == [1]

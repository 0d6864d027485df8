"""Serving beyond one process: two gunicorn workers share cached results through Redis.

A real `redis-server` is started on a loopback port, and gunicorn serves the app from
gunicorn.conf.py with two single-request workers. A marker route, added to the app only for this
test, memoizes "which process computed this" through the app's own cache: when a worker answers
with a value that another process computed, that value can only have come from Redis.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests

from bench.dash_client import DashClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORTS = range(6390, 6400)
# A worker still importing the app cannot answer yet; on a busy machine that takes a while.
BOTH_WORKERS_SECONDS = 40
# The marker route holds its worker for a moment, so that a burst of requests reaches both.
MARKED_WSGI = '''
import os
import time

from app.cache import cache
from app.wsgi import server


@cache.memoize()
def computed_by(key):
    with open(os.environ["MARKER_LOG"], "a") as log:
        log.write(f"{os.getpid()}\\n")
    return os.getpid()


@server.route("/marker/<key>")
def marker(key):
    time.sleep(0.2)
    return {"computed_by": computed_by(key), "served_by": os.getpid()}
'''


def wait_until(ready, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (OSError, redis.RedisError, requests.RequestException):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up within {seconds:.0f} s")


def start_redis(tmp_path) -> tuple[subprocess.Popen, int]:
    """redis-server on the first port of REDIS_PORTS it can listen on (it exits on a busy one)."""
    server = shutil.which("redis-server")
    assert server, "the Redis tests need redis-server (Debian: apt-get install redis-server)"
    for port in REDIS_PORTS:
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                # Another server may own the port: only ours works in the folder it was given.
                if client.config_get("dir")["dir"] == os.path.realpath(tmp_path):
                    return process, port
            except redis.RedisError:
                pass
            time.sleep(0.1)
        process.kill()
        process.wait()
    raise AssertionError(f"redis-server could not listen on any port {REDIS_PORTS.start}-{REDIS_PORTS.stop - 1}")


@pytest.fixture
def redis_url(tmp_path):
    process, port = start_redis(tmp_path)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def start_gunicorn(tmp_path, data_dir, port: int, redis_url: str | None):
    """gunicorn with 2 sync workers serving the app plus the marker route; (process, base url)."""
    (tmp_path / "marked_wsgi.py").write_text(MARKED_WSGI)
    env = {**os.environ, "NEURON_LENS_DATA_DIR": str(data_dir), "NEURON_LENS_WORKERS": "2",
           "MARKER_LOG": str(tmp_path / "computed.log"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("NEURON_LENS_REDIS_URL", None)
    if redis_url:
        env["NEURON_LENS_REDIS_URL"] = redis_url
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--worker-class", "sync", "--threads", "1",
         "--bind", f"127.0.0.1:{port}", "--pythonpath", str(tmp_path), "marked_wsgi:server"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "gunicorn.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(f"{base}/healthz", timeout=5).ok, "gunicorn")
    return process, base


@pytest.fixture
def serve(tmp_path, synthetic_run, app_port):
    """serve(redis_url or None) -> base url of a 2-worker gunicorn over a one-run data folder."""
    synthetic_run("shared")
    processes = []

    def start(redis_url):
        process, base = start_gunicorn(tmp_path, synthetic_run.data_dir, app_port, redis_url)
        processes.append(process)
        return base

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


def marker_answers(base: str) -> tuple[int, set[int], set[int]]:
    """Warm the marker in one worker, then burst until both workers answered.

    Returns (first computing pid, pids that served, pids named as the computer)."""
    first = requests.get(f"{base}/marker/digit-4", timeout=10).json()
    served, computers = {first["served_by"]}, {first["computed_by"]}
    deadline = time.monotonic() + BOTH_WORKERS_SECONDS
    with ThreadPoolExecutor(8) as pool:
        while len(served) < 2 and time.monotonic() < deadline:
            answers = pool.map(lambda _: requests.get(f"{base}/marker/digit-4", timeout=10).json(), range(8))
            for answer in answers:
                served.add(answer["served_by"])
                computers.add(answer["computed_by"])
    assert len(served) == 2, f"only worker {served} answered within {BOTH_WORKERS_SECONDS} s"
    return first["computed_by"], served, computers


def computed_log(tmp_path) -> list[int]:
    return [int(line) for line in (tmp_path / "computed.log").read_text().split()]


def test_a_value_computed_by_one_worker_is_served_by_the_other_from_redis(tmp_path, redis_url, serve):
    computer, served, computers = marker_answers(serve(redis_url))

    assert computers == {computer}, "a worker recomputed what the other had put in Redis"
    assert computed_log(tmp_path) == [computer]
    assert served - {computer}, "the other worker never answered"
    assert redis.Redis.from_url(redis_url).keys("neuron-lens:*"), "nothing was stored in Redis"


def test_without_redis_each_worker_computes_its_own(tmp_path, serve):
    """The control: the in-process cache is not shared, so the marker does tell the two apart."""
    _, served, computers = marker_answers(serve(None))

    assert computers == served
    assert set(computed_log(tmp_path)) == served


def test_views_read_their_results_back_from_redis(redis_url, serve):
    base = serve(redis_url)
    port = int(base.rsplit(":", 1)[1])
    store = redis.Redis.from_url(redis_url)
    search = "?run=shared&view=neuron&layer=dense_1&neuron=3"

    first = DashClient("127.0.0.1", port)
    first.open_page(search)
    stored = store.keys("neuron-lens:*")
    hits_before = store.info("stats")["keyspace_hits"]
    second = DashClient("127.0.0.1", port)
    second.open_page(search)

    assert first.value("state", "data")["view"] == "neuron"
    assert any(b"neuron_frames" in key for key in stored), f"no neuron result in Redis: {stored[:5]}"
    assert store.info("stats")["keyspace_hits"] > hits_before
    assert second.value("neuron-frames", "data") == first.value("neuron-frames", "data")

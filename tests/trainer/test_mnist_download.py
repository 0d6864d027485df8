"""`--dataset mnist` / `auto` without internet: a loopback server in Keras's mnist.npz format, and
the ways a download fails (refused, no such host, a server that never answers) → the sample, fast."""
import hashlib
import http.server
import io
import json
import socket
import threading
import time

import numpy as np
import pytest

from tests.trainer.conftest import offline_sample
from tests.helpers.trainer import run_cli
from trainer import data

# The bound: whatever the network does, `auto` has fallen back within this long.
FALLBACK_SECONDS = 15


def small_mnist_npz() -> bytes:
    images, labels = offline_sample()
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[:600], order[600:700]
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_train=images[train], y_train=labels[train],
                        x_test=images[test], y_test=labels[test])
    return buffer.getvalue()


@pytest.fixture
def mnist_server():
    """http://127.0.0.1:PORT/mnist.npz serving a 700-digit file in Keras's format; counts requests."""
    payload = small_mnist_npz()
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/mnist.npz",
           "sha256": hashlib.sha256(payload).hexdigest(), "requests": requests}
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_server():
    """A port that accepts connections and then never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/mnist.npz"
    listener.close()


def refused_url() -> str:
    """A loopback port nobody listens on."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/mnist.npz"


def use_origin(monkeypatch, url, sha256="0" * 64):
    monkeypatch.setenv(data.MNIST_URL_ENV, url)
    monkeypatch.setenv(data.MNIST_SHA256_ENV, sha256)


def test_auto_downloads_mnist_once_and_checks_its_hash(tmp_path, monkeypatch, mnist_server):
    use_origin(monkeypatch, mnist_server["url"], mnist_server["sha256"])
    first = data.load("auto", tmp_path, digits=list(range(10)))
    again = data.load("auto", tmp_path, digits=list(range(10)))
    assert mnist_server["requests"] == ["/mnist.npz"]
    assert (tmp_path / data.MNIST_CACHE).is_file() and not list((tmp_path / "datasets").glob(".*"))
    assert first.summary() == again.summary() == {"name": "mnist", "source": mnist_server["url"],
                                                  "train": 480, "val": 120, "test": 100, "probe": 100}
    np.testing.assert_array_equal(first.train[0], again.train[0])


def test_a_file_with_another_hash_is_not_kept(tmp_path, monkeypatch, mnist_server):
    use_origin(monkeypatch, mnist_server["url"], "ab" * 32)
    dataset = data.load("auto", tmp_path, digits=list(range(10)))
    assert dataset.name == "sample" and "SHA-256" in dataset.fallback
    assert not (tmp_path / "datasets").exists() or not any((tmp_path / "datasets").iterdir())


@pytest.mark.parametrize("origin", ["refused", "no such host", "never answers"])
def test_auto_falls_back_to_the_sample_within_the_bound(tmp_path, monkeypatch, small_sample, silent_server,
                                                        origin):
    """(small_sample keeps the sample in memory, so the time measured is the network's.)"""
    url = {"refused": refused_url(), "no such host": "http://mnist.neuron-lens.invalid/mnist.npz",
           "never answers": silent_server}[origin]
    use_origin(monkeypatch, url)
    started = time.monotonic()
    dataset = data.load("auto", tmp_path, digits=list(range(10)))
    assert time.monotonic() - started < FALLBACK_SECONDS
    assert dataset.name == "sample" and dataset.fallback.startswith("MNIST could not be downloaded")
    assert dataset.summary()["requested"] == "auto" and url in dataset.summary()["fallback"]


def test_mnist_without_network_fails_clearly_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    use_origin(monkeypatch, refused_url())
    status, _ = run_cli("train", "--data-dir", tmp_path / "data", "--dataset", "mnist")
    error = capsys.readouterr().err
    assert status == 1
    assert "MNIST could not be downloaded" in error
    assert "--dataset-file PATH" in error and "--dataset sample" in error
    assert not (tmp_path / "data" / "runs").exists()


@pytest.mark.slow
def test_auto_says_which_dataset_it_trained_on(tmp_path, monkeypatch, small_sample, mnist_server):
    use_origin(monkeypatch, refused_url())
    status, output = run_cli("train", "--data-dir", tmp_path, "--dataset", "auto", "--run-id", "offline",
                             "--epochs", 1, "--preset", "relu")
    assert status == 0 and "on the offline sample (960 training digits), because MNIST could not" in output
    use_origin(monkeypatch, mnist_server["url"], mnist_server["sha256"])
    status, output = run_cli("train", "--data-dir", tmp_path, "--dataset", "auto", "--run-id", "online",
                             "--epochs", 1, "--preset", "relu")
    assert status == 0 and "on full MNIST (480 training digits)" in output
    listing = run_cli("list", "--data-dir", tmp_path)[1]
    assert "sample (auto: MNIST unreachable)" in listing and " mnist " in listing
    manifest = json.loads((tmp_path / "runs" / "offline" / "manifest.json").read_text())
    assert manifest["config"]["dataset"] == "sample"  # a resume trains on what auto chose

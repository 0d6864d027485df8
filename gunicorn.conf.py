"""Gunicorn settings for serving Neuron Lens, in the Docker image and outside it (a classroom):

    NEURON_LENS_DATA_DIR=data gunicorn -c gunicorn.conf.py app.wsgi:server

Environment (all optional):
    NEURON_LENS_BIND       address:port, default 127.0.0.1:8050 (the image passes 0.0.0.0:8050)
    NEURON_LENS_WORKERS    worker processes, default 2
    NEURON_LENS_THREADS    threads per worker, default 4
    NEURON_LENS_REDIS_URL  share cached results between workers and hosts (see app/cache.py)
    NEURON_LENS_ACCESS_LOG "-" logs every request to stdout (default: errors only)
    NEURON_LENS_SEED_RUNS  a folder of runs copied into DATA_DIR/runs when missing there; the image
                           uses it so a fresh bind-mounted data folder still opens on the demo run
"""
import os
import shutil
import sys
from pathlib import Path


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


bind = os.environ.get("NEURON_LENS_BIND", "127.0.0.1:8050")
workers = _whole_number("NEURON_LENS_WORKERS", 2)
threads = _whole_number("NEURON_LENS_THREADS", 4)
worker_class = "gthread"
# Views answer in well under a second; a cold ablation on a large run may take a few.
timeout = 60
# `docker stop` must not hang: a stopping worker gets one second for requests in flight.
graceful_timeout = 1
keepalive = 5
# Nothing drives gunicorn through its control socket, and under `docker run --user UID` the home
# folder it would live in is not writable.
control_socket_disable = True
accesslog = os.environ.get("NEURON_LENS_ACCESS_LOG") or None
errorlog = "-"


def on_starting(server):
    """Seed DATA_DIR/runs with the runs in NEURON_LENS_SEED_RUNS that it does not have yet."""
    seed = os.environ.get("NEURON_LENS_SEED_RUNS")
    data_dir = os.environ.get("NEURON_LENS_DATA_DIR")
    if not seed or not data_dir or not Path(seed).is_dir():
        return
    runs = Path(data_dir) / "runs"
    for run in sorted(Path(seed).iterdir()):
        target = runs / run.name
        if run.is_dir() and not target.exists():
            partial = runs / f".{run.name}.seeding"
            try:
                # Copied aside and renamed, so a failed copy never leaves a half run behind.
                shutil.rmtree(partial, ignore_errors=True)
                shutil.copytree(run, partial)
                partial.rename(target)
                server.log.info("Copied the %s run into %s", run.name, runs)
            except OSError as error:
                server.log.warning("Could not copy the %s run into %s: %s", run.name, runs, error)


def worker_exit(server, worker):
    """End a stopping worker at once, keeping its exit status.

    The worker has answered its last request by now. Tearing down an interpreter full of numpy,
    pandas and Dash takes half a second or more on a busy machine, which made `docker stop` take
    over a second; skipping it brings SIGTERM-to-exit to about 0.3 s.
    """
    if os.getpid() != worker.pid:
        return  # the master calls this hook too, for a worker that is already gone
    leaving = sys.exc_info()[1]
    status = leaving.code if isinstance(leaving, SystemExit) and isinstance(leaving.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if leaving is None else status)

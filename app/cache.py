"""Result cache for expensive view computations (flask-caching).

In-process SimpleCache by default; a shared Redis cache when NEURON_LENS_REDIS_URL is set, so
several gunicorn workers compute each result once. Memoized functions must take the run id and the
run's snapshot count among their arguments: the key then changes as soon as a live run gains a
snapshot, and nothing stale is ever shown. Views cache only through app.views.computed.per_run
(and figure_cache), which builds every key from (run id, snapshot count, arguments):

    @computed.per_run
    def focus_table(run_id, snapshot_count, layer, snapshot): ...
"""
from __future__ import annotations

import os

from flask_caching import Cache

REDIS_URL_ENV = "NEURON_LENS_REDIS_URL"
DEFAULT_TIMEOUT_SECONDS = 3600

cache = Cache()


def cache_config(redis_url: str | None = None) -> dict:
    """Flask-Caching settings: Redis at redis_url (or $NEURON_LENS_REDIS_URL), else in-process."""
    redis_url = redis_url if redis_url is not None else os.environ.get(REDIS_URL_ENV, "")
    if redis_url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
                "CACHE_KEY_PREFIX": "neuron-lens:", "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT_SECONDS}
    # Entries can be large (a neuron's fields at every snapshot): bound them to bound memory.
    return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 300,
            "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT_SECONDS}


def init_cache(server, config: dict | None = None) -> None:
    cache.init_app(server, config=config if config is not None else cache_config())

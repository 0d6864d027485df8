"""WSGI entry point for gunicorn (`gunicorn app.wsgi:server`), configured from the environment.

NEURON_LENS_DATA_DIR (default ./data), NEURON_LENS_ALLOW_TRAINING (0 turns the form off),
NEURON_LENS_REDIS_URL (shared cache for several workers; in-process cache when unset).
"""
import os

from app.server import DATA_DIR_ENV, create_app

server = create_app(os.environ.get(DATA_DIR_ENV, "data")).server

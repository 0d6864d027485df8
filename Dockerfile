# Neuron Lens: the dashboard, served by gunicorn, opening on a demo run trained while building.
#
#   docker build -t neuron-lens .
#   docker run -p 8050:8050 neuron-lens                       # then open http://localhost:8050
#   docker run -p 8050:8050 -v "$PWD/data:/app/data" neuron-lens   # keep runs across containers
# The app runs as uid 1000, which must be able to write the mounted folder; otherwise add
# `--user "$(id -u)"`. A fresh folder gets a copy of the demo run at start.
#
# Build arguments:
#   DATASET=auto          (default) train the demo run on the full MNIST if it can be downloaded,
#                         else on the offline 5,000-digit sample; =mnist insists on MNIST (the
#                         build fails without internet), =sample never tries
#   EXTRA_CA_CERTS="$(cat proxy-ca.crt)"
#                         PEM certificates to trust besides the usual ones, for building behind a
#                         TLS-inspecting proxy (pip and the MNIST download would fail without them)
#   BASE_IMAGE            any Debian-like image with Python 3.11+ (python3-venv) and ca-certificates
# Run-time environment: NEURON_LENS_WORKERS (2), NEURON_LENS_THREADS (4), NEURON_LENS_REDIS_URL,
# NEURON_LENS_ALLOW_TRAINING=0 to turn the training form off for public demos.
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

ARG EXTRA_CA_CERTS=""
ARG DATASET=auto

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    TF_CPP_MIN_LOG_LEVEL=3 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    MPLCONFIGDIR=/tmp/matplotlib \
    PATH=/opt/venv/bin:$PATH \
    NEURON_LENS_DATA_DIR=/app/data \
    NEURON_LENS_SEED_RUNS=/app/seed/runs

# One file per certificate, as update-ca-certificates expects; it rebuilds the system bundle that
# SSL_CERT_FILE and PIP_CERT point at.
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
        printf '%s\n' "$EXTRA_CA_CERTS" | awk '/-----BEGIN CERTIFICATE-----/ {n++} \
            n {print > ("/usr/local/share/ca-certificates/extra-" n ".crt")}' \
        && update-ca-certificates; \
    fi \
    && useradd --create-home --uid 1000 --user-group lens

WORKDIR /app
COPY requirements.txt .
RUN python -m venv /opt/venv && pip install -r requirements.txt

COPY neurons/ neurons/
COPY trainer/ trainer/
COPY app/ app/
COPY gunicorn.conf.py .
RUN mkdir -p /app/data /app/seed && chown lens:lens /app/data /app/seed

USER lens
# The demo run; gunicorn.conf.py copies it into /app/data/runs at start when it is not there yet,
# so a freshly mounted data folder opens on it too.
RUN python -m trainer train --data-dir /app/seed --dataset "$DATASET" --run-id demo \
    && rm -rf /app/seed/datasets

EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
# Exec form: gunicorn itself receives SIGTERM and stops within a second (graceful_timeout = 1).
CMD ["gunicorn", "--config", "/app/gunicorn.conf.py", "--bind", "0.0.0.0:8050", "app.wsgi:server"]

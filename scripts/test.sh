#!/usr/bin/env bash
# Set up the test environment and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh chromium=chromium chromedriver=chromium-driver redis-server=redis-server
scripts/setup.sh requirements-dev.txt
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Set up the test environment and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for tool in chromium chromedriver redis-server; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Missing system programs: ${missing[*]}." >&2
  echo "On Debian/Ubuntu: sudo apt-get install chromium chromium-driver redis-server" >&2
  exit 1
fi
scripts/setup.sh requirements-dev.txt
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Set up, train the default run if there is none yet (on full MNIST if it can be downloaded, else
# on the offline sample), then serve the dashboard on 127.0.0.1:8050.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
data_dir="${NEURON_LENS_DATA_DIR:-data}"
if ! ls "$data_dir"/runs/*/manifest.json >/dev/null 2>&1; then
  .venv/bin/python -m trainer train --data-dir "$data_dir" --dataset auto
fi
exec .venv/bin/python -m app --data-dir "$data_dir" "$@"

#!/usr/bin/env bash
# Prove the Docker image builds and serves, with podman (no Docker engine or registry needed):
# build on a local Debian base (scripts/make-base-image.sh), trusting this machine's extra CA
# certificates; run it on 127.0.0.1; wait for /healthz; load the page with its Dash callbacks,
# check the demo run is listed and a neuron view draws; start a 1-epoch run from the training form
# and wait for it to complete; stop it (must take under 5 s); remove everything made. Prints how
# long each step took.
#
# Usage: scripts/container-smoke.sh
# Environment: SMOKE_PORT (default 8150), SMOKE_CA_CERTS (PEM files to trust while building;
# default /usr/local/share/ca-certificates/*.crt). Needs root, podman, buildah, runc, debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in podman debootstrap python3; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if (( ${#missing[@]} )); then
    echo "container-smoke: missing ${missing[*]}; on Debian: apt-get install podman buildah debootstrap runc" >&2
    exit 1
fi

port=${SMOKE_PORT:-8150}
work=$(mktemp -d -t neuron-lens-smoke.XXXXXX)
image=localhost/neuron-lens-smoke:$$
container=neuron-lens-smoke-$$
podman=(podman --root "$work/root" --runroot "$work/run")
export PODMAN_OPTS="--root $work/root --runroot $work/run"
export CONTAINERS_CONF=$work/containers.conf
# Sandboxes without user namespaces or cgroup delegation refuse podman's default limits and runtime.
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

cleanup() {
    "${podman[@]}" rm --force --time 0 "$container" >/dev/null 2>&1 || true
    "${podman[@]}" rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

timings=()
phase_start=$(date +%s.%N)
lap() {  # lap NAME: record the time since the previous lap
    local now
    now=$(date +%s.%N)
    timings+=("$(awk -v name="$1" -v a="$phase_start" -v b="$now" 'BEGIN {printf "%-24s %6.1f s", name, b - a}')")
    phase_start=$now
}
fail() {
    echo "container-smoke: FAILED: $*" >&2
    "${podman[@]}" logs "$container" 2>&1 | tail -40 >&2 || true
    exit 1
}

base=$(scripts/make-base-image.sh localhost/pybase:bookworm)
lap "base image"

extra_ca=$(cat ${SMOKE_CA_CERTS:-/usr/local/share/ca-certificates/*.crt} 2>/dev/null || true)
if ! "${podman[@]}" build --format docker --build-arg BASE_IMAGE="$base" \
        --build-arg EXTRA_CA_CERTS="$extra_ca" -t "$image" . >"$work/build.log" 2>&1; then
    tail -40 "$work/build.log" >&2
    fail "podman build"
fi
lap "build (pip + demo run)"

# Podman logs harmless errors about healthcheck timers where systemd does not run; keep them aside.
"${podman[@]}" run -d --init --name "$container" -p "127.0.0.1:$port:8050" "$image" \
    >/dev/null 2>>"$work/podman.log" || fail "podman run: $(cat "$work/podman.log")"
healthz() {  # the body of /healthz, or nothing (the system Python: no curl needed)
    python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
        "http://127.0.0.1:$port/healthz" 2>/dev/null || true
}
health=""
for _ in $(seq 1 120); do
    health=$(healthz)
    [[ -n $health ]] && break
    sleep 0.5
done
[[ -n $health ]] || fail "/healthz did not answer within 60 s"
lap "start until /healthz"
echo "healthz: $health"
python3 -c 'import json, sys; h = json.loads(sys.argv[1]); sys.exit(not (h["status"] == "ok" and h["runs"] >= 1))' \
    "$health" || fail "/healthz does not report a healthy app with a run: $health"
"${podman[@]}" healthcheck run "$container" || fail "the image's HEALTHCHECK failed"
user=$("${podman[@]}" exec "$container" id -u)
[[ $user != 0 ]] || fail "the app runs as root"

PYTHONPATH=bench python3 - "$port" <<'EOF' || fail "page or callback check"
import sys
from dash_client import DashClient

client = DashClient("127.0.0.1", int(sys.argv[1]))
html = client.open_page("")
assert "<title>Neuron Lens</title>" in html, "the page has no Neuron Lens title"
options = client.value("run-picker", "options") or []
listed = [option["value"] for option in options]
assert "demo" in listed, f"the run picker lists {listed}, not the demo run"
state = client.value("state", "data") or {}
assert state.get("run") == "demo" and not state.get("error"), f"the page opened on {state}"
client.set("url", "search", "?run=demo&view=neuron&layer=dense_1&neuron=5")
assert client.value("state", "data")["view"] == "neuron", "the neuron view did not open"
assert client.value("neuron-frames", "data"), "the neuron view computed no receptive fields"
error = client.store.get("callback-error", {})
assert error.get("hidden") is not False, f"the page shows an error: {error.get('children')}"
print(f"page: run picker lists {listed}; opened on run {state['run']!r} "
      f"({state['snapshot_count']} snapshots); neuron view of dense_1 #5 drawn")
EOF
lap "page + callbacks"

# Journey 9 inside the image: the form starts the trainer as the non-root user, in the image's
# data folder, through a gunicorn worker's launcher.
PYTHONPATH=bench python3 - "$port" <<'EOF' || fail "starting training from the page"
import sys
from dash_client import DashClient

client = DashClient("127.0.0.1", int(sys.argv[1]))
client.open_page("")
client.set("train-epochs", "value", 1)
client.set("train-start", "n_clicks", 1)
status = str(client.value("train-status", "children"))
assert status.startswith("Started final-sample-s0-"), f"the form answered: {status}"
print(f"form: {status.split('.')[0]}")
EOF
trained=""
for _ in $(seq 1 240); do
    health=$(healthz)
    if python3 -c 'import json, sys; h = json.loads(sys.argv[1]); sys.exit(not (h["runs"] >= 2 and not h["training"]))' \
            "$health" 2>/dev/null; then
        trained=yes
        break
    fi
    sleep 0.5
done
[[ -n $trained ]] || fail "the run started from the form did not finish within 120 s: $health"
listing=$("${podman[@]}" exec "$container" python -m trainer list --data-dir /app/data)
echo "$listing" | grep -E "^final-sample-s0-.* completed +1 epochs" || fail "the form's run did not complete: $listing"
lap "train from the page"

stop_start=$(date +%s.%N)
"${podman[@]}" stop --time 5 "$container" >/dev/null 2>>"$work/podman.log"
stop_seconds=$(awk -v a="$stop_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
exit_code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$container")
awk -v s="$stop_seconds" 'BEGIN {exit !(s < 5)}' || fail "stopping took ${stop_seconds} s"
[[ $exit_code == 0 ]] || fail "the server exited with $exit_code on SIGTERM (137 = killed)"
lap "stop (SIGTERM)"
echo "stop: ${stop_seconds} s, exit code $exit_code"

cleanup
trap - EXIT
lap "cleanup"
echo "container-smoke: OK (image $(echo "$image" | cut -d: -f1), port $port)"
printf '  %s\n' "${timings[@]}"

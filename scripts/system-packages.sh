#!/usr/bin/env bash
# Make sure the system programs a command needs are there: on Debian/Ubuntu, install the missing ones
# (as root, or with sudo that asks no password), saying what; elsewhere, name them and stop.
# Usage: scripts/system-packages.sh PROGRAM=DEBIAN_PACKAGE ...   e.g. chromedriver=chromium-driver
set -euo pipefail
programs=() packages=()
for pair in "$@"; do
  command -v "${pair%%=*}" >/dev/null || { programs+=("${pair%%=*}"); packages+=("${pair#*=}"); }
done
[ ${#programs[@]} -eq 0 ] && exit 0

as_root=none
if command -v apt-get >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  fi
fi
if [ "$as_root" = none ]; then
  echo "Missing system programs: ${programs[*]}." >&2
  echo "On Debian/Ubuntu: sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
echo "Installing the missing system packages ${packages[*]} (for ${programs[*]}) with apt-get." >&2
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null

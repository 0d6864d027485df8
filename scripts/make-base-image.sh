#!/usr/bin/env bash
# Make a local stand-in for python:3.12-slim where no container registry is reachable:
# a Debian bookworm minbase with Python 3.11, pip and venv,
# made with debootstrap from the Debian mirror apt already uses, and imported into podman.
#
# Usage: scripts/make-base-image.sh [IMAGE]          (default IMAGE: localhost/pybase:bookworm)
# Environment:
#   PODMAN_OPTS         extra global podman options, e.g. "--root DIR/root --runroot DIR/run"
#   BASE_ROOTFS_CACHE   the root file system tarball, kept between runs
#                       (default: ${XDG_CACHE_HOME:-$HOME/.cache}/neuron-lens/pybase-bookworm.tar)
# Both steps are cached: debootstrap runs only when the tarball is missing, the import only when
# IMAGE is missing from the podman store. Needs root (debootstrap, chroot).
set -euo pipefail

IMAGE=${1:-localhost/pybase:bookworm}
CACHE=${BASE_ROOTFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/neuron-lens/pybase-bookworm.tar}
SOURCES=/etc/apt/sources.list.d/debian.sources
read -r -a PODMAN <<<"podman ${PODMAN_OPTS:-}"

debian_mirror() {
    if [[ -f $SOURCES ]]; then
        awk '/^URIs:/ {print $2; exit}' "$SOURCES"
    else
        echo http://deb.debian.org/debian
    fi
}

build_rootfs_tarball() {
    local rootfs
    rootfs=$(mktemp -d -t neuron-lens-rootfs.XXXXXX)
    # The chroot's /proc must be unmounted before the folder can be removed, even after a failure.
    trap "umount '$rootfs/proc' 2>/dev/null || true; rm -rf '$rootfs'" RETURN
    debootstrap --variant=minbase bookworm "$rootfs" "$(debian_mirror)" >&2
    if [[ -f $SOURCES ]]; then
        rm -f "$rootfs/etc/apt/sources.list"
        cp "$SOURCES" "$rootfs/etc/apt/sources.list.d/"
    fi
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
    mount -t proc proc "$rootfs/proc"
    chroot "$rootfs" apt-get update >&2
    chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv python3-pip ca-certificates >&2
    chroot "$rootfs" apt-get clean
    umount "$rootfs/proc"
    # Behave like the python images: plain `python`, and pip allowed outside a venv.
    rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED "$rootfs/etc/resolv.conf"
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
    mkdir -p "$(dirname "$CACHE")"
    tar -C "$rootfs" -cf "$CACHE.partial" .
    mv "$CACHE.partial" "$CACHE"
}

if [[ ! -s $CACHE ]]; then
    echo "make-base-image: debootstrap bookworm into $CACHE (about a minute)" >&2
    build_rootfs_tarball
fi
if ! "${PODMAN[@]}" image exists "$IMAGE"; then
    "${PODMAN[@]}" import --quiet --change 'CMD ["python3"]' "$CACHE" "$IMAGE" >/dev/null
fi
echo "$IMAGE"

"""Fetch one file over HTTP(S) into place, checked by SHA-256, and never hang.

`urlopen`'s timeout bounds each socket operation but not the name lookup, and a server may
trickle bytes forever; so the transfer runs on a daemon thread that must show progress (connect,
headers, a chunk of body) every `stall_seconds`, or it is abandoned. A file reaches `target` only
whole and checked (written beside it, then renamed).
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.request
from pathlib import Path

CHUNK_BYTES = 1 << 16
POLL_SECONDS = 0.2


class DownloadFailed(Exception):
    """The file could not be fetched or did not match its hash; str(error) says why."""


class _Transfer(threading.Thread):
    def __init__(self, url: str, partial: Path, sha256: str, stall_seconds: float):
        super().__init__(daemon=True, name="neuron-lens-download")
        self.url, self.partial, self.sha256, self.stall_seconds = url, partial, sha256, stall_seconds
        self.progress_at = time.monotonic()
        self.error: str | None = None
        self.abandoned = threading.Event()

    def run(self) -> None:
        try:
            self._fetch()
        except Exception as error:  # any failure of the network or the disk becomes the reason shown
            self.error = str(getattr(error, "reason", None) or error) or type(error).__name__

    def _fetch(self) -> None:
        digest = hashlib.sha256()
        request = urllib.request.Request(self.url, headers={"User-Agent": "neuron-lens"})
        with urllib.request.urlopen(request, timeout=self.stall_seconds) as response, \
                open(self.partial, "wb") as handle:
            self.progress_at = time.monotonic()
            while chunk := response.read(CHUNK_BYTES):
                if self.abandoned.is_set():
                    return
                digest.update(chunk)
                handle.write(chunk)
                self.progress_at = time.monotonic()
        if digest.hexdigest() != self.sha256:
            self.error = f"the file's SHA-256 is {digest.hexdigest()}, expected {self.sha256}"


def fetch(url: str, target: Path, *, sha256: str, stall_seconds: float = 10.0) -> None:
    """Download `url` to `target`; DownloadFailed if it fails, stalls or has another hash."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    transfer = _Transfer(url, partial, sha256.lower(), stall_seconds)
    transfer.start()
    try:
        while transfer.is_alive():
            transfer.join(POLL_SECONDS)
            if time.monotonic() - transfer.progress_at > stall_seconds:
                transfer.abandoned.set()
                raise DownloadFailed(f"no answer from {url} for {stall_seconds:g} s")
        if transfer.error:
            raise DownloadFailed(f"{url}: {transfer.error}")
        os.replace(partial, target)
    finally:
        if transfer.is_alive() or transfer.error:
            _remove_later(transfer, partial)


def _remove_later(transfer: _Transfer, partial: Path) -> None:
    """Delete the partial file, after the abandoned thread lets go of it if it still runs."""
    def remove():
        transfer.join()
        partial.unlink(missing_ok=True)
    if transfer.is_alive():
        threading.Thread(target=remove, daemon=True).start()
    else:
        remove()

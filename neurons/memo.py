"""Small caches for computed results: a thread-safe LRU memo, and read-only freezing of what it keeps."""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class Memo:
    """A small thread-safe least-recently-used cache of computed results."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def freeze(array: np.ndarray) -> np.ndarray:
    """Make a cached array read-only, so that no caller can change what later callers get."""
    array.setflags(write=False)
    return array

"""A tiny per-process cache: warm functions skip re-reading master data for a while."""

from __future__ import annotations

import time
from collections.abc import Callable


class TtlCache[V]:
    def __init__(self, seconds: float, max_items: int = 4096) -> None:
        self.seconds = seconds
        self.max_items = max_items
        self._items: dict[object, tuple[float, V]] = {}

    def get(self, key: object, load: Callable[[], V]) -> V:
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if value is not None:
            if len(self._items) >= self.max_items:
                self._items.clear()  # crude but bounded; master data is small
            self._items[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._items.clear()

"""Bounded in-process caches, with hit and miss counts: the one way a service remembers answers.

Each cache is held by the app (app.state or an object it owns), never by a module, so two apps in one process
(tests, replicas in a test) share nothing, and each is bounded by a size from settings. cachetools is not
thread-safe: these caches are read and written on the event-loop thread only (a threaded token check hands its
result back to the loop, which stores it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import Cache, LRUCache, TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(slots=True)
class CacheStats:
    """How often a cache answered (hit) and how often it had to be filled (miss)."""

    hits: int = 0
    misses: int = 0


class BoundedCache(Generic[K, V]):
    """A cachetools cache with counters. `get` counts; `peek` and `put` do not."""

    __slots__ = ("_store", "name", "stats")

    def __init__(self, name: str, store: Cache[K, V]) -> None:
        self.name = name
        self.stats = CacheStats()
        self._store = store

    @property
    def maxsize(self) -> int:
        return int(self._store.maxsize)

    def get(self, key: K) -> V | None:
        """The value kept under `key` (counted as a hit), or None (a miss)."""
        value = self._store.get(key)
        if value is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        """Keep `value` under `key`, evicting the least recently used (or an expired) entry beyond the bound; a value
        larger than the whole bound is not kept (nor an older value under its key)."""
        try:
            self._store[key] = value
        except ValueError:  # cachetools' "value too large"
            self._store.pop(key, None)

    def pop(self, key: K) -> V | None:
        return self._store.pop(key, None)

    def clear(self) -> None:
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return key in self._store


def lru_cache(name: str, maxsize: int) -> BoundedCache[K, V]:
    """At most `maxsize` entries, the least recently used dropped first."""
    return BoundedCache(name, LRUCache(maxsize=maxsize))


def sized_lru_cache(name: str, max_bytes: int, size_of: Callable[[V], int]) -> BoundedCache[K, V]:
    """Entries of at most `max_bytes` in all, as `size_of` counts each, the least recently used dropped first: for
    values whose sizes differ by orders of magnitude (a peer's page of 10 rows or of 500), a count bounds nothing."""
    return BoundedCache(name, LRUCache(maxsize=max_bytes, getsizeof=size_of))


def ttl_cache(
    name: str, maxsize: int, seconds: float, timer: Callable[[], float] = time.monotonic
) -> BoundedCache[K, V]:
    """At most `maxsize` entries, each for `seconds` after it was kept (on a monotonic timer, not the wall clock)."""
    return BoundedCache(name, TTLCache(maxsize=maxsize, ttl=seconds, timer=timer))

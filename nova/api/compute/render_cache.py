"""Rendered response bodies, remembered by everything they are made from.

A list's JSON body is a pure function of the rows the database returned
and of how they are shown (microversion, link base, the caller's view
rights, the query string for the next link). Handlers read the rows on
every request as usual, then look the body up by that key here: the same
rows asked for the same way are turned into JSON once, not on every
request. Because the key holds the rows themselves, a change to any row,
made by this process or another, is a new key: nothing is ever stale and
nothing needs invalidating. Bounded: when full (entries or bytes), it is
emptied and fills again.
"""

import json
import threading


def freeze(value):
    """A hashable stand-in for nested dicts/lists of plain values."""
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


class Objects:
    """Objects remembered by key, kept as they are (never to be changed by
    whoever gets them), each counted at the size the caller gives."""

    def __init__(self, max_entries=4096, max_bytes=16 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._objects = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        return self._objects.get(key)

    def keep(self, key, value, size):
        with self._lock:
            if (len(self._objects) >= self.max_entries
                    or self._bytes + size > self.max_bytes):
                self.clear()
            if size <= self.max_bytes:
                self._objects[key] = value
                self._bytes += size

    def clear(self):
        self._objects = {}
        self._bytes = 0


class Memo(Objects):
    """Response bodies: each encoded as JSON once, counted at its length."""

    def __init__(self, max_entries=512, max_bytes=32 * 1024 * 1024):
        super().__init__(max_entries, max_bytes)

    def put(self, key, body):
        """Encode ``body`` as JSON, remember it under ``key``; the bytes."""
        return self.keep_bytes(key, json.dumps(body).encode())

    def keep_bytes(self, key, data):
        """Remember ``data`` (a body already encoded) under ``key``."""
        self.keep(key, data, len(data))
        return data

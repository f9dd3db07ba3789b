"""Abuse limits for anonymous endpoints that never store an address.

The client address is turned into a keyed hash with a random key held only in this process's
memory and replaced every day, so counts can be kept for a few minutes without any address
(or anything linkable to one) being written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque


class AnonymousRateLimiter:
    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self._key = secrets.token_bytes(32)
        self._key_day = int(time.time() // 86400)

    def _bucket(self, address: str, now: float) -> str:
        day = int(now // 86400)
        if day != self._key_day:
            self._key, self._key_day = secrets.token_bytes(32), day
            self._hits.clear()
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def allow(self, address: str | None, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            bucket = self._bucket(address or "unknown", now)
            hits = self._hits.setdefault(bucket, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._hits = {
                    k: v for k, v in self._hits.items() if v and v[-1] > now - self.window
                }
            return True

"""Token buckets that keep outbound calls inside Telegram's limits: about 30 messages a second
overall and about one a second per chat. Per process: with N sending processes, set
``TELEGRAM_MAX_PER_SECOND`` to the overall budget divided by N. A 429 that still gets through
carries ``retry_after``; the outbox reschedules the message for then."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class TokenBucket:
    def __init__(self, rate: float, capacity: float, now: float | None = None) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = time.monotonic() if now is None else now

    def reserve(self, now: float) -> float:
        """Take a token; return how long to wait before using it (0 when one was there)."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateLimiter:
    def __init__(self, per_second: float = 25.0, per_chat_per_second: float = 1.0, max_chats: int = 10_000) -> None:
        self._global = TokenBucket(per_second, max(1.0, per_second))
        self._per_chat_rate = per_chat_per_second
        self._chats: OrderedDict[int, TokenBucket] = OrderedDict()
        self._max_chats = max_chats
        self._lock = threading.Lock()

    def wait_time(self, chat_id: int | None, now: float | None = None) -> float:
        """Reserve a call to ``chat_id`` at ``now`` (monotonic seconds); return how long to wait first."""
        with self._lock:
            now = time.monotonic() if now is None else now
            wait = self._global.reserve(now)
            if chat_id is not None:
                bucket = self._chats.pop(chat_id, None) or TokenBucket(self._per_chat_rate, 3.0, now)
                self._chats[chat_id] = bucket
                if len(self._chats) > self._max_chats:
                    self._chats.popitem(last=False)
                wait = max(wait, bucket.reserve(now))
            return wait

    def acquire(self, chat_id: int | None) -> float:
        """Block until a call to ``chat_id`` may go out; returns the seconds waited."""
        wait = self.wait_time(chat_id)
        if wait > 0:
            time.sleep(wait)
        return wait

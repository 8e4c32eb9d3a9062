"""Fixed-window rate limits on Django's cache (per process with the default local-memory cache;
shared by all processes when CACHES points at Redis)."""

from __future__ import annotations

from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt; True while the caller is within ``limit`` attempts per ``window`` seconds."""
    name = f"ratelimit:{scope}:{key}"
    cache.add(name, 0, timeout=window)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window)
        count = 1
    return count <= limit

"""The client of an HTTP request, for the rate limits of core.ratelimit."""

from __future__ import annotations


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"

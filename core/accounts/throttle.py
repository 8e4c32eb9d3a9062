"""Password guessing slows down; the right password from a client that was not guessing never waits.

Failures are counted per (account, client) and per client, on Django's cache (Redis when
``REDIS_URL`` is set, so every process shares them and a restart forgets nothing; local memory
otherwise). An attempt is counted before the password is checked, so a burst of parallel guesses
cannot all slip in under the count, and a success clears its (account, client) count.

- (account, client): the first ``FREE_ATTEMPTS`` attempts are free; after that each attempt must
  wait twice as long as the one before (1 s, 2 s, 4 s ... at most ``MAX_WAIT``) since the last one.
  That slows a guesser to a few dozen tries an hour while a person who mistyped waits seconds.
- client, over all accounts: past ``CLIENT_LIMIT`` attempts in ``WINDOW`` the client is refused
  until the window ends (one address trying many accounts).

Nothing is counted per account alone: that is the counter anyone could fill to lock the owner out.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache

from core.errors import DomainError
from core.ratelimit import hit

FREE_ATTEMPTS = 5
MAX_WAIT = 15 * 60
CLIENT_LIMIT = 50
WINDOW = 15 * 60


def _keys(address: str, client: str) -> tuple[str, str]:
    # hashed: bounded keys, and no e-mail addresses in the cache
    base = "login-throttle:" + hashlib.sha256(f"{address}|{client}".encode()).hexdigest()[:32]
    return f"{base}:n", f"{base}:at"


def refused(seconds: int) -> DomainError:
    return DomainError("rate_limited", f"Too many sign-in attempts. Try again in {max(1, seconds)} seconds.",
                       data={"retry_after": max(1, seconds)})


def attempt(address: str, client: str) -> None:
    """Count one attempt of ``client`` on ``address``; raises ``rate_limited`` when it must wait."""
    client = client or "unknown"
    if not hit("login-client", client, limit=CLIENT_LIMIT, window=WINDOW):
        raise refused(WINDOW)
    count_key, at_key = _keys(address, client)
    cache.add(count_key, 0, timeout=MAX_WAIT * 2)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, timeout=MAX_WAIT * 2)
        count = 1
    now = time.time()
    last = cache.get(at_key)
    cache.set(at_key, now, timeout=MAX_WAIT * 2)
    if count <= FREE_ATTEMPTS or last is None:
        return
    wait = min(2 ** (count - FREE_ATTEMPTS - 1), MAX_WAIT)
    if now - last < wait:
        raise refused(math.ceil(wait - (now - last)))


def succeeded(address: str, client: str) -> None:
    cache.delete_many(list(_keys(address, client or "unknown")))

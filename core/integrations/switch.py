"""Whether any webhook endpoint is active, answered without a database statement (decision 0062).

The durable subscriber's ``when=`` test asks :func:`active` for every event published; an inbound
SMS must not pay a statement for a feature nobody set up. The answer comes from:

1. this process's memory, for ``FIELDOPS_WEBHOOK_FLAG_TTL`` seconds (0 under tests);
2. else the shared cache key (Redis in production), written by :func:`refresh` from the database:
   by the endpoint services after each change (and ``True`` at once when one is made active, before
   commit: a false "yes" costs one query in the subscriber, a false "no" would lose events), by
   every worker each minute (the "webhook flag" job) and by ``serve``/``worker`` at start;
3. a missing key (a flushed or restarted Redis, a process whose start did not write it) is read again
   from the database once (one statement) and written back, so no event is lost for want of it. A
   cache that cannot be read (Redis down) means "maybe": the subscriber asks the database.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

KEY = "integrations:webhooks-active"
_memory: dict[str, float | bool] = {}


def active() -> bool:
    ttl = settings.FIELDOPS_WEBHOOK_FLAG_TTL
    now = time.monotonic()
    if ttl > 0 and "value" in _memory and now - float(_memory["at"]) < ttl:
        return bool(_memory["value"])
    try:
        stored = cache.get(KEY)
        if stored is None:
            with transaction.atomic():  # a savepoint: a failed read must not break the caller's transaction
                value = refresh()
        else:
            value = stored == 1
    except Exception:  # the shared cache is unreachable: ask the database (the subscriber's one query)
        logging.getLogger(__name__).warning("webhook flag unreadable; assuming endpoints", exc_info=True)
        value = True
    _memory.update(value=value, at=now)
    return value


def forget() -> None:
    _memory.clear()


def set_active(value: bool) -> None:
    cache.set(KEY, 1 if value else 0, timeout=None)
    forget()


def refresh() -> bool:
    """Write the flag from the database (one statement) and return it."""
    from .models import WebhookEndpoint

    value = WebhookEndpoint.objects.filter(active=True).exists()
    set_active(value)
    return value


def prime() -> None:
    """At a process's start (``serve``'s web processes, ``worker``): the flag from the database, so a
    process whose cache is its own (no Redis) knows of the endpoints made before it started."""
    try:
        refresh()
    except Exception:  # no table yet (before migrate): the first endpoint change writes it
        logging.getLogger(__name__).warning("webhook flag not primed", exc_info=True)

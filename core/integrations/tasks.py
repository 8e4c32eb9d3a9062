"""The periodic jobs of the webhooks (``config/schedules.py``)."""

from __future__ import annotations

from django_tasks import task

from . import switch


@task()
def refresh_webhook_flag() -> bool:
    """Write the "any active endpoint" flag from the database into the shared cache (decision 0062)."""
    return switch.refresh()

"""Background work for bookings (django-tasks). Schedule ``extend_booking_series`` daily."""

from __future__ import annotations

from django_tasks import task

from core.actors import Actor, Channel


@task()
def extend_booking_series() -> dict[str, int]:
    """Materialise every active series' occurrences up to the horizon."""
    from .series import series_extend_all

    results = series_extend_all(actor=Actor.system(), channel=Channel.SYSTEM)
    return {"series": len(results), "created": sum(len(r.created) for r in results),
            "conflicts": sum(len(r.conflicts) for r in results)}

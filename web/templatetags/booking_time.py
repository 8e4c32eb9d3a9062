"""Template filters for booking times: a page shows a booking's times on the wall clock of the
booking's zone (``core.bookings.zones.zone_of``), whatever zone the page itself is in."""

from __future__ import annotations

from django import template
from django.templatetags.tz import do_timezone

from core.bookings.zones import zone_of

register = template.Library()


@register.filter
def in_zone_of(value, booking):
    """``{{ b.scheduled_start|in_zone_of:b|date:"g:i A" }}``: ``value`` in ``b``'s zone."""
    if value in (None, "") or booking in (None, ""):
        return value
    return do_timezone(value, zone_of(booking))

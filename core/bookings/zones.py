"""Which time zone a booking lives in: the one rule, for storing and for showing (decision 0620).

A booking's times are read and shown on the wall clock of the booking's own zone, else its
property's, else the company's (decisions 0005, 0303; ARCHITECTURE rule 12). ``booking_create``
and ``series_create`` store that choice on the row; every page, e-mail, SMS and chat text that
shows a booking's time converts with :func:`zone_of`, so a row written before (blank or unknown
zone) still falls back the same way instead of showing UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from core.company.selectors import get_company

UTC = zoneinfo.ZoneInfo("UTC")


def zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``; None for a blank or unknown name."""
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):  # OSError: a directory such as "America"
        return None


def zone_name(*, time_zone: str | None = None, prop: Any = None, company: Any = None) -> str:
    """The zone a new booking or series is stored with: the one asked for, else the property's, else
    the company's. An unknown name asked for is returned as given, for the caller to refuse."""
    if time_zone:
        return time_zone
    if prop is not None and zone(prop.time_zone) is not None:
        return prop.time_zone
    return (company or get_company()).time_zone


def zone_of(booking: Any) -> zoneinfo.ZoneInfo:
    """The zone a booking's (or a series') times are shown in. Reads the property or the company only
    when the row's own zone is blank or unknown."""
    found = zone(booking.time_zone)
    if found is None and getattr(booking, "property_id", None):
        found = zone(booking.property.time_zone)
    if found is None:
        found = zone(get_company().time_zone)
    return found or UTC


def company_zone() -> zoneinfo.ZoneInfo:
    """The company's zone: for what belongs to no one booking (a list, a day's board)."""
    return zone(get_company().time_zone) or UTC


def local(value: datetime, booking: Any) -> datetime:
    """``value`` on the wall clock of ``booking``'s zone."""
    return value.astimezone(zone_of(booking))

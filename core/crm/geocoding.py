"""Coordinates for addresses, through an adapter chosen by dotted path (``GEOCODER_BACKEND``, decision 0193).

- ``LocmemGeocoder``: development and tests; answers from ``LocmemGeocoder.known`` (address -> lat, lng),
  otherwise "not found". Nothing leaves the machine.
- ``GoogleGeocoder``: the Google Maps Geocoding API over plain HTTP (httpx), key ``GOOGLE_MAPS_API_KEY``,
  root ``GOOGLE_MAPS_API_BASE_URL`` (blank: Google; tests: a fake server on 127.0.0.1).

A geocoder answers a ``Place``, None (no such address), or raises ``GeocodeError`` (``transient``: try
again later; otherwise give up). Callers go through ``core.crm.services.property_geocode``, which
caches every answer per normalised address (``GeocodeCacheEntry``) and retries transient failures by a
deferred task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    formatted_address: str = ""


class GeocodeError(Exception):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message, self.transient = message, transient


class BaseGeocoder:
    def geocode(self, address: str, *, region: str) -> Place | None:
        raise NotImplementedError


class LocmemGeocoder(BaseGeocoder):
    """Answers from ``known`` (keys as ``address_key`` makes them); ``asked`` records every question."""

    known: ClassVar[dict[str, tuple[float, float]]] = {}
    asked: ClassVar[list[str]] = []

    def geocode(self, address: str, *, region: str) -> Place | None:
        type(self).asked.append(address)
        found = type(self).known.get(address_key(address))
        return Place(*found) if found else None


TRANSIENT_STATUSES = {"OVER_QUERY_LIMIT", "UNKNOWN_ERROR", "OVER_DAILY_LIMIT"}


class GoogleGeocoder(BaseGeocoder):
    """``GET {root}/maps/api/geocode/json?address=...&region=...&key=...``; the first result wins."""

    def geocode(self, address: str, *, region: str) -> Place | None:
        import httpx  # only where the real client is configured

        root = (settings.GOOGLE_MAPS_API_BASE_URL or "https://maps.googleapis.com").rstrip("/")
        try:
            response = httpx.get(f"{root}/maps/api/geocode/json", timeout=settings.GEOCODER_TIMEOUT,
                                 params={"address": address, "region": region.lower(),
                                         "key": settings.GOOGLE_MAPS_API_KEY})
        except httpx.HTTPError as exc:
            raise GeocodeError(f"{type(exc).__name__}: {exc}", transient=True) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise GeocodeError(f"HTTP {response.status_code}", transient=True)
        if response.status_code != 200:
            raise GeocodeError(f"HTTP {response.status_code}", transient=False)
        try:
            body = response.json()
            status = body.get("status", "")
            if status == "ZERO_RESULTS":
                return None
            if status != "OK":
                message = f"{status}: {body.get('error_message', '')}".rstrip(": ")
                raise GeocodeError(message, transient=status in TRANSIENT_STATUSES)
            first = body["results"][0]
            location = first["geometry"]["location"]
            place = Place(float(location["lat"]), float(location["lng"]), str(first.get("formatted_address", ""))[:255])
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise GeocodeError("The geocoder's answer was not understood.", transient=True) from None
        if not (-90 <= place.latitude <= 90 and -180 <= place.longitude <= 180):
            raise GeocodeError("The geocoder answered coordinates out of range.", transient=False)
        return place


def get_geocoder() -> BaseGeocoder:
    return import_string(settings.GEOCODER_BACKEND)()


def full_address(address: str, postcode: str = "", city: str = "") -> str:
    return ", ".join(part.strip() for part in (address, city, postcode) if part and part.strip())


def address_key(text: str) -> str:
    """The cache key of an address: case, spacing and commas ignored."""
    return " ".join(text.casefold().replace(",", " ").split())[:400]

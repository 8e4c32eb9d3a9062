"""Events of files on customers (files on bookings leave as the booking timeline's ``TimelineNoted``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.crm.events import CustomerEvent


@dataclass(frozen=True, kw_only=True)
class CustomerFileAdded(CustomerEvent):
    file_id: int


@dataclass(frozen=True, kw_only=True)
class CustomerFileRemoved(CustomerEvent):
    file_id: int

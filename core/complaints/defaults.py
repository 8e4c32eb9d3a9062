"""The entries the two lists start with (decision 0934): written by the migration, and again on first
use when a list is empty (a database emptied by hand or by a test flush), so raising never fails
for want of a status nobody added."""

from __future__ import annotations

TYPES = ["Quality of work", "Damage", "Late or missed visit", "Staff conduct", "Billing", "Other"]
STATUSES = [("Open", False), ("In progress", False), ("Resolved", True), ("Closed without action", True)]


def seed(type_model, status_model) -> None:
    if not type_model.objects.exists():
        for position, name in enumerate(TYPES):
            type_model.objects.get_or_create(name=name, defaults={"position": position})
    if not status_model.objects.exists():
        for position, (name, resolved) in enumerate(STATUSES):
            status_model.objects.get_or_create(name=name, defaults={"position": position, "is_resolved": resolved})


def ensure_lists() -> None:
    from .models import ComplaintStatus, ComplaintType

    seed(ComplaintType, ComplaintStatus)

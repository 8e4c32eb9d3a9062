"""Helpers for the complaint tests: a whole-database snapshot of the tables a refusal must leave
alone, an event recorder, and a booking with an accepted fieldworker."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from tests import factories

LABELS = ("accounts", "crm", "bookings", "sms", "outreach", "complaints")


def db_state() -> dict[str, list[dict[str, Any]]]:
    state: dict[str, list[dict[str, Any]]] = {}
    tables = set(connection.introspection.table_names())
    for label in LABELS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table in tables:
                state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def accepted_by(booking, fieldworker) -> None:
    system = Actor.system()
    booking_services.booking_assign(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=fieldworker.pk)
    booking_services.assignment_respond(actor=Actor.from_user(fieldworker.user), channel=Channel.GRAPHQL,
                                        booking_id=booking.pk, accept=True)


def completed(booking) -> None:
    system = Actor.system()
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk)
    booking.refresh_from_db()


def customer_booking(customer=None):
    return factories.booking(cust=customer or factories.customer(with_login=True))

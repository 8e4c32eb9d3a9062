"""Helpers for the payroll tests: a booking done by several fieldworkers, and a whole-database
snapshot of every table a refusal must leave alone (decision 0124)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.company.selectors import get_company
from core.payroll import services as pay
from core.payroll.selectors import today
from tests import factories

LABELS = ("accounts", "company", "crm", "catalog", "workforce", "bookings", "outreach", "sms", "chat", "sales",
          "payroll")
SYSTEM = Channel.SYSTEM
_slots = itertools.count(1)


def db_state() -> dict[str, list[dict[str, Any]]]:
    get_company()
    state: dict[str, list[dict[str, Any]]] = {}
    tables = set(connection.introspection.table_names())
    for label in LABELS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table in tables:
                state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def staffed_booking(workers, *, lines: list[tuple[Any, str]] | None = None, complete: bool = True, cust=None):
    """A booking of ``lines`` ((service, quantity) pairs) that each of ``workers`` accepted in order,
    completed unless ``complete`` is false."""
    system = Actor.system()
    first_service = lines[0][0] if lines else factories.service()
    start = timezone.now() + timedelta(days=3, hours=3 * next(_slots))  # no two at once: fieldworkers are free
    booking = factories.booking(svc=first_service, cust=cust, start=start, workers_required=max(len(workers), 1))
    if lines and (len(lines) > 1 or lines[0][1] != "1"):
        booking_services.booking_update(actor=system, channel=SYSTEM, booking_id=booking.pk, lines=[
            booking_services.LineInput(service_id=svc.pk, quantity=Decimal(qty)) for svc, qty in lines])
    for fw in workers:
        booking_services.booking_assign(actor=system, channel=SYSTEM, booking_id=booking.pk, fieldworker_id=fw.pk)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(fw), channel=SYSTEM,
                                            booking_id=booking.pk, accept=True)
    if complete:
        booking_services.booking_confirm(actor=system, channel=SYSTEM, booking_id=booking.pk)
        booking_services.booking_start(actor=system, channel=SYSTEM, booking_id=booking.pk)
        booking_services.booking_complete(actor=system, channel=SYSTEM, booking_id=booking.pk)
    booking.refresh_from_db()
    return booking


def agreement(fw, basis: str, *, rates=(), fixed=None, start: date | None = None, end: date | None = None):
    return pay.agreement_create(actor=Actor.system(), channel=SYSTEM, fieldworker_id=fw.pk, basis=basis,
                                effective_from=start or date(2020, 1, 1), effective_to=end, fixed_amount=fixed,
                                rates=[pay.RateInput(svc.pk, amount=amount, percent=percent)
                                       for svc, amount, percent in rates])


def this_period() -> tuple[date, date]:
    day = today()
    return day.replace(day=1), day

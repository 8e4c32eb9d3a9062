"""Helpers for the invoice tests: a completed booking, a whole-database snapshot of every table a
refusal must leave alone (the sales and outreach tables included), and PDF text."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.company.selectors import get_company
from core.sales.invoice_selectors import get_settings
from tests import factories

LABELS = ("accounts", "company", "crm", "catalog", "workforce", "bookings", "outreach", "sms", "chat",
          "sales")


def db_state() -> dict[str, list[dict[str, Any]]]:
    get_company()
    get_settings()
    state: dict[str, list[dict[str, Any]]] = {}
    tables = set(connection.introspection.table_names())
    for label in LABELS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table in tables:
                state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def completed_booking(*, price: str = "120.00", cust=None, quantity: str = "1"):
    svc = factories.service(price=Decimal(price), tax_rate=Decimal("10"))
    booking = factories.booking(svc=svc, cust=cust)
    system = Actor.system()
    if quantity != "1":
        booking_services.booking_update(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk, lines=[
            booking_services.LineInput(service_id=svc.pk, quantity=Decimal(quantity))])
    booking_services.booking_confirm(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk)
    booking_services.booking_start(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk)
    booking_services.booking_complete(actor=system, channel=Channel.SYSTEM, booking_id=booking.pk)
    booking.refresh_from_db()
    return booking


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_amount(text: str, label: str, currency: str = "AUD") -> Decimal:
    """The figure printed beside ``label`` (``Total``) in the PDF's text."""
    found = re.search(rf"(?m)^{re.escape(label)}\s+{currency}\s+(-?[\d.]+)\s*$", text)
    assert found is not None, f"{label} not found in:\n{text}"
    return Decimal(found.group(1))

"""The events an endpoint may receive and what each carries (decision 0060).

Every delivery's body is the envelope ``{"id", "type", "created_at", "data"}``. ``data`` holds
global ids as the GraphQL API gives them (``base64("Booking:42")``, so a receiver can ask the API
for more) and plain values: statuses, numbers, times, amounts. No names, addresses, phone numbers,
e-mail addresses or free text (a cancellation's reason, a complaint's description): a receiver that
needs them reads them through the API with its own token, under its own permissions.

:func:`describe` turns a domain event into ``[(type, data), ...]``: nothing for events no endpoint
can subscribe to. It reads nothing from the database except for ``invoice.paid`` (the payment
status the history row recorded), and only when an endpoint wants that type.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core import events
from core.complaints.events import ComplaintRaised
from core.crm.events import InquiryOpened
from core.sales.invoice_events import InvoiceIssued, PaymentRecorded
from core.sales.quote_events import QuoteChanged

EVENT_TYPES: dict[str, str] = {
    "booking.created": "A booking was made (one per occurrence of a series).",
    "booking.updated": "A booking's details changed (times, notes, lines, property...); `changed` names them.",
    "booking.status_changed": "A booking moved from one status to another, other than a cancellation.",
    "booking.cancelled": "A booking was cancelled (with the fee charged, if any).",
    "booking.assigned": "A fieldworker was offered or given a booking.",
    "booking.unassigned": "A fieldworker was taken off a booking.",
    "inquiry.created": "A new inquiry or lead reached the staff inbox.",
    "quote.sent": "A quote was sent to its customer.",
    "quote.accepted": "A quote was accepted.",
    "quote.declined": "A quote was declined.",
    "invoice.issued": "An invoice was issued (it has its number).",
    "invoice.payment_recorded": "A payment was recorded against an invoice.",
    "invoice.paid": "A payment made an invoice paid in full (or overpaid).",
    "complaint.raised": "A complaint was raised on a booking or a quote.",
}
TEST_EVENT = "webhook.test"  # sent by sendTestWebhook only; no endpoint subscribes to it


def relay_id(type_name: str, pk: int | None) -> str | None:
    """The global id the GraphQL API gives the object (``graphql_api.ids.encode_id``)."""
    return None if pk is None else base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def envelope(event_id: str, event_type: str, created_at: datetime | str, data: dict[str, Any]) -> str:
    created = created_at if isinstance(created_at, str) else created_at.isoformat()
    return json.dumps({"id": event_id, "type": event_type, "created_at": created, "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True)


def _int(value: Any) -> Any:
    """A booking's number is an integer in the API; the event carries it as text."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _common(event: Any) -> dict[str, Any]:
    return {"channel": event.channel, "actor_kind": event.actor_kind, "occurred_at": event.occurred_at}


def _booking(event: events.DomainEvent) -> dict[str, Any]:
    return {"booking_id": relay_id("Booking", event.booking_id), **_common(event)}


def _invoice(event: Any) -> dict[str, Any]:
    return {"invoice_id": relay_id("Invoice", event.invoice_id), "number": event.number, "status": event.status,
            "customer_id": relay_id("Customer", event.customer_id), **_common(event)}


def _paid_in_full(event: PaymentRecorded) -> bool:
    from core.sales.invoice_models import InvoiceEvent

    changes = InvoiceEvent.objects.filter(pk=event.event_id).values_list("changes", flat=True).first() or {}
    before, after = (changes.get("payment_status") or [None, None])[:2]
    return after in ("paid", "overpaid") and before not in ("paid", "overpaid")


def describe(event: Any, wanted: Callable[[str], bool]) -> list[tuple[str, dict[str, Any]]]:
    """The webhook events a domain event makes, limited to the types ``wanted`` says someone receives."""
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(event, events.BookingCreated):
        out.append(("booking.created", {**_booking(event), "number": _int(event.number), "status": event.status,
                                        "customer_id": relay_id("Customer", event.customer_id),
                                        "scheduled_start": event.scheduled_start,
                                        "scheduled_end": event.scheduled_end,
                                        "series_id": event.series_id}))
    elif isinstance(event, events.BookingCancelled):
        out.append(("booking.cancelled", {**_booking(event), "old_status": event.old_status,
                                          "new_status": event.new_status, "fee": event.fee}))
    elif isinstance(event, events.BookingStatusChanged):
        out.append(("booking.status_changed", {**_booking(event), "old_status": event.old_status,
                                               "new_status": event.new_status}))
    elif isinstance(event, events.BookingUpdated):
        out.append(("booking.updated", {**_booking(event), "changed": list(event.changed)}))
    elif isinstance(event, events.BookingAssigned):
        out.append(("booking.assigned", {**_booking(event),
                                         "fieldworker_id": relay_id("Fieldworker", event.fieldworker_id)}))
    elif isinstance(event, events.BookingUnassigned):
        out.append(("booking.unassigned", {**_booking(event),
                                           "fieldworker_id": relay_id("Fieldworker", event.fieldworker_id)}))
    elif isinstance(event, InquiryOpened):
        out.append(("inquiry.created", {"inquiry_id": relay_id("Inquiry", event.inquiry_id), "kind": event.kind,
                                        "customer_id": relay_id("Customer", event.customer_id),
                                        "booking_ids": [relay_id("Booking", pk) for pk in event.booking_ids],
                                        **_common(event)}))
    elif isinstance(event, QuoteChanged) and event.action in ("sent", "accepted", "declined"):
        out.append((f"quote.{event.action}", {
            "quote_id": relay_id("Quote", event.quote_id), "number": event.number, "status": event.status,
            "customer_id": relay_id("Customer", event.customer_id), **_common(event)}))
    elif isinstance(event, InvoiceIssued):
        out.append(("invoice.issued", _invoice(event)))
    elif isinstance(event, PaymentRecorded):
        out.append(("invoice.payment_recorded", {**_invoice(event), "amount": event.amount,
                                                 "payment_id": relay_id("Payment", event.payment_id)}))
        if wanted("invoice.paid") and _paid_in_full(event):
            out.append(("invoice.paid", _invoice(event)))
    elif isinstance(event, ComplaintRaised):
        out.append(("complaint.raised", {"complaint_id": relay_id("Complaint", event.complaint_id),
                                         "booking_id": relay_id("Booking", event.booking_id),
                                         "quote_id": relay_id("Quote", event.quote_id),
                                         "customer_id": relay_id("Customer", event.customer_id),
                                         **_common(event)}))
    return [(kind, data) for kind, data in out if wanted(kind)]

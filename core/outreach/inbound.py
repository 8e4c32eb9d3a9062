"""E-mail from customers: an answer to one of a booking's e-mails joins that booking's discussion,
anything else is filed in the staff inbox, and nothing is lost (decision 0614).

The mail provider's webhook is checked by the front (``conversations.email``); this service decides
where the e-mail goes:

* sent to a booking's reply address (``replies.reply_address``) from that booking's customer's own
  address: a customer message in the booking's discussion, channel ``email``;
* otherwise (a forwarded e-mail, an altered or plain address, a stranger): an inquiry in the inbox,
  linked to the booking when the address named one, so it also leaves a row on its timeline;
* no words left once the quoted e-mail is taken off: recorded, nothing filed.

Each provider call is recorded once by its one-time id; a replay finds the row and changes nothing.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.db import IntegrityError, transaction

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.crm import services as crm_services
from core.crm.models import Customer
from core.errors import DomainError, ValidationFailed
from core.text import without_nul

from . import replies
from .models import InboundEmail, InboundOutcome

MAX_BODY = 5000  # a discussion message's limit; the rest of a long e-mail is cut, with a mark
_CUT_MARK = "\n[…]"
# where the quoted e-mail starts: "On <date>, <name> wrote:" (one or two lines), an Outlook
# "-----Original Message-----" or header block, a "From:" line after a separator, a signature
_QUOTE_START = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*From:\s.+", re.IGNORECASE),
    re.compile(r"^-- ?$"),
)


def reply_text(text: str) -> str:
    """The customer's own words: the text above the quoted e-mail and the signature, without quoted
    (``>``) lines."""
    lines = without_nul(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        two_lines = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if any(pattern.match(line) for pattern in _QUOTE_START) or (
                line.lstrip().startswith("On ") and _QUOTE_START[0].match(two_lines)):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    body = "\n".join(kept).strip()
    return body if len(body) <= MAX_BODY else body[:MAX_BODY - len(_CUT_MARK)] + _CUT_MARK


def _address(value: str) -> str:
    return parseaddr(without_nul(value or ""))[1].strip().lower()


def inbound_email_receive(*, provider_id: str, sender: str, recipient: str, subject: str = "",
                          text: str = "", stripped_text: str = "", message_id: str = "") -> tuple[InboundEmail, bool]:
    """Record and file one inbound e-mail. Returns the row and whether this call created it (False: a
    replay of a call already recorded, which changed nothing). ``stripped_text`` is the provider's own
    reply without the quoted e-mail, preferred when given."""
    provider_id = without_nul(provider_id or "").strip()
    if not provider_id or len(provider_id) > 128:
        raise ValidationFailed("providerId", "The provider's id of the call is required (at most 128 characters).")
    address = _address(sender)
    if "@" not in address:
        raise ValidationFailed("sender", "The sender's address is required.")
    existing = InboundEmail.objects.filter(provider_id=provider_id).first()
    if existing is not None:
        return existing, False
    body = reply_text(stripped_text) or reply_text(text)
    subject = without_nul(subject or "").strip()[:255]
    booking_id = replies.booking_of(recipient)
    booking = Booking.objects.select_related("customer").filter(pk=booking_id).first() if booking_id else None
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                provider_id=provider_id, message_id=without_nul(message_id or "")[:255], sender=address[:254],
                recipient=_address(recipient)[:254], subject=subject, body=body, outcome=InboundOutcome.EMPTY,
                booking=booking)
            if body:
                _file(row, booking, address)
            return row, True
    except IntegrityError:  # the same call, recorded by a concurrent request a moment ago
        return InboundEmail.objects.get(provider_id=provider_id), False


def _file(row: InboundEmail, booking: Booking | None, address: str) -> None:
    customer = booking.customer if booking is not None else None
    if customer is not None and customer.email and customer.email.lower() == address:
        try:
            row.comment = booking_services.comment_add(
                actor=Actor.for_customer(customer), channel=Channel.EMAIL, booking_id=booking.pk, body=row.body)
        except DomainError:  # the booking no longer takes messages: staff answer it from the inbox
            pass
        else:
            row.outcome, row.customer = InboundOutcome.COMMENT, customer
            row.save(update_fields=["outcome", "customer", "comment"])
            return
    known = customer if customer is not None and customer.email.lower() == address else None
    if known is None:
        matches = list(Customer.objects.filter(email__iexact=address).only("pk", "user_id")[:2])
        known = matches[0] if len(matches) == 1 else None
    words = f"{row.subject}\n\n{row.body}" if row.subject else row.body
    row.inquiry = crm_services.inquiry_open(
        actor=Actor.anonymous(), channel=Channel.EMAIL, body=words,
        customer_id=known.pk if known is not None else None,
        booking_ids=(booking.pk,) if booking is not None else (), contact=address)
    row.outcome, row.customer = InboundOutcome.INQUIRY, known
    row.save(update_fields=["outcome", "customer", "inquiry"])

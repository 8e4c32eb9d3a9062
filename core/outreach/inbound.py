"""E-mail from customers: an answer to one of a booking's e-mails joins that booking's discussion,
anything else is filed in the staff inbox, and nothing is lost (decision 0614).

The mail provider's webhook is checked by the front (``conversations.email``); this service decides
where the e-mail goes:

* sent to a booking's reply address (``replies.reply_address``) from that booking's customer's own
  address: a customer message in the booking's discussion, channel ``email``;
* otherwise (a forwarded e-mail, an altered or plain address, a stranger): an inquiry in the inbox,
  linked to the booking when the address named one, so it also leaves a row on its timeline;
* no words left once the quoted e-mail is taken off, and no attachment: recorded, nothing filed.

Attachments (decision 0616): in the booking's thread each becomes a customer-visible file of the booking,
checked like any upload before the transaction opens; one refused (its type, its size, its name) is listed
with the reason, and the e-mail's words are kept. One ``email_attachments`` row on the timeline names the
comment, the files kept and those refused. In the inbox nothing is stored: the inquiry lists the names.

Each provider call is recorded once by its one-time id; a replay finds the row and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import IO

from django.db import IntegrityError, transaction

from core.actors import Actor, Channel
from core.bookings import history
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.crm import services as crm_services
from core.crm.models import Customer
from core.errors import DomainError, ValidationFailed
from core.files import services as file_services
from core.files.models import StoredFile
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


MAX_ATTACHMENTS = 10  # kept per e-mail; the rest are listed as refused
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Attachment:
    """One file the provider posted with the e-mail: the sender's file name, its bytes, their size."""

    name: str
    content: IO[bytes] | bytes
    size: int


@dataclass
class _Received:
    """An attachment on its way: as listed on the row, and once checked, what would be stored or why not."""

    listed: dict
    attachment: Attachment
    ready: file_services.Ready | None = None

    @property
    def name(self) -> str:
        return self.listed["name"]

    def refuse(self, code: str, message: str) -> None:
        self.ready = None
        self.listed.update(code=code, message=message)


def _shown_name(name: str, index: int) -> str:
    """The sender's file name as listed (never a storage name): plain text, at most 120 characters."""
    shown = _CONTROL.sub("", without_nul(name or "")).strip()[:120]
    return shown or f"attachment-{index}"


def _received(attachments: Sequence[Attachment]) -> list[_Received]:
    return [_Received(listed={"name": _shown_name(item.name, index), "size": max(0, int(item.size or 0))},
                      attachment=item)
            for index, item in enumerate(attachments, start=1)]


def _check(received: list[_Received]) -> None:
    """Check each attachment's content and name, as an upload's (before any write: decoding a photo
    holds no lock); the ones over ``MAX_ATTACHMENTS`` are refused unread."""
    for index, item in enumerate(received):
        if index >= MAX_ATTACHMENTS:
            item.refuse("too_many_files", f"At most {MAX_ATTACHMENTS} attachments of one e-mail are kept.")
            continue
        try:
            item.ready = file_services.file_ready(upload=item.attachment.content, name=item.attachment.name)
        except DomainError as exc:
            item.refuse(exc.code, exc.message)


def _goes_to_thread(booking: Booking | None, address: str) -> bool:
    customer = booking.customer if booking is not None else None
    return customer is not None and bool(customer.email) and customer.email.lower() == address


def inbound_email_receive(*, provider_id: str, sender: str, recipient: str, subject: str = "",
                          text: str = "", stripped_text: str = "", message_id: str = "",
                          attachments: Sequence[Attachment] = ()) -> tuple[InboundEmail, bool]:
    """Record and file one inbound e-mail. Returns the row and whether this call created it (False: a
    replay of a call already recorded, which changed nothing). ``stripped_text`` is the provider's own
    reply without the quoted e-mail, preferred when given. ``attachments``: the files that came with it."""
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
    received = _received(attachments)
    if received and _goes_to_thread(booking, address):
        _check(received)  # only for the thread: the inbox stores nothing, so a stranger's files are not decoded
    stored: list[StoredFile] = []
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                provider_id=provider_id, message_id=without_nul(message_id or "")[:255], sender=address[:254],
                recipient=_address(recipient)[:254], subject=subject, body=body, outcome=InboundOutcome.EMPTY,
                booking=booking, attachments=[item.listed for item in received])
            if body or received:
                _file(row, booking, address, received, stored)
            return row, True
    except BaseException as exc:
        file_services.file_bytes_discard(files=stored)  # their rows rolled back: no bytes without a row
        if isinstance(exc, IntegrityError):  # the same call, recorded by a concurrent request a moment ago?
            recorded = InboundEmail.objects.filter(provider_id=provider_id).first()
            if recorded is not None:
                return recorded, False
        raise


def _names(received: list[_Received]) -> str:
    return ", ".join(item.name for item in received)


def _file(row: InboundEmail, booking: Booking | None, address: str, received: list[_Received],
          stored: list[StoredFile]) -> None:
    customer = booking.customer if booking is not None else None
    if _goes_to_thread(booking, address):
        actor = Actor.for_customer(customer)
        count = f"{len(received)} attachment{'' if len(received) == 1 else 's'}"
        words = row.body or f"({count} by e-mail: {_names(received)})"[:MAX_BODY]
        try:
            row.comment = booking_services.comment_add(
                actor=actor, channel=Channel.EMAIL, booking_id=booking.pk, body=words)
        except DomainError:  # the booking no longer takes messages: staff answer it from the inbox
            pass
        else:
            row.outcome, row.customer = InboundOutcome.COMMENT, customer
            if received:
                _keep_attachments(row, booking, actor, received, stored)
            row.save(update_fields=["outcome", "customer", "comment", "attachments"])
            return
    known = customer if customer is not None and customer.email.lower() == address else None
    if known is None:
        matches = list(Customer.objects.filter(email__iexact=address).only("pk", "user_id")[:2])
        known = matches[0] if len(matches) == 1 else None
    words = f"{row.subject}\n\n{row.body}" if row.subject else row.body
    if received:  # the inbox keeps no files: staff see what came and ask the customer for it
        note = f"Attachments not kept ({len(received)}): {_names(received)}"[:1000]
        words = f"{words.strip()[:crm_services.MAX_BODY - len(note) - 2]}\n\n{note}".strip()
    row.inquiry = crm_services.inquiry_open(
        actor=Actor.anonymous(), channel=Channel.EMAIL, body=words,
        customer_id=known.pk if known is not None else None,
        booking_ids=(booking.pk,) if booking is not None else (), contact=address)
    row.outcome, row.customer = InboundOutcome.INQUIRY, known
    row.save(update_fields=["outcome", "customer", "inquiry"])


def _keep_attachments(row: InboundEmail, booking: Booking, actor: Actor, received: list[_Received],
                      stored: list[StoredFile]) -> None:
    """Store the checked attachments as the booking's files, visible to the customer who sent them, and
    note on the timeline what was kept and what was refused (with the comment it came with). ``stored``
    collects the files written, whose bytes go again if the transaction rolls back."""
    for item in received:
        if item.ready is None:
            continue
        stored.append(file_services.file_store_arrived(actor=actor, channel=Channel.EMAIL, booking_id=booking.pk,
                                                       ready=item.ready, customer_visible=True))
        item.listed["file_id"] = stored[-1].pk
    row.attachments = [item.listed for item in received]
    history.record(booking, actor=actor, channel=Channel.EMAIL, action="email_attachments", data={
        "comment_id": row.comment.pk, "inbound_email_id": row.pk,
        "added": [{"file_id": item.listed["file_id"], "name": item.name} for item in received
                  if "file_id" in item.listed],
        "refused": [{"name": item.name, "code": item.listed["code"], "message": item.listed["message"]}
                    for item in received if "code" in item.listed]})

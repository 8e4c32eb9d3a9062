"""Reads for the SMS log, prompts and opt-out state."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from core.actors import Actor, ActorKind, Channel
from core.bookings.models import OPEN_STATUSES, Booking, BookingComment
from core.crm.models import Customer
from core.errors import ValidationFailed
from core.phones import normalise_phone
from core.rawsql import Columns, moment

from .models import (
    CommentDelivery,
    DeliveryChannel,
    DeliveryStatus,
    Direction,
    PromptKind,
    SmsMessage,
    SmsOptOut,
    SmsPrompt,
)


def visible_sms(actor: Actor) -> QuerySet[SmsMessage]:
    """The SMS history is for staff: it holds other people's numbers and internal replies."""
    if actor.is_staff:
        return SmsMessage.objects.all()
    return SmsMessage.objects.none()


def sms_history(actor: Actor, *, customer_id: int | None = None, booking_id: int | None = None,
                status: str | None = None) -> QuerySet[SmsMessage]:
    qs = visible_sms(actor)
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if booking_id is not None:
        qs = qs.filter(booking_id=booking_id)
    return qs.order_by("created_at", "id")


_OPTED_OUT = "SELECT 1 FROM {table} WHERE number = %s AND opted_out = %s"


def is_opted_out(number: str) -> bool:
    """Every inbound SMS and automated send asks this, so the statement is written out (0409)."""
    with connection.cursor() as cursor:
        cursor.execute(_OPTED_OUT.format(table=SmsOptOut._meta.db_table), [number, True])
        return cursor.fetchone() is not None


_PROMPT = Columns(SmsPrompt, "id", "kind", "data", "booking", "created_at")
# What a reply needs of a prompted booking and its customer: enough to word the answer and to call
# the service (which loads the rest under its lock).
_PROMPT_BOOKING = Columns(Booking, "id", "number", "status", "scheduled_start", "time_zone", "customer")
_PROMPT_CUSTOMER = Columns(Customer, "id", "name", "mobile", "user")
_OPEN_PROMPTS = """
SELECT {prompt}, {booking}, {customer}
FROM {prompts} p
LEFT JOIN {bookings} b ON b.id = p.booking_id
LEFT JOIN {customers} c ON c.id = b.customer_id
WHERE p.customer_number = %s AND p.closed_at IS NULL AND (p.our_number = %s OR p.our_number = '')
  AND (p.expires_at IS NULL OR p.expires_at > %s)
ORDER BY p.created_at DESC, p.id DESC"""
_open_prompts_sql: list[str] = []


def open_prompts(customer_number: str, our_number: str) -> list[SmsPrompt]:
    """Every open prompt on the pair, newest first, with its booking and customer (the rest of
    their fields deferred): one statement for everything an inbound reply needs to know about
    what we asked. It runs on every inbound SMS, so it is written out (docs/decisions/0409);
    tests/core/test_rawsql.py compares it with the same filter in the ORM. Open: not closed, not
    expired, and asked from this number of ours or from any (a blank ``our_number``)."""
    if not _open_prompts_sql:
        _open_prompts_sql.append(_OPEN_PROMPTS.format(
            prompt=_PROMPT.select("p"), booking=_PROMPT_BOOKING.select("b"), customer=_PROMPT_CUSTOMER.select("c"),
            prompts=SmsPrompt._meta.db_table, bookings=Booking._meta.db_table, customers=Customer._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(_open_prompts_sql[0], [customer_number, our_number, moment(timezone.now())])
        rows = cursor.fetchall()
    out = []
    at_booking = len(_PROMPT)
    at_customer = at_booking + len(_PROMPT_BOOKING)
    for row in rows:
        prompt = _PROMPT.instance(row[:at_booking])
        if row[at_booking] is not None:
            booking = _PROMPT_BOOKING.instance(row[at_booking:at_customer])
            booking.customer = _PROMPT_CUSTOMER.instance(row[at_customer:])
            prompt.booking = booking
        out.append(prompt)
    return out


def prompted_open_booking_ids(customer_number: str, our_number: str) -> list[int]:
    """Bookings an actionable SMS on this pair was about and that are still open, newest first."""
    seen: list[int] = []
    for prompt in open_prompts(customer_number, our_number):
        if (prompt.kind == PromptKind.BOOKING and prompt.booking is not None
                and prompt.booking.status in OPEN_STATUSES and prompt.booking_id not in seen):
            seen.append(prompt.booking_id)
    return seen


# --- the booking discussion, delivered to the customer --------------------------------------------


def visible_comment_deliveries(actor: Actor) -> QuerySet[CommentDelivery]:
    """Delivery statuses are for staff: they name the customer's number or address and the errors."""
    return CommentDelivery.objects.all() if actor.is_staff else CommentDelivery.objects.none()


def last_used_channel(customer_id: int) -> str | None:
    """Through what the customer last wrote to us: ``sms`` (an inbound text), ``email`` (a message
    in the portal, on the page of an e-mail link or a reply to an e-mail), or None if they never did."""
    texted = (SmsMessage.objects.filter(customer_id=customer_id, direction=Direction.INBOUND)
              .order_by("-created_at").values_list("created_at", flat=True).first())
    wrote = (BookingComment.objects.filter(booking__customer_id=customer_id, author_kind=ActorKind.CUSTOMER,
                                           channel__in=(Channel.PORTAL, Channel.EMAIL_LINK, Channel.EMAIL))
             .order_by("-created_at").values_list("created_at", flat=True).first())
    if texted is None and wrote is None:
        return None
    if wrote is None or (texted is not None and texted >= wrote):
        return DeliveryChannel.SMS
    return DeliveryChannel.EMAIL


@dataclass(frozen=True)
class DeliveryPlan:
    """How one message would reach the customer now: ``channels`` usable, best first (each with its
    address in ``to``); when none is, ``status`` says why not (``not_sent_*``), ``reason`` gives each
    channel's reason and ``why`` the reason of the channel ``status`` speaks of (``opted_out``,
    ``paused_for_customer``...; blank when there is neither a mobile nor an address)."""

    channels: tuple[str, ...]
    to: dict[str, str]
    status: str = DeliveryStatus.QUEUED
    reason: str = ""
    via: str = DeliveryChannel.SMS  # with no usable channel: the one ``status`` speaks of
    why: str = ""


def _sms_block(customer: Customer, booking: Booking | None) -> tuple[str, str]:
    """(number, why it cannot be used or ""). Without a booking, only the customer's switches count."""
    try:
        number = normalise_phone(customer.mobile, field="mobile")
    except ValidationFailed:
        number = ""
    if not number:
        return "", "no_mobile"
    if is_opted_out(number):
        return number, "opted_out"
    if customer.automated_sms_paused:
        return number, "paused_for_customer"
    if booking is not None and booking.automated_sms_paused:
        return number, "paused_for_booking"
    return number, ""


def _email_block(customer: Customer, booking: Booking | None) -> tuple[str, str]:
    if not customer.email:
        return "", "no_address"
    if booking is not None and booking.automated_email_paused:
        return customer.email, "paused_for_booking"
    if customer.automated_email_paused:
        return customer.email, "paused_for_customer"
    return customer.email, ""


def channel_order(customer: Customer) -> list[str]:
    """The two channels in the order to try them for one message to the customer: the channel they
    asked for (``Customer.preferred_channel``, decision 0615), else the one they last wrote through,
    else SMS (0610); the other one is the fallback."""
    first = customer.preferred_channel or last_used_channel(customer.pk) or DeliveryChannel.SMS
    return [DeliveryChannel.EMAIL, DeliveryChannel.SMS] if first == DeliveryChannel.EMAIL else [
        DeliveryChannel.SMS, DeliveryChannel.EMAIL]


def delivery_plan(customer: Customer, booking: Booking | None = None, *, exclude: str = "") -> DeliveryPlan:
    """SMS while the customer has a mobile, has not opted out and texts are not paused for them (or
    the booking, when the message is about one); e-mail while there is an address and it is not
    paused. The channel the customer asked for comes first, else the one they last wrote through
    (``channel_order``, decisions 0610, 0615). ``exclude``: a channel already tried (the fallback
    after a failed SMS)."""
    order = channel_order(customer)
    blocks = {DeliveryChannel.SMS: _sms_block(customer, booking),
              DeliveryChannel.EMAIL: _email_block(customer, booking)}
    order = [channel for channel in order if channel != exclude]
    usable = tuple(channel for channel in order if not blocks[channel][1])
    reason = "; ".join(f"{channel}: {blocks[channel][1]}" for channel in order if blocks[channel][1])
    to = {channel: blocks[channel][0] for channel in order}
    if usable:
        return DeliveryPlan(usable, to, reason=reason)
    # Why not, from the first channel there is an address for: the customer opted out, or staff paused it.
    via = next((channel for channel in order if blocks[channel][0]), order[0])
    why = blocks[via][1] if blocks[via][0] else ""
    if why == "opted_out":
        status = DeliveryStatus.NOT_SENT_OPTED_OUT
    elif why.startswith("paused"):
        status = DeliveryStatus.NOT_SENT_PAUSED
    else:
        status = DeliveryStatus.NOT_SENT_NO_CONTACT
    return DeliveryPlan((), to, status=status, reason=reason, via=via, why=why)


def comment_delivery_plan(booking: Booking, customer: Customer, *, exclude: str = "") -> DeliveryPlan:
    """How a discussion message about ``booking`` would reach the customer (``delivery_plan``; the
    booking's pause switches count too)."""
    return delivery_plan(customer, booking, exclude=exclude)

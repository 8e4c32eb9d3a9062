"""The conversation table: every intent x every situation, through the signed webhook.

Each cell states the reply (a fragment, or no reply at all) and the one effect that must follow;
every cell also checks that nothing else changed (booking statuses, comments, inquiries, opt-out)
and that the reply is GSM-7 and at most two segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking, BookingComment, BookingEvent, BookingStatus
from core.company.models import FeeType
from core.company.selectors import get_company
from core.crm.models import Inquiry, InquiryKind
from core.sms import services as sms_services
from core.sms.models import PromptKind, SmsOptOut, SmsPrompt
from core.sms.text import is_gsm7, segments
from tests import factories

from .conftest import prompted_booking

UNKNOWN_NUMBER = "+61499888777"

INTENTS = {
    "cancel_number": "CANCEL {n}",
    "cancel": "Please cancel",
    "confirm": "Yes",
    "help": "HELP",
    "opt_out": "STOP",
    "opt_in": "START",
    "text": "Running 10 min late, gate code is 4411",
}


@dataclass
class World:
    sender: str
    bookings: list[Booking] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.bookings[0].number if self.bookings else 999999


def build(situation: str) -> World:
    company = get_company()
    company.phone = "+61290000000"
    company.save()
    if situation == "unknown":
        return World(UNKNOWN_NUMBER)
    customer = factories.customer()
    world = World(customer.mobile)
    if situation == "none":
        return world
    if situation == "several":
        world.bookings = [prompted_booking(customer, days=2), prompted_booking(customer, days=5)]
        return world
    if situation == "fee_window":
        company.cancellation_fee_type = FeeType.FIXED
        company.cancellation_fee_amount = Decimal("25.00")
        company.cancellation_notice_hours = 24
        company.save()
        world.bookings = [prompted_booking(customer, hours=5)]
        return world
    world.bookings = [prompted_booking(customer)]
    if situation == "flag_off":
        company.customers_may_cancel = False
        company.save()
    elif situation == "already_cancelled":
        booking_services.booking_cancel(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                        booking_id=world.bookings[0].pk, reason="Customer phoned")
    elif situation == "opted_out":
        sms_services.sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=customer.mobile, keyword="STOP")
    return world


def snapshot(world: World) -> dict:
    return {
        "statuses": {b.pk: Booking.objects.get(pk=b.pk).status for b in world.bookings},
        "comments": list(BookingComment.objects.values_list("booking_id", "channel", "body")),
        "inquiries": [(i.kind, tuple(b.pk for b in i.bookings.order_by("pk")), i.contact)
                      for i in Inquiry.objects.all()],
        "opted_out": SmsOptOut.objects.filter(number=world.sender, opted_out=True).exists(),
        "dialogs": list(SmsPrompt.objects.filter(closed_at__isnull=True).exclude(kind=PromptKind.BOOKING)
                        .values_list("kind", flat=True)),
    }


# effects: what must differ from the snapshot before the message (everything else must not)
CANCELLED, CONFIRMED, COMMENT, INQUIRY, CANCEL_REQUEST = "cancelled", "confirmed", "comment", "inquiry", "request"
OPTED_OUT, OPTED_IN, FEE_ASKED, ASKED_WHICH, NOTHING = "opted_out", "opted_in", "fee", "which", "nothing"

HELP_REPLY = ("Call +61290000000", NOTHING)
SILENT_OPT_OUT = (None, OPTED_OUT)
SILENT_OPT_IN = (None, OPTED_IN)
NO_OPEN = ("could not find an open booking", INQUIRY)
NOT_MATCHED = ("could not match this number", INQUIRY)

TABLE: dict[str, dict[str, tuple[str | None, str]]] = {
    "one": {
        "cancel_number": ("is cancelled", CANCELLED), "cancel": ("is cancelled", CANCELLED),
        "confirm": ("is confirmed", CONFIRMED), "help": HELP_REPLY, "opt_out": SILENT_OPT_OUT,
        "opt_in": SILENT_OPT_IN, "text": ("passed your message on", COMMENT),
    },
    "several": {
        "cancel_number": ("is cancelled", CANCELLED), "cancel": ("Which booking do you want to cancel", ASKED_WHICH),
        "confirm": ("Which booking do you want to confirm", ASKED_WHICH), "help": HELP_REPLY,
        "opt_out": SILENT_OPT_OUT, "opt_in": SILENT_OPT_IN, "text": ("Which booking", ASKED_WHICH),
    },
    "none": {
        "cancel_number": ("could not find booking #999999", NOTHING), "cancel": NO_OPEN, "confirm": NO_OPEN,
        "help": HELP_REPLY, "opt_out": SILENT_OPT_OUT, "opt_in": SILENT_OPT_IN, "text": NO_OPEN,
    },
    "unknown": {
        "cancel_number": NOT_MATCHED, "cancel": NOT_MATCHED, "confirm": NOT_MATCHED, "help": HELP_REPLY,
        "opt_out": SILENT_OPT_OUT, "opt_in": SILENT_OPT_IN, "text": NOT_MATCHED,
    },
    "flag_off": {
        "cancel_number": ("cannot be cancelled by text", NOTHING), "cancel": ("call Fieldops", NOTHING),
        "confirm": ("is confirmed", CONFIRMED), "help": HELP_REPLY, "opt_out": SILENT_OPT_OUT,
        "opt_in": SILENT_OPT_IN, "text": ("passed your message on", COMMENT),
    },
    "fee_window": {
        "cancel_number": ("fee of 25.00 AUD", FEE_ASKED), "cancel": ("Reply YES to cancel and accept", FEE_ASKED),
        "confirm": ("is confirmed", CONFIRMED), "help": HELP_REPLY, "opt_out": SILENT_OPT_OUT,
        "opt_in": SILENT_OPT_IN, "text": ("passed your message on", COMMENT),
    },
    "already_cancelled": {
        "cancel_number": ("is already cancelled", NOTHING), "cancel": NO_OPEN, "confirm": NO_OPEN,
        "help": HELP_REPLY, "opt_out": SILENT_OPT_OUT, "opt_in": SILENT_OPT_IN, "text": NO_OPEN,
    },
    "opted_out": {
        "cancel_number": (None, CANCEL_REQUEST), "cancel": (None, CANCEL_REQUEST),
        # YES is also a carrier opt-in word: the carrier re-subscribes the number, and so do we
        "confirm": SILENT_OPT_IN,
        "help": (None, NOTHING), "opt_out": (None, NOTHING), "opt_in": SILENT_OPT_IN, "text": (None, INQUIRY),
    },
}

CELLS = [(situation, intent) for situation, row in TABLE.items() for intent in row]


def expected_after(before: dict, effect: str, world: World, body: str) -> dict:
    after = {**before, "statuses": dict(before["statuses"]), "comments": list(before["comments"]),
             "inquiries": list(before["inquiries"]), "dialogs": list(before["dialogs"])}
    first = world.bookings[0] if world.bookings else None
    if effect == CANCELLED:
        after["statuses"][first.pk] = BookingStatus.CANCELLED
    elif effect == CONFIRMED:
        after["statuses"][first.pk] = BookingStatus.CONFIRMED
    elif effect == COMMENT:
        after["comments"].append((first.pk, "sms", body))
    elif effect == INQUIRY:
        linked = (first.pk,) if first is not None and first.status != BookingStatus.CANCELLED and \
            before["opted_out"] else ()
        after["inquiries"].insert(0, ("inquiry", linked, world.sender))
    elif effect == CANCEL_REQUEST:
        after["inquiries"].insert(0, (InquiryKind.CANCELLATION_REQUEST, (first.pk,), world.sender))
    elif effect == OPTED_OUT:
        after["opted_out"] = True
    elif effect == OPTED_IN:
        after["opted_out"] = False
    elif effect == FEE_ASKED:
        after["dialogs"].append(PromptKind.CANCEL_FEE)
    elif effect == ASKED_WHICH:
        after["dialogs"].append(PromptKind.CHOOSE)
    return after


@pytest.mark.parametrize(("situation", "intent"), CELLS, ids=[f"{s}-{i}" for s, i in CELLS])
def test_conversation_cell(db, sms, situation, intent):
    world = build(situation)
    body = INTENTS[intent].format(n=world.n)
    expected_reply, effect = TABLE[situation][intent]
    before = snapshot(world)

    reply = sms(body, world.sender)

    assert reply.status == 200
    if expected_reply is None:
        assert reply.messages == [], f"expected no reply, got {reply.text!r}"
    else:
        assert expected_reply in reply.text, reply.text
        assert is_gsm7(reply.text) and segments(reply.text) <= 2, reply.text
        assert len(reply.messages) == 1
    assert snapshot(world) == expected_after(before, effect, world, body)


def test_a_cancel_by_sms_is_recorded_with_channel_sms_and_the_customer_as_actor(db, sms):
    world = build("one")
    sms(f"CANCEL {world.n}", world.sender)
    row = BookingEvent.objects.get(booking=world.bookings[0], action="cancelled")
    assert (row.channel, row.actor_kind) == ("sms", "customer")
    assert "CANCEL" in row.data["reason"]


def test_a_prompt_on_another_of_our_numbers_does_not_answer_for_this_pair(db, sms):
    customer = factories.customer()
    booking = prompted_booking(customer)
    reply = sms("yes", customer.mobile, to="+61400111222")
    # no prompt on this pair: the customer's open bookings are the candidates (only one here)
    assert "is confirmed" in reply.text
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_later_start_for_a_fee_window_booking_is_not_treated_as_free(db, sms):
    world = build("fee_window")
    booking = world.bookings[0]
    assert booking.scheduled_start - booking.created_at < timedelta(hours=24)
    reply = sms("cancel", world.sender)  # bare CANCEL is a carrier opt-out under default rules
    assert reply.messages == []
    booking.refresh_from_db()
    assert booking.status != BookingStatus.CANCELLED


def test_an_opted_out_customer_confirming_in_words_is_passed_to_staff_not_acted_on(db, sms):
    world = build("opted_out")
    reply = sms("Confirm", world.sender)
    assert reply.messages == []
    assert Booking.objects.get(pk=world.bookings[0].pk).status == BookingStatus.PENDING
    [inquiry] = Inquiry.objects.all()
    assert (inquiry.kind, list(inquiry.bookings.all())) == ("inquiry", [world.bookings[0]])
    assert SmsOptOut.objects.get(number=world.sender).opted_out

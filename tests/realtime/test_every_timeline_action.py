"""Every history action the code can write reaches a live subscriber (house rule 11).

The actions are read from the source (every ``history.record(..., action=...)`` and every
``_transition(..., action=...)``), so a new timeline action without a scenario here fails the first
test; each scenario then drives real services and a staff board (``bookingEvents``), the booking's
discussion (``bookingDiscussion``) or its deliveries to the customer (``commentDeliveries``) over a real
WebSocket must receive one message per new row."""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import series as series_services
from core.bookings import services as bookings
from core.bookings.models import BookingEvent
from core.chat import services as chat_services
from core.crm import services as crm_services
from graphql_api.ids import encode_id
from tests import factories

from .support import DELIVERIES, DISCUSSION, EVENTS, Client, members, wait_members

CORE = pathlib.Path(__file__).resolve().parents[2] / "core"
WRITERS = {"record", "_transition"}  # history.record, and the status helper that passes its action on


def _constants(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def actions_in_source() -> set[str]:
    found: set[str] = set()
    for path in CORE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in WRITERS:
                continue
            if name == "record" and not (isinstance(node.func, ast.Attribute)
                                         and getattr(node.func.value, "id", "") == "history"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "action":
                    found |= _constants(keyword.value)
    return found


# --- scenarios: each writes at least the row(s) of its action, through the services ------------------

S = Channel.GRAPHQL


def _accepted(w, *, confirmed: bool = False) -> Any:
    b = factories.booking(cust=w.customer, actor=w.staff_actor, start=timezone.now() + timedelta(days=5))
    if confirmed:
        bookings.booking_confirm(actor=w.staff_actor, channel=S, booking_id=b.pk)
    bookings.booking_assign(actor=w.staff_actor, channel=S, booking_id=b.pk, fieldworker_id=w.fieldworker.pk)
    bookings.assignment_respond(actor=w.fieldworker_actor, channel=Channel.TELEGRAM, booking_id=b.pk, accept=True)
    return b


def _series_conflict(w) -> None:
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                                           microsecond=0)
    busy = factories.booking(cust=w.customer, actor=w.staff_actor, start=start, hours=2)
    bookings.booking_assign(actor=w.staff_actor, channel=S, booking_id=busy.pk,
                            fieldworker_id=w.other_fieldworker.pk)
    series_services.series_create(
        actor=w.staff_actor, channel=S, customer_id=w.customer.pk, rule="FREQ=DAILY;COUNT=1",
        start_date=start.date(), start_time=time(10, 0), duration_minutes=60,
        time_zone=str(timezone.get_current_timezone()), fieldworker_ids=[w.other_fieldworker.pk])


def _inquiry_replied(w) -> None:
    inquiry = crm_services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="Hello?",
                                        contact="+61499888777")
    crm_services.inquiry_link(actor=w.staff_actor, channel=S, inquiry_id=inquiry.pk, booking_ids=[w.booking.pk])
    crm_services.inquiry_reply(actor=w.staff_actor, channel=S, inquiry_id=inquiry.pk, body="Hi, how can we help?")


def _series(w) -> Any:
    start = timezone.localtime(timezone.now() + timedelta(days=3))
    return series_services.series_create(
        actor=w.staff_actor, channel=S, customer_id=w.customer.pk, rule="FREQ=WEEKLY;COUNT=2",
        start_date=start.date(), start_time=time(10, 0), duration_minutes=60,
        time_zone=str(timezone.get_current_timezone()))


def _series_cancelled(w) -> None:
    first = _series(w).created[0]
    series_services.series_cancel(actor=w.staff_actor, channel=S, booking_id=first.pk, scope="all",
                                  reason="Customer moved")


def _line_price(w, *, reset: bool = False) -> None:
    line = w.booking.lines.first()
    bookings.booking_line_price_set(actor=w.staff_actor, channel=S, booking_id=w.booking.pk, line_id=line.pk,
                                    unit_price=Decimal("1"))
    if reset:
        bookings.booking_line_price_set(actor=w.staff_actor, channel=S, booking_id=w.booking.pk, line_id=line.pk,
                                        unit_price=None)


def _custom_fields_set(w) -> None:
    from core.jobdata import services as jobdata

    jobdata.field_create(actor=w.staff_actor, channel=S, target="booking", label="Gate code", field_type="short_text")
    jobdata.values_set(actor=w.staff_actor, channel=S, target="booking", object_id=w.booking.pk,
                       values={"gate_code": "1234"})


def _png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (40, 20), "white")
    ImageDraw.Draw(image).line((2, 10, 38, 12), fill="black", width=3)  # a stroke: a signature is not blank
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _file_added(w) -> Any:
    from core.files import services as files

    return files.file_upload_to_booking(actor=w.staff_actor, channel=S, booking_id=w.booking.pk, upload=_png(),
                                        name="before.png")


def _file_removed(w) -> None:
    from core.files import services as files

    files.file_delete(actor=w.staff_actor, channel=S, file_id=_file_added(w).pk)


def _signed(w) -> None:
    from core.files import services as files

    files.signature_add(actor=w.staff_actor, channel=S, booking_id=w.booking.pk, png=_png(), signer_name="Jo")


def _form_submitted(w) -> None:
    from core.jobdata import forms_services as forms

    template = forms.form_template_create(actor=w.staff_actor, channel=S, name="Checks", booking_id=w.booking.pk,
                                          elements=[{"kind": "short_text", "label": "Gate code"}])
    forms.form_submit(actor=w.staff_actor, channel=S, booking_id=w.booking.pk, template_id=template.pk,
                      answers={"gate_code": "1234"})


def _email_attachments(w) -> None:
    """The customer answers the booking's e-mail with a photo attached (decision 0616)."""
    import secrets

    from core.outreach import inbound, replies

    photo = _png()
    inbound.inbound_email_receive(
        provider_id=secrets.token_hex(8), sender=w.customer.email, recipient=replies.reply_address(w.booking.pk),
        text="The leak is here", attachments=[inbound.Attachment(name="leak.png", content=photo, size=len(photo))])


def _completed(w) -> Any:
    return bookings.booking_complete(actor=w.staff_actor, channel=S, booking_id=bookings.booking_start(
        actor=w.staff_actor, channel=S, booking_id=_accepted(w, confirmed=True).pk).pk)


def _reviewed(w, *, changed: bool = False) -> None:
    """The customer rates their completed job (decision 0631), and changes the rating."""
    from core.reviews import services as reviews

    booking = _completed(w)
    customer = Actor.for_customer(w.customer)
    reviews.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=5, comment="Great")
    if changed:
        reviews.review_submit(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk, rating=4,
                              comment="Good", may_publish=True)


SCENARIOS: dict[str, Callable[[Any], Any]] = {
    "created": lambda w: factories.booking(cust=w.customer, actor=w.staff_actor),
    "updated": lambda w: bookings.booking_update(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                 notes="Gate code 1234"),
    "rescheduled": lambda w: bookings.booking_reschedule(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                         new_start=w.booking.scheduled_start + timedelta(days=1)),
    "confirmed": lambda w: bookings.booking_confirm(actor=w.staff_actor, channel=S, booking_id=w.booking.pk),
    "assigned": lambda w: bookings.booking_assign(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                  fieldworker_id=w.other_fieldworker.pk),
    "unassigned": lambda w: bookings.booking_unassign(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                      fieldworker_id=w.fieldworker.pk),
    "declined": lambda w: bookings.assignment_respond(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                      fieldworker_id=w.fieldworker.pk, accept=False,
                                                      reason="Sick"),
    "accepted": _accepted,
    "started": lambda w: bookings.booking_start(actor=w.staff_actor, channel=S,
                                                booking_id=_accepted(w, confirmed=True).pk),
    "completed": lambda w: bookings.booking_complete(
        actor=w.staff_actor, channel=S, booking_id=bookings.booking_start(
            actor=w.staff_actor, channel=S, booking_id=_accepted(w, confirmed=True).pk).pk),
    "cancelled": lambda w: bookings.booking_cancel(actor=w.staff_actor, channel=S, booking_id=w.other_booking.pk,
                                                   reason="Customer moved"),
    "owner_changed": lambda w: bookings.booking_change_owner(actor=w.staff_actor, channel=S,
                                                             booking_id=w.booking.pk,
                                                             owner_id=factories.staff_user().pk),
    "automation_changed": lambda w: bookings.booking_set_automation(actor=w.staff_actor, channel=S,
                                                                    booking_id=w.booking.pk, sms_paused=True),
    "comment_added": lambda w: bookings.comment_add(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                    body="Internal: bring the ladder"),
    # a customer-visible message goes to the customer (by SMS here): its delivery is a row too
    "comment_delivery": lambda w: bookings.comment_add(actor=w.staff_actor, channel=S, booking_id=w.booking.pk,
                                                       body="We will arrive at 9", visible_to_customer=True),
    "cancellation_requested": lambda w: crm_services.inquiry_open(
        actor=Actor.for_customer(w.customer), channel=Channel.SMS, kind="cancellation_request",
        body="CANCEL", customer_id=w.customer.pk, booking_ids=[w.booking.pk], contact=w.customer.mobile),
    "inquiry_received": lambda w: crm_services.inquiry_open(
        actor=Actor.for_customer(w.customer), channel=Channel.SMS, body="Is 10 ok?", customer_id=w.customer.pk,
        booking_ids=[w.booking.pk], contact=w.customer.mobile),
    "inquiry_replied": _inquiry_replied,
    "on_my_way": lambda w: chat_services.booking_on_my_way(actor=w.fieldworker_actor, channel=Channel.TELEGRAM,
                                                           booking_id=_accepted(w).pk),
    "attachment_added": lambda w: chat_services.attachment_add(
        actor=w.fieldworker_actor, channel=Channel.TELEGRAM, booking_id=_accepted(w).pk,
        telegram_file_id="file-1", telegram_file_unique_id="uniq-1", caption="Before"),
    "assignment_conflict": _series_conflict,
    "series_booked": _series,
    "series_cancelled": _series_cancelled,
    "line_price_set": lambda w: _line_price(w),
    "line_price_reset": lambda w: _line_price(w, reset=True),
    "custom_fields_set": _custom_fields_set,
    "file_added": _file_added,
    "file_removed": _file_removed,
    "signed": _signed,
    "form_submitted": _form_submitted,
    "email_attachments": _email_attachments,
    "review_received": _reviewed,
    "review_changed": lambda w: _reviewed(w, changed=True),
}


def test_every_action_in_the_source_has_a_scenario():
    found = actions_in_source()
    assert {"created", "cancelled", "cancellation_requested", "on_my_way"} <= found  # the reader works
    missing = found - set(SCENARIOS)
    assert not missing, f"timeline actions without a live-event scenario here: {sorted(missing)}"


def _last_row_id() -> int:
    row = BookingEvent.objects.order_by("-id").first()
    return row.pk if row else 0


def _rows_after(row_id: int) -> list[tuple[int, int, str]]:
    return list(BookingEvent.objects.filter(pk__gt=row_id).order_by("id").values_list("id", "booking_id", "action"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", sorted(SCENARIOS))
async def test_each_timeline_action_reaches_a_live_subscriber(app, world, action):
    board = await Client(app).open(world.staff_token)
    before = await members("bookings")
    await board.subscribe("e", EVENTS, {"filter": None})
    await wait_members("bookings", before + 1)
    talk = await Client(app).open(world.staff_token)
    group = f"booking.{world.booking.pk}"
    before = await members(group)
    await talk.subscribe("d", DISCUSSION, {"id": encode_id("Booking", world.booking.pk)})
    await talk.subscribe("c", DELIVERIES, {"id": encode_id("Booking", world.booking.pk)})
    await wait_members(group, before + 2)

    start = await database_sync_to_async(_last_row_id)()
    await database_sync_to_async(SCENARIOS[action])(world)
    rows = await database_sync_to_async(_rows_after)(start)
    assert action in {row_action for _id, _booking, row_action in rows}

    discussion = ("comment_added", "comment_delivery")  # on the booking's own streams, not the boards
    board_rows = [(encode_id("BookingHistoryEntry", pk), act) for pk, _b, act in rows if act not in discussion]
    got = []
    for _ in board_rows:
        message = await board.receive()
        assert message["type"] == "next" and "errors" not in message["payload"], message
        event = message["payload"]["data"]["bookingEvents"]
        got.append((event["eventId"], event["action"]))
    # one message per row, in order; the live action is the event's verb (a confirmation is a
    # status_changed, a pause an updated), and a row without an event class of its own keeps its action
    assert [event_id for event_id, _ in got] == [event_id for event_id, _ in board_rows]
    own = {"status_changed": {"confirmed", "started", "completed"},
           "updated": {"updated", "automation_changed", "rescheduled", "line_price_set", "line_price_reset"}}
    for (_, live), (_, row) in zip(got, board_rows, strict=True):
        assert live == row or row in own.get(live, ()), (live, row)
    streams = {"comment_added": ("d", "bookingDiscussion"), "comment_delivery": ("c", "commentDeliveries")}
    for pk, _b, act in rows:
        if act in streams:  # in order on the one connection: the comment, then its delivery
            message = await talk.receive()
            stream, field = streams[act]
            assert message["id"] == stream
            assert message["payload"]["data"][field]["eventId"] == encode_id("BookingHistoryEntry", pk)
    assert await talk.nothing()
    assert await board.nothing()
    await board.close()
    await talk.close()


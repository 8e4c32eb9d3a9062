"""The words the bot says, and the buttons it shows. Callback data is short (Telegram allows 64
bytes) and is never trusted: it names an action and a booking id, nothing else."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from core.bookings.models import Booking, BookingStatus
from core.company.selectors import get_company

Buttons = list[list[list[str]]]  # rows of [label, callback data]

# callback actions (the part before the first ':')
ACCEPT, DECLINE, DECLINE_REASON, DECLINE_OTHER = "a", "d", "dr", "do"
ON_MY_WAY, START, COMPLETE, NOTE, PHOTO, CANCEL = "w", "s", "c", "n", "p", "x"
ACTIONS = frozenset({ACCEPT, DECLINE, DECLINE_REASON, DECLINE_OTHER, ON_MY_WAY, START, COMPLETE, NOTE, PHOTO,
                     CANCEL})


def data(action: str, booking_id: int, extra: int | None = None) -> str:
    value = f"{action}:{booking_id}" + (f":{extra}" if extra is not None else "")
    assert len(value.encode()) <= 64
    return value


def company_zone() -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(get_company().time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local(value: datetime, tz: zoneinfo.ZoneInfo | None = None) -> datetime:
    return value.astimezone(tz or company_zone())


def when(booking: Booking, tz: zoneinfo.ZoneInfo | None = None) -> str:
    start, end = local(booking.scheduled_start, tz), local(booking.scheduled_end, tz)
    return f"{start:%a} {start.day} {start:%b} {start:%H:%M}-{end:%H:%M}"


def where(booking: Booking) -> str:
    prop = booking.property
    if prop is None:
        return ""
    parts = [getattr(prop, "address", ""), getattr(prop, "city", ""), getattr(prop, "postcode", "")]
    return ", ".join(part for part in parts if part)


def what(booking: Booking) -> str:
    return ", ".join(line.description for line in booking.lines.all()) or "Job"


def job_summary(booking: Booking, tz: zoneinfo.ZoneInfo | None = None) -> str:
    lines = [f"Job #{booking.number}: {what(booking)}", when(booking, tz)]
    place = where(booking)
    if place:
        lines.append(place)
    return "\n".join(lines)


def offer(booking: Booking) -> str:
    return f"New job offer\n{job_summary(booking)}"


def offer_buttons(booking_id: int) -> Buttons:
    return [[["Accept", data(ACCEPT, booking_id)], ["Decline", data(DECLINE, booking_id)]]]


def offer_sms(booking: Booking) -> str:
    return (f"New job offer #{booking.number}: {what(booking)}, {when(booking)}. "
            f"Open the chat or call the office to accept.")


def job_buttons(booking: Booking, *, may_cancel: bool = True) -> Buttons:
    rows: Buttons = []
    if booking.status == BookingStatus.CONFIRMED:
        rows.append([["On my way", data(ON_MY_WAY, booking.pk)], ["Start", data(START, booking.pk)]])
    elif booking.status == BookingStatus.PENDING:  # not confirmed yet: it cannot start
        rows.append([["On my way", data(ON_MY_WAY, booking.pk)]])
    elif booking.status == BookingStatus.IN_PROGRESS:
        rows.append([["Complete", data(COMPLETE, booking.pk)]])
    if booking.is_open:
        rows.append([["Note", data(NOTE, booking.pk)], ["Photo", data(PHOTO, booking.pk)]])
        if may_cancel:
            rows.append([["Cancel job", data(CANCEL, booking.pk)]])
    return rows


def decline_buttons(booking_id: int, reasons: list[tuple[int, str]]) -> Buttons:
    rows: Buttons = [[[label, data(DECLINE_REASON, booking_id, pk)]] for pk, label in reasons]
    rows.append([["Other (type it)", data(DECLINE_OTHER, booking_id)]])
    return rows


NOT_LINKED = ("This chat is not linked to a fieldworker. Ask the office for a link and open it on this phone.")
HELP = ("/today: today's jobs\n/next: your next job\n/jobs: your upcoming jobs\n"
        "Reply to a job message with text to add a note, or with a photo to attach it.")

# What a DomainError code sounds like in the chat.
ERRORS = {
    "job_taken": "Sorry, this job has already been taken.",
    "already_responded": "You already answered this offer.",
    "not_open": "This job is no longer open.",
    "not_found": "That job is not yours or no longer exists.",
    "not_accepted": "Accept the job first.",
    "illegal_transition": "That cannot be done at this stage of the job.",
    "already_cancelled": "This job is already cancelled.",
    "reason_required": "Please give a reason.",
    "too_long": "That is too long.",
    "link_unknown": "That link is not valid. Ask the office for a new one.",
    "link_used": "That link was already used. Ask the office for a new one.",
    "link_expired": "That link has expired. Ask the office for a new one.",
}


def error(code: str, message: str = "") -> str:
    return ERRORS.get(code) or message or "That did not work."

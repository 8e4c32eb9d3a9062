"""The words the bot says, and the buttons it shows. Callback data is short (Telegram allows 64
bytes) and is never trusted: it names an action and a booking id, nothing else."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from core.actors import ActorKind
from core.bookings import zones
from core.bookings.models import Booking, BookingComment, BookingStatus
from core.company.selectors import get_company

Buttons = list[list[list[str]]]  # rows of [label, callback data]

# callback actions (the part before the first ':')
ACCEPT, DECLINE, DECLINE_REASON, DECLINE_OTHER = "a", "d", "dr", "do"
ON_MY_WAY, START, COMPLETE, NOTE, PHOTO, CANCEL, THREAD = "w", "s", "c", "n", "p", "x", "t"
SIGN = "g"  # a signing link for the customer (core.files, decision 0925)
# forms: open the job's forms, pick one, answer (question position * 100 + option), skip, submit
FORM, FORM_PICK, FORM_ANSWER, FORM_SKIP, FORM_SUBMIT = "f", "fp", "fa", "fk", "fs"
ACTIONS = frozenset({ACCEPT, DECLINE, DECLINE_REASON, DECLINE_OTHER, ON_MY_WAY, START, COMPLETE, NOTE, PHOTO,
                     CANCEL, THREAD, SIGN, FORM, FORM_PICK, FORM_ANSWER, FORM_SKIP, FORM_SUBMIT})
WITH_EXTRA = frozenset({DECLINE_REASON, FORM_PICK, FORM_ANSWER, FORM_SKIP, FORM_SUBMIT})


def data(action: str, booking_id: int, extra: int | None = None) -> str:
    value = f"{action}:{booking_id}" + (f":{extra}" if extra is not None else "")
    assert len(value.encode()) <= 64
    return value


def company_zone() -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(get_company().time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def booking_zone(booking: Booking) -> zoneinfo.ZoneInfo:
    """The booking's time zone, else its property's, else the company's (the one rule: ``zones.zone_of``)."""
    return zones.zone_of(booking)


def local(value: datetime, tz: zoneinfo.ZoneInfo | None = None) -> datetime:
    return value.astimezone(tz or company_zone())


def when(booking: Booking, tz: zoneinfo.ZoneInfo | None = None) -> str:
    """'Tue 3 Mar 14:00-16:00' on the wall clock of the booking's zone (``zones.zone_of``)."""
    tz = tz or booking_zone(booking)
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
        rows.append([["Complete", data(COMPLETE, booking.pk)], ["Signature", data(SIGN, booking.pk)]])
    if booking.is_open:
        rows.append([["Note", data(NOTE, booking.pk)], ["Photo", data(PHOTO, booking.pk)],
                     ["Discussion", data(THREAD, booking.pk)]])
        rows.append([["Fill form", data(FORM, booking.pk)]])
        if may_cancel:
            rows.append([["Cancel job", data(CANCEL, booking.pk)]])
    return rows


def decline_buttons(booking_id: int, reasons: list[tuple[int, str]]) -> Buttons:
    rows: Buttons = [[[label, data(DECLINE_REASON, booking_id, pk)]] for pk, label in reasons]
    rows.append([["Other (type it)", data(DECLINE_OTHER, booking_id)]])
    return rows


NOT_LINKED = ("This chat is not linked to a fieldworker. Ask the office for a link and open it on this phone.")
HELP = ("/today: today's jobs\n/next: your next job\n/jobs: your upcoming jobs\n"
        "/thread 1042: the discussion of job #1042\n"
        "/tell 1042 text: write to the customer of job #1042\n"
        "/note 1042 text: an internal note (the customer does not see it)\n"
        "/profile: your profile; /profile bio text: change it\n"
        "Reply to a customer's message to answer them; start the reply with /note to keep it internal.\n"
        "Reply to a job message with text to add an internal note, or with a photo to attach it.")
NOTE_PROMPT = "Type your internal note for job #{number} (the customer does not see it)."

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
    "required": "That message is empty.",
    "link_unknown": "That link is not valid. Ask the office for a new one.",
    "link_used": "That link was already used. Ask the office for a new one.",
    "link_expired": "That link has expired. Ask the office for a new one.",
}


def error(code: str, message: str = "") -> str:
    return ERRORS.get(code) or message or "That did not work."


# --- the discussion of a job -------------------------------------------------------------------------------

MAX_BODY_IN_THREAD = 200  # 15 messages and the framing stay under Telegram's 4096 characters


def customer_first_name(booking: Booking) -> str:
    name = (booking.customer.name or "").split()
    return name[0] if name else "the customer"


def stamp(value: datetime, tz: zoneinfo.ZoneInfo) -> str:
    moment = local(value, tz)
    return f"{moment:%a} {moment.day} {moment:%b} {moment:%H:%M}"


def author(comment: BookingComment, *, viewer_user_id: int | None = None) -> str:
    """Who wrote it, as the fieldworker reading the chat should understand it."""
    if viewer_user_id is not None and comment.author_user_id == viewer_user_id:
        return "You"
    if comment.author_kind == ActorKind.CUSTOMER:
        return f"{comment.author_name} (customer)"
    if comment.author_kind == ActorKind.STAFF:
        return f"{comment.author_name} (office)"
    if comment.author_kind == ActorKind.SYSTEM:
        return "Automatic message"
    return comment.author_name


def _cut(body: str, limit: int) -> str:
    body = " ".join(body.split())
    return body if len(body) <= limit else body[:limit - 1].rstrip() + "…"


def _lines(comments: list[BookingComment], tz: zoneinfo.ZoneInfo, viewer_user_id: int | None) -> list[str]:
    return [f"{stamp(comment.created_at, tz)} · {author(comment, viewer_user_id=viewer_user_id)}: "
            f"{_cut(comment.body, MAX_BODY_IN_THREAD)}" for comment in comments]


def thread(booking: Booking, discussion, *, viewer_user_id: int | None, may_tell: bool, answers: bool) -> str:
    """``/thread``: the recent customer-visible messages, then the internal notes, then how to answer.
    ``may_tell``: the reader accepted the job; ``answers``: replying to this message answers the
    customer (it points at a customer-visible message)."""
    tz = booking_zone(booking)
    first = customer_first_name(booking)
    parts = [f"Job #{booking.number} discussion ({what(booking)}, {when(booking, tz)})"]
    heading = f"With the customer ({booking.customer.name}); they see these:"
    if discussion.more_with_customer:
        heading += " (latest only)"
    shown = _lines(discussion.with_customer, tz, viewer_user_id)
    parts.append(heading + "\n" + ("\n".join(shown) if shown else "No messages with the customer yet."))
    if discussion.internal:
        heading = "Internal notes; the customer does not see these:"
        if discussion.more_internal:
            heading += " (latest only)"
        parts.append(heading + "\n" + "\n".join(_lines(discussion.internal, tz, viewer_user_id)))
    if not may_tell:
        parts.append(f"Accept the job to write to {first}. /note {booking.number} text adds an internal note.")
    elif answers:
        parts.append(f"Reply to this message to answer {first}; start with /note to keep it internal.")
    else:
        parts.append(f"/tell {booking.number} text writes to {first}. Reply to this message for an internal "
                     f"note.")
    return "\n\n".join(parts)


def forwarded(booking: Booking, comment: BookingComment) -> str:
    """A discussion message forwarded to the fieldworkers on the job: who wrote it, who can see it,
    and what replying to it does."""
    first = customer_first_name(booking)
    body = comment.body[:3500]
    if comment.author_kind == ActorKind.CUSTOMER:
        return (f"Job #{booking.number}, {comment.author_name} (the customer):\n{body}\n\n"
                f"Reply to this message to answer {first}; start with /note to keep it internal.")
    if comment.visible_to_customer:
        return (f"Job #{booking.number}, {author(comment)} to the customer:\n{body}\n\n"
                f"Reply to this message to answer; {first} (the customer) will see it. Start with /note to keep "
                f"it internal.")
    return (f"Job #{booking.number}, internal note from {author(comment)}:\n{body}\n\n"
            f"Reply to this message to answer; the customer does not see it. Start with /customer to write to "
            f"{first} instead.")


def comment_added(booking: Booking, comment: BookingComment) -> str:
    if comment.visible_to_customer:
        return f"Sent to {customer_first_name(booking)} (the customer) on job #{booking.number}."
    return f"Internal note added to job #{booking.number} — the customer does not see it."


def comment_refused(booking: Booking, code: str, message: str = "", field: str | None = None) -> str:
    if code == "not_accepted" and field == "visibleToCustomer":
        return (f"Only a fieldworker who accepted job #{booking.number} can write to the customer; nothing was "
                f"sent. Start with /note to add an internal note instead.")
    return error(code, message)

"""Channel-layer group names and the message shape that travels through them.

Group names are restricted by Channels to letters, digits, hyphens, underscores and periods
(under 100 characters), so ids are formatted as plain integers.
"""

from __future__ import annotations

# Every message this package sends has this ``type``. Strawberry's consumer hands messages of a
# non-``websocket.*`` type to the subscriptions listening for it.
MESSAGE_TYPE = "realtime.event"

# ``kind`` of a message: a domain event, or a notice that one fieldworker lost a booking.
KIND_EVENT = "event"
KIND_ACCESS_REVOKED = "access_revoked"

ALL_BOOKINGS = "bookings"
INBOX = "inbox"  # every change to any inquiry (the staff inbox)
COMPLAINTS = "complaints"  # every change to any complaint (the staff dashboard's panel)
QUOTES = "quotes"  # every change to any quote (staff)


def booking_group(booking_id: int) -> str:
    return f"booking.{int(booking_id)}"


def fieldworker_group(fieldworker_id: int) -> str:
    return f"fieldworker.{int(fieldworker_id)}"


def fieldworker_thread_group(fieldworker_id: int) -> str:
    """A fieldworker's messages with the office (sent, their delivery, texts received): not their jobs' group,
    so a fieldworker's assignment stream is not woken by every message status."""
    return f"fwthread.{int(fieldworker_id)}"


# A notice that one user's sign-in may have ended (token revoked or deleted, user deactivated or
# changed, session logged out): their running subscriptions re-check their credential.
KIND_CREDENTIALS = "credentials_changed"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


# A notice from the process's own hub: its channel-layer connection to Redis was lost and is back, so
# broadcasts may have been missed; every running stream ends with ``resync_required`` (decision 0210).
KIND_RESYNC = "resync"

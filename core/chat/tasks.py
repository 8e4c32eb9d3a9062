"""Background work of the chat area, through the Tasks API (``django_tasks``)."""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task()
def deliver_message(message_id: int) -> str:
    return outbox.deliver(message_id)


@task()
def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    """Deliver the given messages, then anything else that is due (retries)."""
    counts = outbox.deliver_many(message_ids)
    for status, count in outbox.flush().items():
        counts[status] = counts.get(status, 0) + count
    return counts


@task()
def flush_outbox() -> dict[str, int]:
    return outbox.flush()


@task()
def send_morning_lists(date: str | None = None) -> int:
    from . import notify

    return notify.morning_lists(date=date)


@task()
def fetch_attachment(attachment_id: int) -> str:
    from . import services

    return services.attachment_fetch(attachment_id=attachment_id)


@task()
def text_customer_on_my_way(booking_id: int, fieldworker_id: int) -> str:
    from . import services

    return services.on_my_way_sms(booking_id=booking_id, fieldworker_id=fieldworker_id)

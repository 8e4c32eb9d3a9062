"""Background work of the chat area, through the Tasks API (``django_tasks``). Ids only (0037).

The top of the app's import order (contract "Inside chat ..." in pyproject): this module imports
``notify``, ``services`` and ``outbox`` at top level and none of them imports it. A task that a
lower module enqueues is defined in that module, beside the code it runs (``outbox.deliver_message``,
``services.fetch_attachment``, ``services.text_customer_on_my_way``); their names here keep task
rows written before under ``core.chat.tasks.*`` runnable.
"""

from __future__ import annotations

from django_tasks import task

from . import notify, outbox
from .outbox import deliver_message
from .services import fetch_attachment, text_customer_on_my_way

__all__ = ["deliver_message", "deliver_messages", "fetch_attachment", "flush_outbox", "send_morning_lists",
           "text_customer_on_my_way"]


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
    return notify.morning_lists(date=date)

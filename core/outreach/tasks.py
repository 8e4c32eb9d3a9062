"""Background work through the Tasks API. Arguments are plain ids and strings."""

from __future__ import annotations

from django_tasks import task

from core.actors import Actor, Channel


@task()
def deliver_email(message_id: int, content: dict | None = None) -> str:
    from .services import email_deliver

    return email_deliver(actor=Actor.system(), channel=Channel.SYSTEM, message_id=message_id,
                         content=content).status


@task()
def send_due_reminders() -> int:
    from .services import reminders_send_due

    return reminders_send_due(actor=Actor.system(), channel=Channel.SYSTEM)

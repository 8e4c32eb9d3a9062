"""Background work for the inbox, through the Tasks API. Arguments are plain ids."""

from __future__ import annotations

from django_tasks import task

from core.actors import Actor, Channel


@task()
def deliver_inquiry_reply(entry_id: int) -> str:
    """Send one staff reply that was recorded on an inquiry; returns its delivery status."""
    from .services import inquiry_reply_deliver

    return inquiry_reply_deliver(actor=Actor.system(), channel=Channel.SYSTEM, entry_id=entry_id).delivery_status

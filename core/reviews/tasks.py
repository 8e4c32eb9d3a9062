"""Background work of reviews through the Tasks API (decision 0630)."""

from __future__ import annotations

from django_tasks import task

from core.actors import Actor, Channel

from . import services


@task()
def send_due_review_requests() -> int:
    """The review requests that are due: one text or e-mail each, once."""
    return services.review_requests_send_due(actor=Actor.system(), channel=Channel.SYSTEM)

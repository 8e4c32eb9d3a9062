"""Subscriptions end when the sign-in behind them ends, not only new ones are refused.

A change that can end a sign-in (an API token revoked, expired early or deleted; the user
deactivated, deleted or given another role; a session logged out) sends, after commit, a
``credentials_changed`` notice to the group ``user.<id>``. Every running subscription of that
user listens to it and re-checks its connection's credential (``realtime.auth.still_valid``); when
it no longer holds, the stream ends with an ``unauthenticated`` error. The notice carries no
verdict: the subscription asks the database itself, so a forged or stale notice changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from core.accounts.models import ApiToken, User

from .broadcast import send_all
from .groups import KIND_CREDENTIALS, MESSAGE_TYPE, user_group


def notify(user_id: int | None) -> None:
    """After commit: tell ``user_id``'s running subscriptions to re-check their credential."""
    if user_id is None:
        return
    message = {"type": MESSAGE_TYPE, "kind": KIND_CREDENTIALS, "user_id": int(user_id)}
    transaction.on_commit(lambda: send_all([(user_group(user_id), message)]), robust=True)


def _token_changed(sender: Any, instance: ApiToken, created: bool = False, **kwargs: Any) -> None:
    if not created:  # a new token ends nothing
        notify(instance.user_id)


def _user_changed(sender: Any, instance: User, created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # a sign-in stamping last_login ends nothing
    notify(instance.pk)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    notify(getattr(user, "pk", None))


def connect() -> None:
    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="realtime-token-saved")
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="realtime-token-deleted")
    post_save.connect(_user_changed, sender=User, dispatch_uid="realtime-user-saved")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="realtime-user-deleted")
    user_logged_out.connect(_logged_out, dispatch_uid="realtime-logged-out")

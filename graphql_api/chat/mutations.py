"""Chat linking for staff: a one-time, expiring Telegram deep link for a fieldworker, and unlinking."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry
import strawberry_django
from strawberry.types import Info

from core.chat import services
from core.errors import ValidationFailed

from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import who


@strawberry.type(description="A deep link that binds the Telegram chat that opens it to the fieldworker, once.")
class TelegramLink:
    url: str = strawberry.field(description="https://t.me/<bot>?start=<token>; shown once, only a digest is kept.")
    expires_at: datetime


@strawberry.type
class TelegramLinkPayload:
    link: TelegramLink | None = None
    errors: list[UserError]


@strawberry.type
class UnlinkTelegramPayload:
    unlinked: bool = False
    errors: list[UserError]


def _create(info: Info, fieldworker_id: strawberry.ID, valid_hours: int | None) -> TelegramLink:
    ttl = None
    if valid_hours is not None:
        if not 1 <= valid_hours <= 720:
            raise ValidationFailed("validHours", "Between 1 and 720 hours.", code="out_of_range")
        ttl = timedelta(hours=valid_hours)
    link = services.chat_link_create(**who(info), fieldworker_id=decode_id(fieldworker_id, "Fieldworker",
                                                                           "fieldworkerId"), ttl=ttl)
    return TelegramLink(url=link.url, expires_at=link.expires_at)


def _unlink(info: Info, fieldworker_id: strawberry.ID) -> bool:
    services.chat_unlink(**who(info), fieldworker_id=decode_id(fieldworker_id, "Fieldworker", "fieldworkerId"))
    return True


@strawberry.type
class ChatMutation:
    @strawberry_django.mutation(description="Create a one-time, expiring Telegram link for a fieldworker (staff). "
                                            "Earlier unused links of theirs stop working.")
    def create_telegram_link(self, info: Info, fieldworker_id: strawberry.ID,
                             valid_hours: int | None = None) -> TelegramLinkPayload:
        return attempt(TelegramLinkPayload, "link", lambda: _create(info, fieldworker_id, valid_hours))

    @strawberry_django.mutation(description="End a fieldworker's Telegram link (staff, or the fieldworker).")
    def unlink_telegram(self, info: Info, fieldworker_id: strawberry.ID) -> UnlinkTelegramPayload:
        return attempt(UnlinkTelegramPayload, "unlinked", lambda: _unlink(info, fieldworker_id))

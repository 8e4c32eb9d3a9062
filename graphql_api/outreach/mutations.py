import strawberry
import strawberry_django
from strawberry.types import Info

from core.outreach import selectors, services

from ..errors import UserError, attempt
from ..ids import decode_many
from ..payloads import who


@strawberry.input(description="Mark notifications read: name them, or send all: true.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool = False


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int | None = None
    unread: int | None = None
    errors: list[UserError]


@strawberry.type
class OutreachMutation:
    @strawberry_django.mutation(description="Mark the signed-in fieldworker's notifications read.")
    def mark_notifications_read(self, info: Info, input: MarkNotificationsReadInput) -> MarkNotificationsReadPayload:
        def work():
            ids = decode_many(input.ids, "Notification", "ids")
            marked = services.notifications_mark_read(**who(info), ids=ids, mark_all=input.all)
            return marked

        payload = attempt(MarkNotificationsReadPayload, "marked", work)
        if not payload.errors:
            payload.unread = selectors.unread_count(who(info)["actor"])
        return payload

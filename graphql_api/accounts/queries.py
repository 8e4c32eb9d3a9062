import strawberry
import strawberry_django
from strawberry.types import Info

from core.accounts.models import ApiToken

from ..context import actor_from_info
from ..ids import encode_id
from ..permissions import require_authenticated
from .types import ApiTokenNode, Viewer


@strawberry.type
class AccountsQuery:
    @strawberry_django.field(description="The signed-in user; null when not signed in.")
    def me(self, info: Info) -> Viewer | None:
        actor = actor_from_info(info)
        if not actor.is_authenticated or actor.user is None:
            return None
        return Viewer(
            user=actor.user,  # type: ignore[arg-type]
            kind=actor.kind,
            is_admin=actor.is_admin,
            customer_id=encode_id("Customer", actor.customer_id) if actor.customer_id else None,
            fieldworker_id=encode_id("Fieldworker", actor.fieldworker_id) if actor.fieldworker_id else None,
        )

    @strawberry_django.field(description="Your API tokens (an admin sees everyone's).")
    def api_tokens(self, info: Info) -> list[ApiTokenNode]:
        require_authenticated(info)
        return ApiTokenNode.get_queryset(ApiToken.objects.all(), info)  # type: ignore[return-value]


from datetime import datetime

import strawberry
import strawberry_django
from strawberry.types import Info

from core.accounts import services
from core.actors import Channel

from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import who
from .types import ApiTokenNode, UserNode


@strawberry.type(description="A new token. `token` is shown this once and never stored in clear.")
class IssuedToken:
    token: str
    api_token: ApiTokenNode
    user: UserNode
    expires_at: datetime | None


@strawberry.type
class TokenPayload:
    result: IssuedToken | None = None
    errors: list[UserError]


@strawberry.type
class ApiTokenPayload:
    api_token: ApiTokenNode | None = None
    errors: list[UserError]


@strawberry.input
class CreateApiTokenInput:
    name: str = ""
    ttl_days: int | None = strawberry.field(default=None, description="1 to 366; default from settings.")


def _issued(issued: services.IssuedToken) -> IssuedToken:
    return IssuedToken(token=issued.raw, api_token=issued.token,  # type: ignore[arg-type]
                       user=issued.token.user, expires_at=issued.token.expires_at)  # type: ignore[arg-type]


@strawberry.type
class AccountsMutation:
    @strawberry_django.mutation(description="Sign in with e-mail and password; returns a new API token once.")
    def login(self, info: Info, email: str, password: str) -> TokenPayload:
        request = getattr(info.context, "request", None)
        client = (request.META.get("REMOTE_ADDR", "") if request is not None else "") or "unknown"
        return attempt(TokenPayload, "result", lambda: _issued(services.login(
            email=email[:254], password=password[:1024], channel=Channel.GRAPHQL, token_name="login",
            client=client)))

    @strawberry_django.mutation(description="Issue another API token for yourself.")
    def create_api_token(self, info: Info, input: CreateApiTokenInput) -> TokenPayload:
        return attempt(TokenPayload, "result", lambda: _issued(services.token_create(
            **who(info), name=input.name[:100], ttl_days=input.ttl_days)))

    @strawberry_django.mutation(description="Revoke one of your API tokens.")
    def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiTokenPayload:
        return attempt(ApiTokenPayload, "api_token", lambda: services.token_revoke(
            **who(info), token_id=decode_id(id, "ApiToken")))

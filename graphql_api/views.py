"""The HTTP endpoint: /graphql/ (POST for operations, GET in a browser for GraphiQL).

Before any GraphQL work: an oversized body is refused with 413, a bad bearer token with 401.
Requests authenticated by a bearer token skip Django's CSRF check (no ambient credentials);
requests that rely on the session cookie get the usual CSRF check (see docs/decisions/0101).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from .context import ACTOR_KEY, InvalidToken, actor_from_request


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
                        status=status)


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    check = CsrfViewMiddleware(lambda req: HttpResponse())
    check.process_request(request)
    return check.process_view(request, lambda req: HttpResponse(), (), {})


@method_decorator(csrf_exempt, name="dispatch")
class FieldopsGraphQLView(GraphQLView):
    graphql_ide = None  # set per request from settings.GRAPHQL_GRAPHIQL (off in production)

    def __init__(self, *args: Any, multipart_uploads_enabled: bool = True, **kwargs: Any) -> None:
        # File uploads (a trading name's logo) by the GraphQL multipart request spec. Cross-site form
        # posts are what Strawberry's off-by-default guards against: here a session request gets the
        # CSRF check in ``dispatch`` like any POST, and a bearer token is no ambient credential (0101).
        super().__init__(*args, multipart_uploads_enabled=multipart_uploads_enabled, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.graphql_ide = "graphiql" if settings.GRAPHQL_GRAPHIQL else None
        limit = settings.GRAPHQL_MAX_BODY_BYTES
        if request.content_type == "multipart/form-data":  # the operation plus at most one file's worth
            limit += max(settings.FIELDOPS_UPLOAD_MAX_BYTES, settings.FIELDOPS_IMPORT_MAX_BYTES,
                         *settings.FIELDOPS_FILE_MAX_BYTES.values())
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error(400, "bad_request", "Bad Content-Length.")
        if length > limit:
            return _error(413, "request_too_large", f"The request body is over {limit} bytes.")
        if request.method == "POST" and not length:  # no Content-Length (chunked): read at most limit + 1
            body = request.read(limit + 1)
            if len(body) > limit:
                return _error(413, "request_too_large", f"The request body is over {limit} bytes.")
            request._body = body  # what request.body returns from now on
        try:
            actor = actor_from_request(request)
        except InvalidToken as exc:
            response = _error(401, "unauthenticated", str(exc))
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        uses_token = bool(request.headers.get("Authorization"))
        if request.method == "POST" and not uses_token and actor.is_authenticated:
            failure = _csrf_failure(request)
            if failure is not None:
                return _error(403, "csrf_failed", "CSRF check failed: send the CSRF token or use a bearer token.")
        request.fieldops_actor = actor  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Any:
        context = super().get_context(request, response)
        actor = getattr(request, "fieldops_actor", None)
        if actor is not None:
            setattr(context, ACTOR_KEY, actor)
        return context

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses what json accepts and nothing downstream can hold: lone surrogates ("\ud800",
        # unencodable as UTF-8 for the database or a log line) and nesting past 1024 levels. Strawberry
        # answers its JSONDecodeError (a ValueError) with a 400.
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        # results hold only serialised scalars; orjson is several times faster than json here
        return orjson.dumps(data, default=str)

"""The mail provider's inbound webhook. Thin: check the size and the signature, decode, call, answer."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.outreach import inbound, replies

from .signing import check

logger = logging.getLogger(__name__)
MAX_FILES = 100  # numbers read at most (Django's multipart parser takes no more files than that either)


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> HttpResponse:
    if not settings.INBOUND_EMAIL_SIGNING_KEY or not replies.enabled():
        raise Http404("Inbound e-mail is not configured.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.INBOUND_EMAIL_MAX_BYTES:  # refused before a byte of it is parsed
        return HttpResponse("The e-mail is too large.", status=413, content_type="text/plain")
    post = request.POST
    refused = check(post.get("timestamp", ""), post.get("token", ""), post.get("signature", ""))
    if refused:
        return HttpResponseForbidden(refused)
    attachments = _attachments(request)
    if sum(item.size for item in attachments) > settings.INBOUND_EMAIL_MAX_BYTES:  # a body without a length
        return HttpResponse("The e-mail is too large.", status=413, content_type="text/plain")
    try:
        row, created = inbound.inbound_email_receive(
            provider_id=post.get("token", ""), sender=post.get("sender") or post.get("from", ""),
            recipient=post.get("recipient", ""), subject=post.get("subject", ""),
            text=post.get("body-plain", ""), stripped_text=post.get("stripped-text", ""),
            message_id=post.get("Message-Id", ""), attachments=attachments)
    except DomainError as exc:
        return HttpResponseBadRequest(exc.message)
    logger.info("inbound e-mail %s: %s%s", row.pk, row.outcome, "" if created else " (replayed call)")
    return JsonResponse({"outcome": row.outcome, "replayed": not created})


def _attachments(request: HttpRequest) -> list[inbound.Attachment]:
    """The files posted as ``attachment-1`` ... ``attachment-<attachment-count>`` (without a count: as many
    as were posted), in their order; a number named but not posted is skipped."""
    files = request.FILES
    try:
        count = int(request.POST.get("attachment-count") or len(files))
    except ValueError:
        count = len(files)
    found = (files.get(f"attachment-{index}") for index in range(1, min(max(count, 0), MAX_FILES) + 1))
    return [inbound.Attachment(name=upload.name or "", content=upload, size=upload.size or 0)
            for upload in found if upload is not None]

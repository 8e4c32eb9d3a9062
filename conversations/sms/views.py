"""Twilio webhooks: inbound SMS and delivery status. Thin: verify, decode, call, render."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from core.actors import Actor, Channel
from core.company import selectors as company_selectors
from core.errors import DomainError
from core.sms import services as sms_services
from core.sms.models import SmsKind, SmsMessage

from . import dialog
from .signing import SIGNATURE_HEADER, is_valid, public_url

logger = logging.getLogger(__name__)
TWIML = "application/xml"


def _signed(request: HttpRequest) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    return is_valid(public_url(request.get_full_path()), request.POST, signature)


def _twiml(reply: str, reply_id: int | None) -> HttpResponse:
    response = MessagingResponse()
    if reply:
        callback = sms_services.status_callback_url(reply_id) if reply_id else ""
        if callback:
            response.message(reply, action=callback, method="POST")
        else:
            response.message(reply)
    return HttpResponse(str(response), content_type=TWIML)


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponseForbidden("Bad or missing signature.")
    post = request.POST
    sid = post.get("MessageSid") or post.get("SmsSid") or ""
    sender, ours, body = post.get("From", "").strip(), post.get("To", "").strip(), post.get("Body", "")
    logger.info("inbound SMS %s", sid, extra={"message_sid": sid})
    if not sid or not sender:
        return HttpResponseBadRequest("MessageSid and From are required.")
    system = Actor.system()
    # the reply, the service and the e-mails after commit each want the company: read it once
    with company_selectors.read_once(), transaction.atomic():
        try:
            record = sms_services.sms_inbound_record(actor=system, channel=Channel.SMS, sid=sid,
                                                     from_number=sender, to_number=ours, body=body)
        except DomainError:
            return HttpResponseBadRequest("Malformed message.")
        if not record.created:  # Twilio redelivered: the same answer, nothing done again
            reply_row = (SmsMessage.objects.filter(in_reply_to=record.message, kind=SmsKind.REPLY)
                         .values_list("pk", flat=True).first())
            return _twiml(record.message.reply, reply_row)
        try:
            outcome = dialog.handle(record.message)
        except DomainError as exc:  # e.g. a sender id that is not a phone number
            logger.info("inbound SMS %s not handled: %s", sid, exc)
            outcome = dialog.Outcome("", f"error:{exc.code}"[:24])
        reply_row = sms_services.sms_inbound_answer(
            actor=system, channel=Channel.SMS, message=record.message, intent=outcome.intent,
            reply=outcome.reply, booking_id=outcome.booking_id, customer_id=outcome.customer_id)
    return _twiml(outcome.reply, reply_row.pk if reply_row else None)


@csrf_exempt
@require_POST
def delivery_status(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponseForbidden("Bad or missing signature.")
    post = request.POST
    sid = post.get("MessageSid") or post.get("SmsSid") or ""
    status = post.get("MessageStatus") or post.get("SmsStatus") or ""
    error = post.get("ErrorCode") or ""
    message_id = request.GET.get("m", "")
    logger.info("SMS status %s: %s", sid, status, extra={"message_sid": sid, "message_status": status})
    try:
        sms_services.sms_status_update(
            actor=Actor.system(), channel=Channel.SMS, sid=sid, status=status,
            # Twilio's codes have five digits; anything past nine is not one (and overflows the column)
            error_code=int(error) if error.isascii() and error.isdigit() and len(error) <= 9 else None,
            error_message=post.get("ErrorMessage", ""),
            message_id=int(message_id) if message_id.isascii() and message_id.isdigit() and len(message_id) <= 18
            else None)
    except DomainError as exc:
        return HttpResponseBadRequest(exc.message)
    return HttpResponse(status=204)

"""Filling a job's form through the bot, driven through the fake Bot API: one question at a time
with buttons for choices, typed answers checked by the form services, a photo sent as a photo, a
signature through the signing link's page, an interruption and a resume, then submit and complete."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingEvent
from core.chat.models import BookingAttachment, ChatBinding
from core.jobdata import forms_services
from core.jobdata.forms_models import FormSubmission

from . import updates
from .conftest import accept

ELEMENTS = [
    {"kind": "heading", "label": "Safety"},
    {"kind": "checklist", "label": "Power off", "required": True},
    {"kind": "dropdown", "label": "Condition", "options": ["good", "poor"], "required": True},
    {"kind": "checkbox_multi", "label": "Rooms", "options": ["kitchen", "hall"]},
    {"kind": "increment", "label": "Filters", "min_value": "0", "max_value": "9", "step": "1", "required": True},
    {"kind": "short_text", "label": "Notes"},
    {"kind": "photo", "label": "Unit photo", "required": True},
    {"kind": "signature", "label": "Customer signature", "required": True},
]


def _png() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (30, 10), (0, 0, 0, 255)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _last(api, chat_id):
    return api.sent_to(chat_id)[-1]


def _toast(api) -> str:
    return api.of("answerCallbackQuery")[-1].params.get("text", "")


def test_a_form_is_filled_step_by_step_interrupted_resumed_and_submitted(webhook, linked, offered, staff_actor):
    chat = 5301
    binding = linked(chat)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    service_id = booking.lines.get().service_id
    tpl = forms_services.form_template_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Safety check",
                                              elements=ELEMENTS, service_ids=[service_id],
                                              required_before_completion=True)
    booking_services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk)
    booking_services.booking_start(actor=Actor.for_fieldworker(binding.fieldworker), channel=Channel.GRAPHQL,
                                   booking_id=booking.pk)
    api = webhook.api
    b = booking.pk

    # completing first is refused with the form to fill, in the chat and on the button
    webhook.post(updates.press(chat, f"c:{b}"))
    assert _toast(api) == "Submit the form 'Safety check' before completing the job."
    assert _last(api, chat).buttons == [[("Fill: Safety check", f"fp:{b}:{tpl.pk}")]]

    webhook.post(updates.press(chat, f"f:{b}"))
    question = _last(api, chat)
    assert question.params["text"].splitlines()[:4] == [f"Safety check, job #{booking.number} (1/7)", "",
                                                       "SAFETY", ""]
    assert "Power off (required)" in question.params["text"]
    assert question.buttons == [[("Done", f"fa:{b}:101"), ("Not done", f"fa:{b}:100")]]
    webhook.post(updates.press(chat, f"fa:{b}:101"))
    assert _last(api, chat).buttons == [[("good", f"fa:{b}:200")], [("poor", f"fa:{b}:201")]]
    webhook.post(updates.press(chat, f"fa:{b}:101"))  # a stale button of the first question
    assert _toast(api).startswith("That question is no longer open")
    webhook.post(updates.press(chat, f"fa:{b}:201"))
    rooms = _last(api, chat)
    assert rooms.buttons[-2:] == [[("Done choosing", f"fa:{b}:399")], [("Skip", f"fk:{b}:3")]]
    webhook.post(updates.press(chat, f"fa:{b}:301"))
    assert _last(api, chat).buttons[1] == [("✓ hall", f"fa:{b}:301")]
    webhook.post(updates.press(chat, f"fa:{b}:399"))
    assert "Type a number from 0 to 9." in _last(api, chat).params["text"]
    assert FormSubmission.objects.get().answers == {"power_off": True, "condition": "poor", "rooms": ["hall"]}

    # interrupted: the chat state expires; Fill form again resumes at the first unanswered question
    ChatBinding.objects.filter(pk=binding.pk).update(state_expires_at=timezone.now() - timedelta(minutes=1))
    webhook.post(updates.message(chat, "7"))
    assert "I did not understand that." in _last(api, chat).params["text"]
    webhook.post(updates.press(chat, f"f:{b}"))
    assert "Filters (required)" in _last(api, chat).params["text"]
    webhook.post(updates.message(chat, "12"))
    assert api.texts(chat)[-2] == "Between 0 and 9."
    assert "Filters (required)" in _last(api, chat).params["text"]  # asked again
    webhook.post(updates.message(chat, "4"))
    assert "Notes" in _last(api, chat).params["text"]
    webhook.post(updates.press(chat, f"fk:{b}:5"))  # skipped
    assert "Send the photo." in _last(api, chat).params["text"]
    webhook.post(updates.photo(chat, file_id="form-photo", unique_id="form-photo-u"))
    attachment = BookingAttachment.objects.get(booking=booking)
    signing = _last(api, chat)
    assert FormSubmission.objects.get().answers["unit_photo"] == attachment.pk
    assert signing.buttons == [[("Signed", f"fa:{b}:701")]]

    # the signature: pressing Signed before signing keeps the question; the link's page takes a drawing
    webhook.post(updates.press(chat, f"fa:{b}:701"))
    assert _toast(api) == "Not signed yet: open the link, sign, then press Signed."
    path = re.search(r"https?://[^/]+(/forms/sign/[^\s]+)", signing.params["text"]).group(1)
    page = Client().get(path)
    assert page.status_code == 200 and b"<canvas" in page.content
    refused = Client().post(path, {"signature": "data:image/png;base64,AAAA"})
    assert refused.status_code == 400 and "customer_signature" not in FormSubmission.objects.get().answers
    assert Client().post(path, {"signature": _png()}).status_code == 200
    webhook.post(updates.press(chat, f"fa:{b}:701"))
    final = _last(api, chat)
    assert final.params["text"] == "All questions of 'Safety check' are answered. Submit it?"
    assert final.buttons == [[("Submit", f"fs:{b}:{tpl.pk}")]]
    webhook.post(updates.press(chat, f"fs:{b}:{tpl.pk}"))
    assert _last(api, chat).params["text"].startswith("Form 'Safety check' of job")
    submitted = FormSubmission.objects.get()
    assert submitted.status == "submitted" and submitted.answers["filters"] == "4" and "notes" not in submitted.answers
    assert BookingEvent.objects.filter(booking=booking, action="form_submitted", channel="telegram").exists()
    webhook.post(updates.press(chat, f"c:{b}"))
    booking.refresh_from_db()
    assert booking.status == "completed"


def test_form_buttons_of_someone_elses_job_change_nothing(webhook, linked, offered, staff_actor):
    mine, theirs = linked(5302), linked(5303)
    booking = offered(theirs.fieldworker)
    accept(theirs.fieldworker, booking)
    tpl = forms_services.form_template_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Check",
                                              elements=[{"kind": "toggle", "label": "Tidy"}], booking_id=booking.pk)
    for data in (f"f:{booking.pk}", f"fp:{booking.pk}:{tpl.pk}", f"fa:{booking.pk}:1", f"fs:{booking.pk}:{tpl.pk}",
                 f"fk:{booking.pk}:-1"):
        webhook.post(updates.press(5302, data))
    assert FormSubmission.objects.count() == 0
    assert [call.params.get("text") for call in webhook.api.of("answerCallbackQuery")] == [
        "That job is not yours or no longer exists."] * 5
    assert webhook.api.sent_to(5302) == [] and mine.state == {}

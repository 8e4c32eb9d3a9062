"""What a linked fieldworker does through the bot: offers, accept/decline, schedule, job actions,
notes, replies, photos. Replies are checked at the fake Bot API; changes in the database."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.utils import timezone

from core.actors import Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingComment, BookingEvent
from core.chat.models import AttachmentStatus, BookingAttachment, ChatMessage, DeclineReason, MessageStatus
from core.company.services import company_update
from core.files.models import StoredFile
from core.workforce.models import ChangeRequest
from tests import factories
from tests.core.files.conftest import jpeg_with_gps

from . import updates
from .conftest import accept


def _offer_call(api, chat_id):
    calls = [call for call in api.sent_to(chat_id) if call.params["text"].startswith("New job offer")]
    assert calls, api.texts(chat_id)
    return calls[-1]


def test_offer_arrives_with_accept_and_decline_buttons(webhook, linked, offered):
    binding = linked(5001)
    booking = offered(binding.fieldworker)
    webhook.deliver()
    call = _offer_call(webhook.api, 5001)
    assert f"Job #{booking.number}" in call.params["text"]
    assert call.buttons == [[("Accept", f"a:{booking.pk}"), ("Decline", f"d:{booking.pk}")]]
    row = ChatMessage.objects.get(kind="offer", booking=booking)
    assert row.status == MessageStatus.SENT and row.telegram_message_id is not None


def test_accept_press_accepts_through_the_core_service(webhook, linked, offered):
    binding = linked(5002)
    booking = offered(binding.fieldworker)
    webhook.deliver()
    offer_id = ChatMessage.objects.get(kind="offer", booking=booking).telegram_message_id
    update = updates.press(5002, f"a:{booking.pk}", message_id=offer_id)
    webhook.post(update)
    assignment = booking.assignments.get()
    assert assignment.status == "accepted"
    row = BookingEvent.objects.filter(booking=booking, action="accepted").get()
    assert (row.channel, row.actor_kind) == ("telegram", "fieldworker")
    edits = webhook.api.of("editMessageText")
    assert [int(call.params["message_id"]) for call in edits] == [offer_id]
    assert edits[0].params["text"].startswith("Accepted.")
    assert ("On my way", f"w:{booking.pk}") in edits[0].buttons[0]
    answers = webhook.api.of("answerCallbackQuery")
    assert [call.params["callback_query_id"] for call in answers] == [update["callback_query"]["id"]]


def test_forged_press_on_someone_elses_booking_changes_nothing(webhook, linked, offered):
    owner = factories.fieldworker()
    booking = offered(owner)
    intruder = linked(5003)
    webhook.deliver()
    before = (list(booking.assignments.values("fieldworker_id", "status")), BookingEvent.objects.count(),
              BookingComment.objects.count())
    for data in (f"a:{booking.pk}", f"d:{booking.pk}", f"dr:{booking.pk}:-1", f"s:{booking.pk}", f"c:{booking.pk}",
                 f"w:{booking.pk}", f"x:{booking.pk}", f"n:{booking.pk}"):
        webhook.post(updates.press(5003, data))
    after = (list(booking.assignments.values("fieldworker_id", "status")), BookingEvent.objects.count(),
             BookingComment.objects.count())
    assert after == before
    answers = webhook.api.of("answerCallbackQuery")
    assert len(answers) == 8
    assert {call.params["text"] for call in answers} == {"That job is not yours or no longer exists."}
    assert webhook.api.texts(5003) == []
    assert intruder.fieldworker.assignments.count() == 0


def test_malformed_callback_data_is_answered_and_ignored(webhook, linked, offered):
    binding = linked(5004)
    booking = offered(binding.fieldworker)
    for data in ("", "zz:1", "a:", "a:abc", f"a:{booking.pk}:9", "a:-3", "a:0", "a:1e5", f"dr:{booking.pk}",
                 "a:" + "9" * 60, "a:\uff11\uff12"):
        webhook.post(updates.press(5004, data))
    assert booking.assignments.get().status == "offered"
    answers = webhook.api.of("answerCallbackQuery")
    assert len(answers) == 11
    assert {call.params["text"] for call in answers} == {"That button is no longer valid."}


def test_late_accept_is_told_the_job_is_taken(webhook, linked, offered):
    first, second = linked(5005), linked(5006)
    booking = offered(first.fieldworker)
    offered(second.fieldworker, booking)
    webhook.deliver()
    second_offer = _offer_call(webhook.api, 5006)
    webhook.post(updates.press(5005, f"a:{booking.pk}"))
    # the other offer was edited to say the job is taken
    taken = [call for call in webhook.api.of("editMessageText") if call.chat_id == 5006]
    assert taken and "taken" in taken[-1].params["text"]
    assert int(taken[-1].params["message_id"]) == _message_id(second_offer)
    webhook.post(updates.press(5006, f"a:{booking.pk}"))
    answers = webhook.api.of("answerCallbackQuery")
    assert answers[-1].params["text"] == "Sorry, this job has already been taken."
    assert dict(booking.assignments.values_list("fieldworker_id", "status")) == {
        first.fieldworker_id: "accepted", second.fieldworker_id: "offered"}


def _message_id(call) -> int:
    return ChatMessage.objects.get(chat_id=call.chat_id, kind="offer").telegram_message_id


def test_decline_asks_for_a_configured_reason(webhook, linked, offered):
    DeclineReason.objects.create(label="Car broke down", position=0)
    DeclineReason.objects.create(label="Old reason", position=1, active=False)
    binding = linked(5007)
    booking = offered(binding.fieldworker)
    webhook.post(updates.press(5007, f"d:{booking.pk}"))
    assert booking.assignments.get().status == "offered"  # asking is not declining
    reason_id = DeclineReason.objects.get(label="Car broke down").pk
    ask = webhook.api.of("editMessageText")[-1]
    assert ask.buttons == [[("Car broke down", f"dr:{booking.pk}:{reason_id}")],
                           [("Other (type it)", f"do:{booking.pk}")]]
    old_id = DeclineReason.objects.get(label="Old reason").pk
    webhook.post(updates.press(5007, f"dr:{booking.pk}:{old_id}"))
    assert booking.assignments.get().status == "offered"
    webhook.post(updates.press(5007, f"dr:{booking.pk}:{reason_id}"))
    assignment = booking.assignments.get()
    assert (assignment.status, assignment.decline_reason) == ("declined", "Car broke down")
    assert BookingEvent.objects.get(booking=booking, action="declined").channel == "telegram"


def test_decline_with_free_text_reason(webhook, linked, offered):
    binding = linked(5008)
    booking = offered(binding.fieldworker)
    webhook.post(updates.press(5008, f"do:{booking.pk}"))
    assert f"Type the reason for declining job #{booking.number}." in webhook.api.texts(5008)
    webhook.post(updates.message(5008, "My van is in the shop"))
    assignment = booking.assignments.get()
    assert (assignment.status, assignment.decline_reason) == ("declined", "My van is in the shop")


def test_decline_when_not_allowed_files_a_change_request(webhook, linked, offered, staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, fieldworkers_may_decline=False)
    binding = linked(5009)
    booking = offered(binding.fieldworker)
    webhook.post(updates.press(5009, f"dr:{booking.pk}:-1"))
    assert booking.assignments.get().status == "offered"
    request = ChangeRequest.objects.get()
    assert (request.kind, request.status, request.booking_id, request.channel) == (
        "booking_decline", "pending", booking.pk, "telegram")
    assert request.payload["reason"] == "Not available then"
    assert "needs the office's approval" in webhook.api.texts(5009)[-1]
    # pressing again does not file a second request
    webhook.post(updates.press(5009, f"dr:{booking.pk}:-1"))
    assert ChangeRequest.objects.count() == 1
    # staff approve: the decline is carried out, and the chat hears about it
    from core.workforce.services import change_request_approve

    change_request_approve(actor=staff_actor, channel=Channel.GRAPHQL, change_request_id=request.pk)
    webhook.deliver()
    assert booking.assignments.get().status == "declined"
    assert "approved" in webhook.api.texts(5009)[-1]


def test_cancel_when_not_allowed_files_a_change_request(webhook, linked, offered):
    binding = linked(5010)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    webhook.post(updates.press(5010, f"x:{booking.pk}"))
    webhook.post(updates.message(5010, "Customer asked me to move it"))
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert ChangeRequest.objects.get().kind == "booking_cancel"


def test_cancel_when_allowed_cancels(webhook, linked, offered, staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, fieldworkers_may_cancel=True)
    binding = linked(5011)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    webhook.post(updates.press(5011, f"x:{booking.pk}"))
    webhook.post(updates.message(5011, "Flooded street"))
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_channel, booking.cancel_reason) == ("cancelled", "telegram",
                                                                               "Flooded street")


def test_today_next_jobs_in_the_business_time_zone(webhook, linked, offered, staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, time_zone="Australia/Sydney")
    tz = zoneinfo.ZoneInfo("Australia/Sydney")
    today = timezone.now().astimezone(tz).date()
    binding = linked(5012)
    late = datetime.combine(today, time(23, 0), tzinfo=tz)  # 23:00 Sydney: today there, whatever UTC says
    if late <= timezone.now():
        late = timezone.now() + timedelta(minutes=5)
    booking = offered(binding.fieldworker, factories.booking(start=late, hours=0.5))
    tomorrow = offered(binding.fieldworker, factories.booking(
        start=datetime.combine(today + timedelta(days=1), time(9, 0), tzinfo=tz)))
    accept(binding.fieldworker, booking)
    accept(binding.fieldworker, tomorrow)
    webhook.deliver()
    seen = len(webhook.api.sent_to(5012))  # the offers
    webhook.post(updates.message(5012, "/today"))
    sent = webhook.api.sent_to(5012)[seen:]
    assert sent[0].params["text"] == "Today you have 1 job:"
    local = booking.scheduled_start.astimezone(tz)
    assert f"#{booking.number}" in sent[1].params["text"] and f"{local:%H:%M}" in sent[1].params["text"]
    assert f"#{tomorrow.number}" not in "".join(call.params["text"] for call in sent)
    webhook.post(updates.message(5012, "/next"))
    assert webhook.api.texts(5012)[-1].startswith(f"Next: Job #{booking.number}")
    webhook.post(updates.message(5012, "/jobs"))
    listing = webhook.api.texts(5012)[-1]
    assert f"#{booking.number}" in listing and f"#{tomorrow.number}" in listing
    assert "09:00" in listing


def test_start_and_complete_through_buttons(webhook, linked, offered, staff_actor):
    binding = linked(5013)
    booking = offered(binding.fieldworker)
    booking_services.booking_confirm(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk)
    webhook.post(updates.press(5013, f"s:{booking.pk}"))
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # not accepted yet: the service says no
    assert webhook.api.of("answerCallbackQuery")[-1].params["text"] == "Accept the job first."
    accept(binding.fieldworker, booking)
    webhook.post(updates.press(5013, f"s:{booking.pk}"))
    booking.refresh_from_db()
    assert booking.status == "in_progress"
    assert webhook.api.of("editMessageText")[-1].buttons == [[("Complete", f"c:{booking.pk}"),
                                                              ("Signature", f"g:{booking.pk}")],
                                                             [("Note", f"n:{booking.pk}"),
                                                              ("Photo", f"p:{booking.pk}"),
                                                              ("Discussion", f"t:{booking.pk}")],
                                                             [("Fill form", f"f:{booking.pk}")],
                                                             [("Cancel job", f"x:{booking.pk}")]]
    webhook.post(updates.press(5013, f"c:{booking.pk}"))
    booking.refresh_from_db()
    assert booking.status == "completed"
    actions = list(BookingEvent.objects.filter(booking=booking, channel="telegram").values_list("action", flat=True))
    assert actions == ["accepted", "started", "completed"] or actions == ["started", "completed"]


def test_the_signature_button_sends_a_signing_link_for_the_customer(webhook, linked, offered, settings):
    from django.test import Client

    binding = linked(5021)
    booking = offered(binding.fieldworker)
    webhook.post(updates.press(5021, f"g:{booking.pk}"))
    assert webhook.api.of("answerCallbackQuery")[-1].params["text"] == "Accept the job first."
    accept(binding.fieldworker, booking)
    webhook.post(updates.press(5021, f"g:{booking.pk}"))
    text = webhook.api.texts(5021)[-1]
    assert text.startswith(f"Hand the phone to the customer to sign for job #{booking.number}:")
    url = text.split("\n")[-1]
    assert url.startswith(f"{settings.FIELDOPS_PUBLIC_URL}/sign/")
    page = Client().get(url[len(settings.FIELDOPS_PUBLIC_URL):])
    assert page.status_code == 200 and b'id="signature-pad"' in page.content


def test_on_my_way_texts_the_customer(webhook, linked, offered):
    from core.sms import backends as sms_backends

    sms_backends.outbox.clear()
    binding = linked(5014)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    webhook.post(updates.press(5014, f"w:{booking.pk}"))
    assert BookingEvent.objects.filter(booking=booking, action="on_my_way", channel="telegram").exists()
    texts = [entry.body for entry in sms_backends.outbox
             if entry.to == booking.customer.mobile and "on the way" in entry.body]
    assert texts == [f"{binding.fieldworker.name.split(' ')[0]} is on the way for booking #{booking.number}."]


def test_note_becomes_a_discussion_comment(webhook, linked, offered):
    binding = linked(5015)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    webhook.post(updates.press(5015, f"n:{booking.pk}"))
    webhook.post(updates.message(5015, "Gate code is 4411"))
    comment = BookingComment.objects.get(booking=booking)
    assert (comment.body, comment.channel, comment.author_kind) == ("Gate code is 4411", "telegram", "fieldworker")
    assert comment.visible_to_customer is False


def test_reply_to_a_discussion_message_answers_it(webhook, linked, offered, staff_actor):
    binding = linked(5016)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    question = booking_services.comment_add(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                            body="Can you bring a ladder?")
    webhook.deliver()
    forwarded = ChatMessage.objects.get(kind="comment", comment_id=question.pk)
    assert "Can you bring a ladder?" in webhook.api.texts(5016)[-1]
    webhook.post(updates.message(5016, "Yes, will do",
                                 reply_to=updates.bot_message(5016, forwarded.telegram_message_id)))
    answer = BookingComment.objects.exclude(pk=question.pk).get()
    assert (answer.body, answer.reply_to_id, answer.channel) == ("Yes, will do", question.pk, "telegram")
    # the fieldworker's own comment is not echoed back to them
    assert ChatMessage.objects.filter(kind="comment", comment_id=answer.pk).count() == 0


def test_text_without_context_is_not_guessed(webhook, linked, offered):
    binding = linked(5017)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    webhook.post(updates.message(5017, "random words"))
    assert BookingComment.objects.count() == 0
    assert webhook.api.texts(5017)[-1].startswith("I did not understand that.")


def test_photo_is_stored_as_a_booking_attachment(webhook, linked, offered):
    binding = linked(5018)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    photo = jpeg_with_gps()
    webhook.api.files["PHOTO1"] = photo
    webhook.post(updates.press(5018, f"p:{booking.pk}"))
    update = updates.photo(5018, file_id="PHOTO1", unique_id="UNIQ1", caption="Before")
    webhook.post(update)
    attachment = BookingAttachment.objects.get()
    assert (attachment.booking_id, attachment.caption, attachment.channel) == (booking.pk, "Before", "telegram")
    assert attachment.status == AttachmentStatus.STORED
    stored = attachment.stored_file  # the booking's file, checked and without its GPS position (core.files)
    assert (stored.booking_id, stored.kind, stored.content_type, stored.customer_visible) == (
        booking.pk, "image", "image/jpeg", False)
    with stored.file.open("rb") as handle:
        data = handle.read()
    assert data[:3] == b"\xff\xd8\xff" and b"FieldPhone" in photo and b"FieldPhone" not in data
    assert BookingEvent.objects.filter(booking=booking, action="attachment_added").count() == 1
    assert webhook.api.texts(5018)[-1] == f"Photo saved to job #{booking.number}."
    # the same photo again (replied to the job message) is not stored twice
    job_message = ChatMessage.objects.filter(chat_id=5018, booking=booking, status="sent").last()
    webhook.post(updates.photo(5018, file_id="PHOTO1", unique_id="UNIQ1",
                               reply_to=updates.bot_message(5018, job_message.telegram_message_id)))
    assert BookingAttachment.objects.count() == 1


def test_a_photo_that_is_not_an_image_is_not_kept(webhook, linked, offered):
    binding = linked(5020)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    webhook.api.files["PHOTO9"] = b"\xff\xd8\xff<script>not a jpeg</script>"
    webhook.post(updates.press(5020, f"p:{booking.pk}"))
    webhook.post(updates.photo(5020, file_id="PHOTO9", unique_id="UNIQ9"))
    attachment = BookingAttachment.objects.get()
    assert (attachment.status, attachment.stored_file) == (AttachmentStatus.FAILED, None)
    assert StoredFile.objects.count() == 0


def test_photo_without_a_job_is_refused(webhook, linked):
    linked(5019)
    webhook.post(updates.photo(5019, file_id="P2", unique_id="U2"))
    assert BookingAttachment.objects.count() == 0
    assert webhook.api.texts(5019)[-1].startswith("Which job is this for?")


def test_cancellation_and_changes_reach_the_assigned_fieldworker(webhook, linked, offered, staff_actor):
    binding = linked(5020)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    booking_services.booking_update(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    scheduled_start=booking.scheduled_start + timedelta(hours=1))
    webhook.deliver()
    assert webhook.api.texts(5020)[-1].startswith(f"Job #{booking.number} has changed:")
    booking_services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    reason="Customer away")
    webhook.deliver()
    assert webhook.api.texts(5020)[-1].startswith(f"Job #{booking.number} (")
    assert "is cancelled" in webhook.api.texts(5020)[-1]


def test_an_edited_message_is_not_a_second_note(webhook, linked, offered):
    binding = linked(5021)
    booking = offered(binding.fieldworker)
    accept(binding.fieldworker, booking)
    job_message = ChatMessage.objects.filter(chat_id=5021, booking=booking, status="sent").last()
    reply_to = updates.bot_message(5021, job_message.telegram_message_id)
    update = updates.message(5021, "Running 10 minutes late", reply_to=reply_to)
    webhook.post(update)
    edited = {"update_id": update["update_id"] + 1,
              "edited_message": {**update["message"], "text": "Running 15 minutes late", "edit_date": 1}}
    response = webhook.post(edited)
    assert response.status_code == 200
    assert list(BookingComment.objects.values_list("body", flat=True)) == ["Running 10 minutes late"]

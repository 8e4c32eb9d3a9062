"""A fieldworker answers the customer from the chat: a customer's message is forwarded saying whom a
reply reaches, the reply goes to the customer by default (``/note`` keeps it internal), ``/tell`` and
``/customer`` write to the customer, ``/thread`` and the Discussion button show the job's discussion.
Through the webhook and the fake Bot API; changes checked in the database."""

from __future__ import annotations

import zoneinfo

import pytest

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import BookingComment, BookingEvent
from core.chat.models import ChatMessage, ProcessedUpdate
from core.company.services import company_update
from tests import factories
from tests.conversations.sms.conftest import SMS_PATH, inbound_params, parse_reply, post_signed
from tests.core.support import db_state

from . import updates
from .conftest import accept


@pytest.fixture
def on_job(linked, offered):
    """``on_job(chat_id)``: a linked fieldworker who accepted a job of customer Jo Bloggs."""

    def make(chat_id: int, **extra):
        binding = linked(chat_id)
        booking = offered(binding.fieldworker, cust=factories.customer(name="Jo Bloggs"), **extra)
        accept(binding.fieldworker, booking)
        return binding, booking

    return make


def _from_customer(booking, body: str) -> BookingComment:
    return booking_services.comment_add(actor=Actor.for_customer(booking.customer), channel=Channel.SMS,
                                        booking_id=booking.pk, body=body)


def _forwarded(chat_id: int, comment: BookingComment) -> dict:
    """The bot's forward of ``comment`` in that chat, as Telegram embeds it in a reply."""
    row = ChatMessage.objects.get(kind="comment", chat_id=chat_id, comment_id=comment.pk, status="sent")
    return updates.bot_message(chat_id, row.telegram_message_id, row.text)


def _domain_and_comments():
    return db_state(), list(BookingComment.objects.values_list("pk", flat=True))


def test_a_customers_text_reaches_the_chat_and_a_reply_goes_back_to_the_customer(webhook, on_job, client,
                                                                                  twilio_sms):
    binding, booking = on_job(6001)
    # the customer texts the business; their only open booking takes the message
    texted = parse_reply(post_signed(client, SMS_PATH, inbound_params("Can you come at 8 instead?",
                                                                         booking.customer.mobile)))
    assert "passed your message on" in texted.text
    webhook.deliver()
    question = BookingComment.objects.get(booking=booking)
    assert (question.author_kind, question.visible_to_customer) == ("customer", True)
    assert webhook.api.texts(6001)[-1] == (
        f"Job #{booking.number}, Jo Bloggs (the customer):\nCan you come at 8 instead?\n\n"
        f"Reply to this message to answer Jo; start with /note to keep it internal.")
    webhook.post(updates.message(6001, "Yes, 8 works", reply_to=_forwarded(6001, question)))
    answer = BookingComment.objects.exclude(pk=question.pk).get()
    assert (answer.body, answer.visible_to_customer, answer.reply_to_id, answer.author_kind, answer.channel) == (
        "Yes, 8 works", True, question.pk, "fieldworker", "telegram")
    assert answer.author_user_id == binding.fieldworker.user_id
    row = BookingEvent.objects.filter(booking=booking, action="comment_added").latest("id")
    assert (row.channel, row.data) == ("telegram", {"comment_id": answer.pk, "visible_to_customer": True})
    assert webhook.api.texts(6001)[-1] == f"Sent to Jo (the customer) on job #{booking.number}."


def test_a_reply_starting_with_note_stays_internal(webhook, on_job):
    _binding, booking = on_job(6002)
    question = _from_customer(booking, "Is the dog a problem?")
    webhook.deliver()
    webhook.post(updates.message(6002, "/note Ask the office whether we charge extra",
                                 reply_to=_forwarded(6002, question)))
    note = BookingComment.objects.exclude(pk=question.pk).get()
    assert (note.body, note.visible_to_customer, note.reply_to_id) == (
        "Ask the office whether we charge extra", False, question.pk)
    assert webhook.api.texts(6002)[-1] == (
        f"Internal note added to job #{booking.number} — the customer does not see it.")


def test_a_reply_to_an_internal_note_stays_internal_unless_it_starts_with_customer(webhook, on_job, staff_actor):
    _binding, booking = on_job(6003)
    staff_note = booking_services.comment_add(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                              body="Bring the big ladder")
    webhook.deliver()
    forwarded = webhook.api.texts(6003)[-1]
    assert forwarded.startswith(f"Job #{booking.number}, internal note from {staff_actor.label} (office):\n")
    assert "the customer does not see it. Start with /customer to write to Jo instead." in forwarded
    webhook.post(updates.message(6003, "Will do", reply_to=_forwarded(6003, staff_note)))
    webhook.post(updates.message(6003, "/customer We are bringing a ladder, please clear the drive",
                                 reply_to=_forwarded(6003, staff_note)))
    internal, told = BookingComment.objects.exclude(pk=staff_note.pk).order_by("id")
    assert (internal.body, internal.visible_to_customer, internal.reply_to_id) == ("Will do", False, staff_note.pk)
    assert (told.body, told.visible_to_customer, told.reply_to_id) == (
        "We are bringing a ladder, please clear the drive", True, staff_note.pk)
    assert webhook.api.texts(6003)[-2:] == [
        f"Internal note added to job #{booking.number} — the customer does not see it.",
        f"Sent to Jo (the customer) on job #{booking.number}."]


def test_a_reply_to_what_the_office_told_the_customer_goes_to_the_customer(webhook, on_job, staff_actor):
    _binding, booking = on_job(6004)
    told = booking_services.comment_add(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                        body="Your technician will call ahead", visible_to_customer=True)
    webhook.deliver()
    assert "Jo (the customer) will see it" in webhook.api.texts(6004)[-1]
    webhook.post(updates.message(6004, "I will call 30 minutes before", reply_to=_forwarded(6004, told)))
    answer = BookingComment.objects.exclude(pk=told.pk).get()
    assert (answer.visible_to_customer, answer.reply_to_id) == (True, told.pk)


def test_tell_and_note_name_the_job_by_its_number(webhook, on_job):
    _binding, booking = on_job(6005)
    webhook.post(updates.message(6005, f"/tell {booking.number} Running 10 minutes late, sorry"))
    webhook.post(updates.message(6005, f"/note #{booking.number} Customer's gate sticks\nlift it first"))
    told, note = BookingComment.objects.filter(booking=booking).order_by("id")
    assert (told.body, told.visible_to_customer, told.reply_to_id) == ("Running 10 minutes late, sorry", True, None)
    assert (note.body, note.visible_to_customer) == ("Customer's gate sticks\nlift it first", False)
    assert webhook.api.texts(6005)[-2:] == [f"Sent to Jo (the customer) on job #{booking.number}.",
                                            f"Internal note added to job #{booking.number} — the customer does "
                                            f"not see it."]
    # in a reply to the job's own message, the job's number before the text is not part of it
    job_message = ChatMessage.objects.filter(chat_id=6005, booking=booking, kind="offer").get()
    webhook.post(updates.message(6005, f"/tell {booking.number} On my way",
                                 reply_to=updates.bot_message(6005, job_message.telegram_message_id)))
    assert BookingComment.objects.latest("id").body == "On my way"


def test_tell_without_a_job_or_text_says_how(webhook, on_job):
    _binding, booking = on_job(6006)
    before = _domain_and_comments()
    webhook.post(updates.message(6006, "/tell Running late"))
    assert webhook.api.texts(6006)[-1] == ("Which job? Reply to the job's message with /tell and your text, or "
                                           "start with the job number: /tell 1042 your text.")
    webhook.post(updates.message(6006, f"/tell {booking.number}"))
    assert webhook.api.texts(6006)[-1] == "That message is empty."
    assert _domain_and_comments() == before


def test_thread_shows_the_customer_visible_messages_and_internal_notes_apart(webhook, on_job, staff_actor):
    company_update(actor=staff_actor, channel=Channel.GRAPHQL, time_zone="Australia/Sydney")
    binding, booking = on_job(6007, time_zone="America/New_York")
    question = _from_customer(booking, "Can you come at 8?")
    mine = booking_services.comment_add(actor=Actor.for_fieldworker(binding.fieldworker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, body="Yes", visible_to_customer=True)
    office = booking_services.comment_add(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                          body="Gate code 4411")
    webhook.deliver()
    webhook.post(updates.message(6007, f"/thread {booking.number}"))
    text = webhook.api.texts(6007)[-1]

    def stamp(comment):  # the booking's zone, neither the company's (Sydney) nor UTC
        local = comment.created_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
        return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"

    heading, with_customer, internal, how = text.split("\n\n")
    assert heading.startswith(f"Job #{booking.number} discussion (")
    assert with_customer.splitlines() == ["With the customer (Jo Bloggs); they see these:",
                                          f"{stamp(question)} · Jo Bloggs (customer): Can you come at 8?",
                                          f"{stamp(mine)} · You: Yes"]
    assert internal.splitlines() == ["Internal notes; the customer does not see these:",
                                     f"{stamp(office)} · {staff_actor.label} (office): Gate code 4411"]
    assert how == "Reply to this message to answer Jo; start with /note to keep it internal."
    # the Discussion button on the job shows the same
    webhook.post(updates.press(6007, f"t:{booking.pk}"))
    assert webhook.api.texts(6007)[-1] == text
    # replying to the thread answers the customer's conversation
    thread_message = ChatMessage.objects.filter(chat_id=6007, text=text).latest("id")
    webhook.post(updates.message(6007, "See you at 8",
                                 reply_to=updates.bot_message(6007, thread_message.telegram_message_id)))
    answer = BookingComment.objects.latest("id")
    assert (answer.body, answer.visible_to_customer) == ("See you at 8", True)
    assert webhook.api.texts(6007)[-1] == f"Sent to Jo (the customer) on job #{booking.number}."


def test_an_offered_fieldworker_reads_the_thread_but_cannot_write_to_the_customer(webhook, linked, offered):
    binding = linked(6008)
    booking = offered(binding.fieldworker, cust=factories.customer(name="Jo Bloggs"))
    _from_customer(booking, "Who is coming?")
    webhook.deliver()
    webhook.post(updates.message(6008, f"/thread {booking.number}"))
    text = webhook.api.texts(6008)[-1]
    assert "Jo Bloggs (customer): Who is coming?" in text
    assert text.endswith(f"Accept the job to write to Jo. /note {booking.number} text adds an internal note.")
    before = _domain_and_comments()
    webhook.post(updates.message(6008, f"/tell {booking.number} It will be me"))
    assert webhook.api.texts(6008)[-1] == (
        f"Only a fieldworker who accepted job #{booking.number} can write to the customer; nothing was sent. "
        f"Start with /note to add an internal note instead.")
    thread_message = ChatMessage.objects.filter(chat_id=6008, text=text).get()
    webhook.post(updates.message(6008, "/customer It will be me",
                                 reply_to=updates.bot_message(6008, thread_message.telegram_message_id)))
    assert webhook.api.texts(6008)[-1].startswith("Only a fieldworker who accepted")
    assert _domain_and_comments() == before


def test_a_fieldworker_not_on_the_job_cannot_write_to_the_customer_or_read_the_thread(webhook, on_job, linked,
                                                                                     staff_actor):
    owner, booking = on_job(6009)
    question = _from_customer(booking, "Private question with my door code 1234")
    webhook.deliver()
    forwarded = _forwarded(6009, question)
    intruder = linked(6010)
    before = _domain_and_comments()
    for text in (f"/tell {booking.number} Hello", f"/note {booking.number} Hello", f"/thread {booking.number}"):
        webhook.post(updates.message(6010, text))
    webhook.post(updates.press(6010, f"t:{booking.pk}"))
    # the owner's forwarded message id, replayed from the intruder's chat, names nothing there
    webhook.post(updates.message(6010, "Hello", reply_to=updates.bot_message(6010, forwarded["message_id"])))
    sent = webhook.api.texts(6010)
    assert sent[:3] == ["That job is not yours or no longer exists."] * 3
    assert sent[3].startswith("I did not understand that.")
    assert webhook.api.of("answerCallbackQuery")[-1].params["text"] == "That job is not yours or no longer exists."
    assert all("1234" not in text for text in sent)
    assert intruder.fieldworker.assignments.count() == 0
    # the owner, once taken off the job, can no longer answer the forwarded message
    booking_services.booking_unassign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                      fieldworker_id=owner.fieldworker_id)
    webhook.deliver()
    before = _domain_and_comments()
    webhook.post(updates.message(6009, "Still coming", reply_to=forwarded))
    assert webhook.api.texts(6009)[-1] == "That job is not yours or no longer exists."
    assert _domain_and_comments() == before


def test_a_replayed_or_forged_reply_changes_nothing(webhook, on_job):
    _binding, booking = on_job(6011)
    question = _from_customer(booking, "Can you come at 8?")
    webhook.deliver()
    update = updates.message(6011, "Yes", reply_to=_forwarded(6011, question))
    webhook.post(update)
    after_first = (_domain_and_comments(), len(webhook.api.texts(6011)))
    duplicate = webhook.post(update)
    assert duplicate.json() == {"ok": True, "duplicate": True}
    forged = webhook.post(updates.message(6011, "Forged", reply_to=_forwarded(6011, question)), secret="wrong")
    assert forged.status_code == 403
    assert (_domain_and_comments(), len(webhook.api.texts(6011))) == after_first
    assert list(BookingComment.objects.exclude(pk=question.pk).values_list("body", "visible_to_customer")) == [
        ("Yes", True)]
    assert ProcessedUpdate.objects.filter(update_id=update["update_id"]).count() == 1

"""The conversation loop, end to end through the outside interfaces.

A customer texts; the fieldworker on the job answers in Telegram; staff add an internal note and a
customer-visible reply over GraphQL; the customer replies by SMS and then in the portal. The thread, the
deliveries to the customer (and the internal note's absence from every customer channel) and the live
events on the booking's group all match."""

from __future__ import annotations

import json
import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.test import Client

from core.bookings.models import BookingComment
from core.chat.models import ChatMessage
from core.sms import backends as sms_backends
from core.sms.models import CommentDelivery
from graphql_api.ids import encode_id
from tests import factories
from tests.conversations.sms.conftest import SMS_PATH, inbound_params, parse_reply, post_signed
from tests.conversations.telegram import updates
from tests.conversations.telegram.conftest import accept, bot_api, linked, offered, telegram, webhook  # noqa: F401
from tests.graphql_api.conftest import bearer
from tests.web.portal.support import portal_client

CHAT = 7101
ADD_COMMENT = """mutation($input: AddBookingCommentInput!) {
  addBookingComment(input: $input) { comment { id } errors { code message } }
}"""
INTERNAL = "Internal: the customer was rude to the last crew, send two"


class Live:
    """A listener on the booking's channel-layer group: what every live subscriber of it is sent."""

    def __init__(self, booking_id: int) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(f"booking.{booking_id}", self.channel)

    def comments(self) -> list[tuple[str, bool]]:
        seen = []
        while True:
            try:
                message = async_to_sync(self._receive)()
            except TimeoutError:
                return seen
            if message.get("action") == "comment_added":
                seen.append((message["details"]["body"], message["details"]["visible_to_customer"]))

    async def _receive(self) -> dict:
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), 0.2)


def sms_to(number: str) -> list[str]:
    return [message.body for message in sms_backends.outbox if message.to == number]


def test_the_conversation_closes_the_loop(webhook, linked, offered, twilio_sms, client, settings):  # noqa: F811
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    customer = factories.customer(with_login=True, name="Jo Bloggs", email="jo@example.com")
    binding = linked(CHAT)
    booking = offered(binding.fieldworker, cust=customer)
    accept(binding.fieldworker, booking)
    staff = factories.staff_user()
    live = Live(booking.pk)
    mail.outbox = []

    # 1. the customer texts the business: the message joins the booking's thread and reaches the chat
    texted = parse_reply(post_signed(client, SMS_PATH, inbound_params("Can you come at 8 instead?", customer.mobile)))
    assert "passed your message on" in texted.text
    webhook.deliver()
    question = BookingComment.objects.get(booking=booking)
    forwarded = webhook.api.texts(CHAT)[-1]
    assert "Can you come at 8 instead?" in forwarded and "Reply to this message to answer Jo" in forwarded

    # 2. the fieldworker answers in the chat, replying to the forwarded message: it goes to the customer
    sent = ChatMessage.objects.get(kind="comment", chat_id=CHAT, comment_id=question.pk, status="sent")
    webhook.post(updates.message(CHAT, "Yes, 8 works for me", reply_to=updates.bot_message(
        CHAT, sent.telegram_message_id, sent.text)))
    assert webhook.api.texts(CHAT)[-1] == f"Sent to Jo (the customer) on job #{booking.number}."
    assert any("Yes, 8 works for me" in body for body in sms_to(customer.mobile))

    # 3. staff add an internal note and 4. a customer-visible reply, over GraphQL
    http = Client()
    for body, visible in ((INTERNAL, False), ("The office confirms 8:00. See you then!", True)):
        response = http.post("/graphql/", json.dumps({"query": ADD_COMMENT, "variables": {"input": {
            "bookingId": encode_id("Booking", booking.pk), "body": body, "visibleToCustomer": visible}}}),
            content_type="application/json", HTTP_AUTHORIZATION=bearer(staff))
        assert response.json()["data"]["addBookingComment"]["errors"] == []
        webhook.deliver()
    assert any("The office confirms 8:00" in body for body in sms_to(customer.mobile))

    # 5. the customer replies by SMS: into the same thread, not texted back to them
    before = len(sms_to(customer.mobile))
    replied = parse_reply(post_signed(client, SMS_PATH, inbound_params("Great, thanks!", customer.mobile)))
    assert replied.status == 200
    webhook.deliver()
    assert len(sms_to(customer.mobile)) == before  # its answer, if any, is the TwiML reply itself

    # 6. and then in the portal
    portal = portal_client(customer, enforce_csrf_checks=True)
    page = portal.get(f"/portal/bookings/{booking.pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    posted = portal.post(f"/portal/bookings/{booking.pk}/discussion",
                         {"body": "Gate code is 4411", "csrfmiddlewaretoken": token})
    assert posted.status_code == 303
    webhook.deliver()

    # the thread: one conversation, in order, with who wrote what through which front
    thread = list(BookingComment.objects.filter(booking=booking).order_by("id").values_list(
        "author_kind", "channel", "visible_to_customer", "body"))
    assert thread == [
        ("customer", "sms", True, "Can you come at 8 instead?"),
        ("fieldworker", "telegram", True, "Yes, 8 works for me"),
        ("staff", "graphql", False, INTERNAL),
        ("staff", "graphql", True, "The office confirms 8:00. See you then!"),
        ("customer", "sms", True, "Great, thanks!"),
        ("customer", "portal", True, "Gate code is 4411"),
    ]
    # deliveries: exactly the two messages meant for the customer, each sent once by SMS
    deliveries = list(CommentDelivery.objects.order_by("comment_id").values_list("comment__body", "channel"))
    assert deliveries == [("Yes, 8 works for me", "sms"), ("The office confirms 8:00. See you then!", "sms")]
    # the internal note reached no customer channel: no SMS, no e-mail, not the portal page
    assert not any(INTERNAL in body for body in sms_to(customer.mobile))
    assert not any(INTERNAL in (message.body + str(message.alternatives)) for message in mail.outbox)
    assert INTERNAL not in portal.get(f"/portal/bookings/{booking.pk}/").content.decode()
    # the customer's own words were never sent back to them
    assert not any("Gate code is 4411" in body or "Great, thanks!" in body for body in sms_to(customer.mobile))
    # the fieldworker's chat heard the customer's later messages and the staff reply, not the internal
    # note as a customer message
    chat = "\n".join(webhook.api.texts(CHAT))
    assert "Great, thanks!" in chat and "Gate code is 4411" in chat
    # live events: every message of the thread went out on the booking's group, in order, with its
    # visibility (subscriptions filter on it: a customer's stream never carries the internal note)
    assert live.comments() == [(body, visible) for _kind, _channel, visible, body in thread]


UPDATE_CUSTOMER = """mutation($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) { customer { preferredChannel } errors { code message } }
}"""


def test_a_customer_who_asked_for_e_mail_gets_the_office_reply_by_e_mail_though_they_texted(
        db, twilio_sms, client, settings):
    """Decision 0615: the channel the customer asked for comes before the one they last wrote through."""
    from core.sms.selectors import last_used_channel
    from tests.core.outreach.support import deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = factories.customer(with_login=True, name="Jo Bloggs", email="jo@example.com")
    booking = factories.booking(cust=customer)
    staff = factories.staff_user()
    deliver()
    sms_backends.outbox.clear()
    mail.outbox = []

    # 1. the customer texts the business
    texted = parse_reply(post_signed(client, SMS_PATH, inbound_params("Can you come at 8 instead?", customer.mobile)))
    assert texted.status == 200
    deliver()
    assert last_used_channel(customer.pk) == "sms"
    texts_before = len(sms_to(customer.mobile))

    # 2. on the phone they say "please e-mail me, don't text": the office records it over GraphQL
    http = Client()
    auth = bearer(staff)

    def graphql(query: str, variables: dict) -> dict:
        response = http.post("/graphql/", json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=auth)
        return response.json()["data"]

    recorded = graphql(UPDATE_CUSTOMER, {"input": {"id": encode_id("Customer", customer.pk),
                                                   "preferredChannel": "EMAIL"}})["updateCustomer"]
    assert recorded == {"customer": {"preferredChannel": "EMAIL"}, "errors": []}

    # 3. staff answer in the booking's discussion, visible to the customer: it goes by e-mail
    added = graphql(ADD_COMMENT, {"input": {"bookingId": encode_id("Booking", booking.pk),
                                            "body": "8:00 works, see you then.", "visibleToCustomer": True}})
    assert added["addBookingComment"]["errors"] == []
    deliver()
    comment = BookingComment.objects.get(booking=booking, body="8:00 works, see you then.")
    assert list(CommentDelivery.objects.filter(comment=comment).values_list("channel", "status", "to")) == [
        ("email", "sent", "jo@example.com")]
    [sent] = [message for message in mail.outbox if "8:00 works, see you then." in message.body]
    assert sent.to == ["jo@example.com"]
    assert len(sms_to(customer.mobile)) == texts_before  # not texted as well

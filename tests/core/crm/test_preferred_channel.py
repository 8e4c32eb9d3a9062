"""A customer's preferred channel (decision 0615): set through the customer services with a history row
and its event, refused when it is not a channel, and honoured by a reply to the customer's inquiry."""

from __future__ import annotations

import pytest
from django.core import mail

from core import events
from core.actors import Actor, Channel
from core.crm import events as crm_events
from core.crm import services
from core.crm.models import Customer, CustomerLog
from core.sms import backends
from core.sms.services import sms_opt_out
from tests import factories
from tests.core.support import assert_refused


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "core.sms.backends.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    backends.outbox.clear()
    mail.outbox = []
    yield
    backends.outbox.clear()


@pytest.fixture
def customer_events(published):
    seen: list[crm_events.CustomerEvent] = []
    events.subscribe(crm_events.CustomerEvent, seen.append)

    def flushed() -> list[crm_events.CustomerEvent]:
        published.all()  # runs what a commit would have run
        return seen

    yield flushed
    events.unsubscribe(crm_events.CustomerEvent, seen.append)


def test_staff_set_it_on_create_and_change_it_with_history_rows_and_events(staff_actor, customer_events):
    made = services.customer_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Ann", email="ann@example.com",
                                    preferred_channel="email")
    assert made.preferred_channel == "email"
    services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL, customer_id=made.pk,
                             preferred_channel=" SMS ")
    services.customer_update(actor=staff_actor, channel=Channel.GRAPHQL, customer_id=made.pk, preferred_channel="")
    assert Customer.objects.get(pk=made.pk).preferred_channel == ""
    rows = list(CustomerLog.objects.filter(customer=made).values_list("action", "changes"))
    assert rows == [
        ("created", {"name": ["", "Ann"], "email": ["", "ann@example.com"], "preferred_channel": ["", "email"]}),
        ("updated", {"preferred_channel": ["email", "sms"]}),
        ("updated", {"preferred_channel": ["sms", ""]}),
    ]
    seen = customer_events()
    assert [type(e) for e in seen] == [crm_events.CustomerCreated, crm_events.CustomerUpdated,
                                       crm_events.CustomerUpdated]
    assert [e.changed for e in seen[1:]] == [("preferred_channel",), ("preferred_channel",)]


def test_the_customer_sets_their_own(customer, customer_actor):
    services.customer_update(actor=customer_actor, channel=Channel.PORTAL, customer_id=customer.pk,
                             preferred_channel="email")
    row = CustomerLog.objects.get(customer=customer)
    assert (row.channel, row.actor_kind, row.changes) == ("portal", "customer", {"preferred_channel": ["", "email"]})


@pytest.mark.parametrize("value", ["fax", "telegram", "e-mail", "sms,email"])
def test_anything_but_sms_email_or_blank_is_refused_and_nothing_changes(customer, staff_actor, published, value):
    error = assert_refused(lambda: services.customer_update(
        actor=staff_actor, channel=Channel.GRAPHQL, customer_id=customer.pk, preferred_channel=value, name="New"),
        "invalid_channel", published=published, field="preferredChannel")
    assert "sms, email or blank" in error.message
    assert_refused(lambda: services.customer_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Bo",
                                                    preferred_channel=value),
                   "invalid_channel", published=published, field="preferredChannel")


def _inquiry_from(customer: Customer, *, contact: str, channel: Channel = Channel.SMS):
    return services.inquiry_open(actor=Actor.for_customer(customer), channel=channel, body="Is Tuesday ok?",
                                 customer_id=customer.pk, contact=contact)


def test_a_reply_to_an_e_mail_preferring_customer_who_texted_goes_by_e_mail(staff_actor, published):
    customer = factories.customer(email="pat@example.com", preferred_channel="email")
    inquiry = _inquiry_from(customer, contact=customer.mobile)
    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk,
                                   body="Tuesday is fine.")
    published.all()
    assert entry.data == {"via": "email", "to": "pat@example.com"}
    assert backends.outbox == [] and [m.to for m in mail.outbox] == [["pat@example.com"]]


def test_a_reply_to_an_sms_preferring_customer_who_wrote_from_a_page_goes_to_their_mobile(staff_actor, published):
    customer = factories.customer(email="pat@example.com", preferred_channel="sms")
    inquiry = _inquiry_from(customer, contact="pat@example.com", channel=Channel.PORTAL)
    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, inquiry_id=inquiry.pk, body="Yes.")
    published.all()
    assert entry.data == {"via": "sms", "to": customer.mobile}
    assert [sms.to for sms in backends.outbox] == [customer.mobile] and mail.outbox == []


def test_a_preferred_channel_that_cannot_be_used_falls_back_to_the_other(staff_actor, published):
    no_address = factories.customer(email="", preferred_channel="email")
    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, body="Yes.",
                                   inquiry_id=_inquiry_from(no_address, contact=no_address.mobile).pk)
    assert entry.data == {"via": "sms", "to": no_address.mobile}
    opted_out = factories.customer(email="jo@example.com", preferred_channel="sms")
    sms_opt_out(actor=Actor.system(), channel=Channel.SMS, number=opted_out.mobile, keyword="STOP")
    entry = services.inquiry_reply(actor=staff_actor, channel=Channel.GRAPHQL, body="Yes.",
                                   inquiry_id=_inquiry_from(opted_out, contact="jo@example.com",
                                                            channel=Channel.PORTAL).pk)
    assert entry.data == {"via": "email", "to": "jo@example.com"}

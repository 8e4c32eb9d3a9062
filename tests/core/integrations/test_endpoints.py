"""The rules of webhook endpoints and deliveries (decisions 0060-0062): who may manage them, which
URLs are refused (SSRF) and which inputs, each refusal changing nothing; what the event envelope
carries; that nobody's request pays for webhooks when no endpoint is active; query counts of the
delivery log."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.integrations import addresses, services, switch
from core.integrations.envelopes import relay_id
from core.integrations.models import DeliveryStatus, WebhookDelivery
from core.sales import invoices as invoice_services
from core.sales import payments as payment_services
from tests import factories
from tests.core.support import assert_refused, db_state
from tests.graphql_api.conftest import gid, run

from .support import CREATE, graphql

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hooks"  # nothing listens: these tests never send


def create(actor, **extra):
    return services.webhook_endpoint_create(actor=actor, channel=Channel.GRAPHQL, **{"url": URL, **extra})


@pytest.mark.parametrize(("url", "code"), [
    ("ftp://127.0.0.1/x", "webhook_url_invalid"),
    ("not a url", "webhook_url_invalid"),
    ("https://user:pw@127.0.0.1/x", "webhook_url_invalid"),
    ("https://127.0.0.1:99999/x", "webhook_url_invalid"),
    ("https://" + "a" * 500 + ".example", "too_long"),
    ("", "required"),
    ("https://10.0.0.8/hook", "webhook_url_private"),
    ("https://192.168.1.1/hook", "webhook_url_private"),
    ("https://169.254.169.254/latest/meta-data/", "webhook_url_private"),  # the cloud metadata address
    ("https://[fd00::1]/hook", "webhook_url_private"),
    ("https://[::ffff:10.0.0.1]/hook", "webhook_url_private"),
    ("https://0.0.0.0/hook", "webhook_url_private"),
    ("http://8.8.8.8/hook", "webhook_https_required"),
    ("https://no-such-host.invalid/hook", "webhook_url_unresolvable"),
])
def test_refused_urls_change_nothing(staff_actor, url, code):
    assert_refused(lambda: create(staff_actor, url=url), code, field="url")


def test_loopback_is_refused_unless_the_setting_allows_it(staff_actor, settings):
    settings.FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK = False
    for url in ("https://127.0.0.1/x", "https://localhost/x", "https://[::1]/x", URL):
        assert_refused(lambda url=url: create(staff_actor, url=url), "webhook_url_private", field="url")
    settings.FIELDOPS_WEBHOOKS_ALLOW_LOOPBACK = True
    assert addresses.check_url(URL) == URL
    assert addresses.check_url("https://8.8.8.8/hook") == "https://8.8.8.8/hook"  # a public address


def test_event_types_are_from_the_list(staff_actor):
    assert_refused(lambda: create(staff_actor, event_types=["booking.cancelled", "booking.exploded"]),
                   "unknown_event_type", field="eventTypes.1")
    endpoint = create(staff_actor, event_types=["booking.cancelled", "booking.cancelled", "invoice.paid"])
    assert endpoint.event_types == ["booking.cancelled", "invoice.paid"]
    assert endpoint.wants("invoice.paid") and not endpoint.wants("booking.created")
    assert create(staff_actor).wants("booking.created")  # none listed: every type


def test_only_staff_manage_webhooks_and_refusals_change_nothing(staff_actor, customer_actor, fieldworker_actor):
    endpoint = create(staff_actor)
    delivery = services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    for actor in (customer_actor, fieldworker_actor):
        assert_refused(lambda actor=actor: create(actor), "forbidden")
        assert_refused(lambda actor=actor: services.webhook_endpoint_update(
            actor=actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk, active=False), "forbidden")
        assert_refused(lambda actor=actor: services.webhook_endpoint_rotate_secret(
            actor=actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk), "forbidden")
        assert_refused(lambda actor=actor: services.webhook_endpoint_delete(
            actor=actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk), "forbidden")
        assert_refused(lambda actor=actor: services.webhook_redeliver(
            actor=actor, channel=Channel.GRAPHQL, delivery_id=delivery.pk), "forbidden")
        assert_refused(lambda actor=actor: services.webhook_send_test(
            actor=actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk), "forbidden")
    assert_refused(lambda: create(Actor.anonymous()), "unauthenticated")


def test_guards_of_the_staff_mutations(staff_actor):
    endpoint = create(staff_actor)
    queued = services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk)
    assert_refused(lambda: services.webhook_redeliver(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      delivery_id=queued.pk), "webhook_in_progress")
    assert_refused(lambda: services.webhook_redeliver(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      delivery_id=987654), "not_found")
    assert_refused(lambda: services.webhook_endpoint_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                            endpoint_id=987654, active=False), "not_found")
    assert_refused(lambda: services.webhook_endpoint_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                            endpoint_id=endpoint.pk, url="https://10.1.1.1/"),
                   "webhook_url_private", field="url")
    assert_refused(lambda: services.webhook_endpoint_update(actor=staff_actor, channel=Channel.GRAPHQL,
                                                            endpoint_id=endpoint.pk, description="x" * 201),
                   "too_long", field="description")
    services.webhook_endpoint_update(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk,
                                     active=False)
    assert_refused(lambda: services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      endpoint_id=endpoint.pk), "webhook_endpoint_inactive")
    WebhookDelivery.objects.filter(pk=queued.pk).update(status=DeliveryStatus.FAILED)
    assert_refused(lambda: services.webhook_redeliver(actor=staff_actor, channel=Channel.GRAPHQL,
                                                      delivery_id=queued.pk), "webhook_endpoint_inactive")


def test_forged_graphql_inputs_answer_errors_and_change_nothing(company):
    staff, customer = factories.staff_user(), factories.customer(with_login=True)
    graphql(staff, "{ me { kind } }")
    graphql(customer.user, "{ me { kind } }")
    endpoint = create(Actor.from_user(staff))
    before = db_state()
    cases = [
        (staff, CREATE, {"input": {"url": "https://169.254.169.254/"}}, "createWebhookEndpoint", "WEBHOOK_URL_PRIVATE"),
        (staff, CREATE, {"input": {"url": "javascript:alert(1)"}}, "createWebhookEndpoint", "WEBHOOK_URL_INVALID"),
        (staff, CREATE, {"input": {"url": URL, "eventTypes": ["*"]}}, "createWebhookEndpoint", "UNKNOWN_EVENT_TYPE"),
        (customer.user, CREATE, {"input": {"url": URL}}, "createWebhookEndpoint", "FORBIDDEN"),
    ]
    for user, query, variables, name, code in cases:
        answer = graphql(user, query, **variables)[ "data"][name]
        assert answer["webhookEndpoint"] is None and answer["secret"] is None
        assert answer["errors"][0]["code"] == code.lower()
    for bad in ("nonsense", gid("Booking", endpoint.pk), gid("WebhookEndpoint", 987654)):
        answer = graphql(staff, "mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret "
                                "errors { code } } }", id=bad)["data"]["rotateWebhookEndpointSecret"]
        assert answer["secret"] is None and answer["errors"][0]["code"] in ("invalid_id", "not_found")
        answer = graphql(staff, "mutation($id: ID!) { redeliverWebhook(id: $id) { errors { code } } }",
                         id=bad)["data"]["redeliverWebhook"]
        assert answer["errors"][0]["code"] in ("invalid_id", "not_found")
    # a customer sees no endpoint and no delivery log
    assert graphql(customer.user, "query($id: ID!) { webhookEndpoint(id: $id) { url } }",
                   id=gid("WebhookEndpoint", endpoint.pk))["data"] == {"webhookEndpoint": None}
    assert graphql(customer.user, "query($id: ID!) { node(id: $id) { id } }",
                   id=gid("WebhookEndpoint", endpoint.pk))["data"] == {"node": None}
    denied = graphql(customer.user, "{ webhookDeliveries { totalCount } }")
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "forbidden"
    assert db_state() == before


def test_the_envelope_names_objects_by_their_api_ids_and_carries_no_personal_data(staff_actor, settings):
    create(staff_actor)
    booking = factories.booking(cust=factories.customer(name="Dana Webb"))
    created = json.loads(WebhookDelivery.objects.get(event_type="booking.created").body)
    assert created["data"]["booking_id"] == gid("Booking", booking.pk) == relay_id("Booking", booking.pk)
    assert created["data"]["customer_id"] == gid("Customer", booking.customer_id)
    assert created["data"]["number"] == booking.number and created["data"]["status"] == "pending"
    body = WebhookDelivery.objects.get(event_type="booking.created").body
    for personal in ("Dana", "Webb", booking.customer.email, booking.customer.mobile, booking.property.address):
        assert personal not in body
    fw = factories.fieldworker()
    booking_services.booking_assign(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    fieldworker_id=fw.pk)
    assigned = json.loads(WebhookDelivery.objects.get(event_type="booking.assigned").body)
    assert assigned["data"]["fieldworker_id"] == gid("Fieldworker", fw.pk)
    # an invoice paid in full: the payment and the paid event, each once
    invoice = invoice_services.invoice_create(actor=staff_actor, channel=Channel.GRAPHQL,
                                              customer_id=booking.customer_id, booking_id=booking.pk,
                                              lines=[invoice_services.InvoiceLineInput(description="Work",
                                                                                       unit_price="50")])
    invoice_services.invoice_issue(actor=staff_actor, channel=Channel.GRAPHQL, invoice_id=invoice.pk,
                                   send_email=False)
    invoice.refresh_from_db()
    payment_services.payment_record(actor=staff_actor, channel=Channel.GRAPHQL, invoice_id=invoice.pk,
                                    amount="1.00", method="cash")
    assert not WebhookDelivery.objects.filter(event_type="invoice.paid").exists()  # part paid
    payment_services.payment_record(actor=staff_actor, channel=Channel.GRAPHQL, invoice_id=invoice.pk,
                                    amount=str(invoice.total - 1), method="cash")
    types = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert types[-4:] == ["invoice.issued", "invoice.payment_recorded", "invoice.payment_recorded", "invoice.paid"]
    paid = json.loads(WebhookDelivery.objects.get(event_type="invoice.paid").body)
    assert paid["data"]["invoice_id"] == gid("Invoice", invoice.pk)


def test_one_event_makes_one_delivery_per_endpoint_that_wants_it_with_one_event_id(staff_actor):
    everything, cancels = create(staff_actor), create(staff_actor, event_types=["booking.cancelled"])
    create(staff_actor, event_types=["booking.cancelled"], active=False)
    booking = factories.booking()
    booking_services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="x")
    rows = WebhookDelivery.objects.filter(event_type="booking.cancelled")
    assert sorted(rows.values_list("endpoint_id", flat=True)) == sorted([everything.pk, cancels.pk])
    assert len({row.event_id for row in rows}) == 1 and len({row.body for row in rows}) == 1
    assert WebhookDelivery.objects.filter(endpoint=cancels).count() == 1


def test_no_active_endpoint_costs_no_statement_and_no_savepoint(staff_actor):
    booking = factories.booking()
    event = events.BookingUpdated(event_id=1, booking_id=booking.pk, channel="sms", actor_kind="customer",
                                  changed=("notes",))
    # the subscriber alone: its ``when`` reads the flag without a statement
    from core.integrations import handlers

    with CaptureQueriesContext(connection) as none_at_all:
        for _ in range(3):
            if handlers._concerns(event):
                handlers.on_event(event)
    assert len(none_at_all) == 0
    endpoint = create(staff_actor, active=False)  # an endpoint that is off is none
    switch.refresh()
    with CaptureQueriesContext(connection) as still_none:
        assert handlers._concerns(event) is False
    assert len(still_none) == 0
    services.webhook_endpoint_update(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk,
                                     active=True)
    assert handlers._concerns(event) is True
    services.webhook_endpoint_delete(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk)
    switch.refresh()  # what the commit does (the test's transaction never commits)
    assert handlers._concerns(event) is False


def test_a_lost_flag_is_read_again_once_and_no_event_is_lost(staff_actor):
    """Redis flushed or restarted while an endpoint is active: the next event reads the endpoints once,
    writes the flag back and is recorded; the events after it cost no statement for the flag."""
    from django.core.cache import cache

    endpoint = create(staff_actor)
    booking = factories.booking()
    cache.delete(switch.KEY)
    switch.forget()
    booking_services.booking_cancel(actor=staff_actor, channel=Channel.GRAPHQL, booking_id=booking.pk, reason="x")
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event_type="booking.cancelled").count() == 1
    assert cache.get(switch.KEY) == 1
    services.webhook_endpoint_delete(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk)
    cache.delete(switch.KEY)
    switch.forget()
    with CaptureQueriesContext(connection) as first:
        assert switch.active() is False  # read from the database (none active now) and written back
    with CaptureQueriesContext(connection) as then:
        assert switch.active() is False
    assert len(first) >= 1 and len(then) == 0 and cache.get(switch.KEY) == 0


def test_the_flag_is_remembered_per_process_for_its_ttl(settings):
    settings.FIELDOPS_WEBHOOK_FLAG_TTL = 3600
    switch.set_active(True)
    assert switch.active() is True
    from django.core.cache import cache

    cache.set(switch.KEY, 0)  # another process turned the last endpoint off
    assert switch.active() is True  # this process learns within the TTL (0062)
    switch.forget()
    assert switch.active() is False


def test_a_page_of_deliveries_costs_the_same_statements_whatever_its_length(staff_actor, django_assert_num_queries):
    endpoint = create(staff_actor)
    query = """{ webhookDeliveries(first: 50) { totalCount edges { node { id eventType status attempts
      responseStatus createdAt endpoint { id url active eventTypes } } } } }"""
    counts = []
    for more in (2, 12):
        for _ in range(more):
            services.webhook_send_test(actor=staff_actor, channel=Channel.GRAPHQL, endpoint_id=endpoint.pk)
        with CaptureQueriesContext(connection) as seen:
            answer = run(staff_actor, query)
        assert "errors" not in answer
        counts.append(len(seen))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        run(staff_actor, query)
    assert counts[0] <= 3  # the count, the page, its endpoints joined


def test_staff_list_the_endpoints_without_their_secrets(staff_actor, customer_actor):
    on = create(staff_actor, description="Accounts", event_types=["invoice.paid"])
    create(staff_actor, active=False)
    query = """query($active: Boolean) { webhookEndpoints(active: $active) { totalCount edges { node {
      id url description eventTypes active } } } }"""
    answer = run(staff_actor, query, active=True)["data"]["webhookEndpoints"]
    assert answer == {"totalCount": 1, "edges": [{"node": {
        "id": gid("WebhookEndpoint", on.pk), "url": URL, "description": "Accounts", "eventTypes": ["invoice.paid"],
        "active": True}}]}
    assert run(staff_actor, query)["data"]["webhookEndpoints"]["totalCount"] == 2
    denied = run(customer_actor, query)
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "forbidden"
    types = run(staff_actor, "{ webhookEventTypes { name description } }")["data"]["webhookEventTypes"]
    assert {"booking.cancelled", "invoice.paid", "complaint.raised"} <= {entry["name"] for entry in types}


def test_a_cache_that_cannot_be_read_means_maybe(settings, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    assert switch.active() is True  # the subscriber then reads the endpoints: events are not lost

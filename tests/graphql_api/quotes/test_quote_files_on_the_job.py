"""The job knows its quote (decision 0944): the booking an accepted quote made lists the quote's files
as ``quoteFiles``, so the fieldworkers who accepted the job see the site photos and drawings the office
attached to the quote, over HTTP as their app meets it; nobody else gains a file, and a page of bookings
costs the same queries however many came from quotes."""

from __future__ import annotations

from datetime import timedelta

import django.db
import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.sales import quotes
from tests.core.files.conftest import jpeg_with_gps, pdf_bytes

from ..conftest import gid
from ..files.test_files_over_http import local
from ..over_http import gql, sign_in
from .test_quote_job_data import upload

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM

JOB = """query ($i: ID!) { node(id: $i) { ... on Booking { number
  quoteFiles { id name customerVisible url } files { name } } } }"""
FILE = "query ($i: ID!) { node(id: $i) { ... on File { name } } }"


def accepted_quote_with_files(world, customer=None, days: int = 10):
    """A quote with a site photo (office only) and a plan (marked for the customer), sent and accepted by
    its customer at an agreed time: the booking it made, and the files."""
    customer = customer or world.cust_a
    quote = quotes.quote_create(actor=world.staff, channel=SYSTEM, customer_id=customer.pk,
                                agreed_start=timezone.now() + timedelta(days=days),
                                lines=[quotes.QuoteLineInput(service_id=world.service.pk, unit_price="180")])
    photo = upload(world.staff.user, quote, "roof.jpg", jpeg_with_gps()).json()["data"]["uploadQuoteFile"]["file"]
    plan = upload(world.staff.user, quote, "plan.pdf", pdf_bytes(), visible=True).json()["data"]["uploadQuoteFile"]
    quotes.quote_send(actor=world.staff, channel=SYSTEM, quote_id=quote.pk, send_email=False)
    accepted = gql(customer.user, "mutation ($i: ID!) { acceptQuote(id: $i) { quote { status } errors { code } } }",
                   i=gid("Quote", quote.pk))["acceptQuote"]
    assert accepted == {"quote": {"status": "ACCEPTED"}, "errors": []}
    quote.refresh_from_db()
    return quote.booking, photo, plan["file"]


def staff_job(world, booking, fieldworker) -> None:
    booking_services.booking_assign(actor=world.staff, channel=SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=fieldworker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(fieldworker), channel=SYSTEM,
                                        booking_id=booking.pk, accept=True)


def test_the_fieldworker_on_the_job_sees_and_opens_the_quote_s_files(world, media):
    booking, photo, _plan = accepted_quote_with_files(world)
    fieldworker = world.fw_a.user
    assert gql(fieldworker, JOB, i=gid("Booking", booking.pk)) == {"node": None}  # not their job yet
    assert gql(fieldworker, FILE, i=photo["id"]) == {"node": None}
    staff_job(world, booking, world.fw_a)

    job = gql(fieldworker, JOB, i=gid("Booking", booking.pk))["node"]
    assert [(f["name"], f["customerVisible"]) for f in job["quoteFiles"]] == [("roof.jpg", False), ("plan.pdf", True)]
    assert job["files"] == []  # the booking's own files stay its own
    opened = Client().get(local(job["quoteFiles"][0]["url"]))
    assert opened.status_code == 200 and opened["Content-Type"] == "image/jpeg"
    assert gql(fieldworker, FILE, i=photo["id"]) == {"node": {"name": "roof.jpg"}}

    staff = gql(world.staff.user, JOB, i=gid("Booking", booking.pk))["node"]
    assert [f["name"] for f in staff["quoteFiles"]] == ["roof.jpg", "plan.pdf"]
    customer = gql(world.cust_a.user, JOB, i=gid("Booking", booking.pk))["node"]
    assert [f["name"] for f in customer["quoteFiles"]] == ["plan.pdf"]  # only what was marked for them


def test_no_one_else_gains_the_quote_s_files(world, media):
    booking, photo, plan = accepted_quote_with_files(world)
    staff_job(world, booking, world.fw_a)
    other = world.fw_b.user  # on another job, not this one
    sign_in(other)
    assert gql(other, JOB, i=gid("Booking", booking.pk)) == {"node": None}
    assert gql(other, FILE, i=photo["id"]) == {"node": None}
    assert gql(other, FILE, i=plan["id"]) == {"node": None}
    assert gql(world.cust_b.user, FILE, i=plan["id"]) == {"node": None}
    # taken off the job, the files go with it
    booking_services.booking_unassign(actor=world.staff, channel=SYSTEM, booking_id=booking.pk,
                                      fieldworker_id=world.fw_a.pk)
    assert gql(world.fw_a.user, FILE, i=photo["id"]) == {"node": None}
    # a booking made otherwise has none
    assert gql(world.staff.user, JOB, i=gid("Booking", world.booking_a.pk))["node"]["quoteFiles"] == []


def test_a_page_of_bookings_with_their_quote_files_costs_the_same_queries(world, media, django_assert_num_queries):
    query = "{ bookings(first: 50) { edges { node { number quoteFiles { name url } } } } }"
    staff = world.staff.user
    sign_in(staff)
    accepted_quote_with_files(world)
    with CaptureQueriesContext(django.db.connection) as few:
        edges = gql(staff, query)["bookings"]["edges"]
    count = len(few.captured_queries)
    assert sum(len(edge["node"]["quoteFiles"]) for edge in edges) == 2
    for days in (11, 12, 13):
        accepted_quote_with_files(world, world.cust_b, days=days)
    with django_assert_num_queries(count):
        edges = gql(staff, query)["bookings"]["edges"]
    assert sum(len(edge["node"]["quoteFiles"]) for edge in edges) == 8

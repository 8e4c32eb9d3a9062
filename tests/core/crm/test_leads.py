"""Lead services: filing from every door with its lead source, editing, stage moves with their
guards, soft delete and restore, converting into a customer and booking, duplicate customers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.actors import Actor, Channel
from core.bookings.models import Booking, BookingEvent
from core.crm import services
from core.crm.models import Customer, Inquiry, InquiryEntry, LeadSource, LeadStatus, Property
from core.crm.selectors import duplicate_customers, visible_inquiries
from tests import factories
from tests.core.support import assert_refused

SYDNEY = ZoneInfo("Australia/Sydney")


def _soon(days: int = 3) -> date:
    return date.today() + timedelta(days=days)


@pytest.fixture
def staff(db) -> Actor:
    return factories.staff_actor()


@pytest.fixture
def lead(staff, published) -> Inquiry:
    svc = factories.service(name="Window cleaning")
    made = services.inquiry_create(actor=staff, channel=Channel.GRAPHQL, prospect_name="Pat Lee",
                                   prospect_email="Pat@Example.com", prospect_mobile="0412 555 111",
                                   wanted_service_ids=[svc.pk], preferred_dates=[_soon(5), _soon(3)],
                                   address="12 Beach Rd", postcode="2026", city="Bondi", body="Two storeys.")
    published.clear()
    return made


# --- every door, with its lead source -----------------------------------------------------------


def test_staff_file_a_prospect_with_every_field_and_the_staff_source(lead, staff):
    assert (lead.prospect_name, lead.prospect_email, lead.prospect_mobile) == ("Pat Lee", "pat@example.com",
                                                                               "+61412555111")
    assert lead.preferred_dates == [_soon(3).isoformat(), _soon(5).isoformat()]
    assert [s.name for s in lead.wanted_services.all()] == ["Window cleaning"]
    assert (lead.address, lead.postcode, lead.city, lead.body) == ("12 Beach Rd", "2026", "Bondi", "Two storeys.")
    assert lead.lead_source.door == "staff" and lead.lead_status == LeadStatus.NEW and lead.status == "open"
    assert lead.contact == "+61412555111"  # where a reply by SMS goes
    entry = lead.entries.get()
    assert (entry.action, entry.actor_kind, entry.channel, entry.data["door"]) == ("opened", "staff", "graphql",
                                                                                   "staff")


def test_staff_choose_a_lead_source_and_an_owner(staff, published):
    source = services.lead_source_create(actor=staff, channel=Channel.GRAPHQL, name="Referral")
    owner = factories.staff_user()
    made = services.inquiry_create(actor=staff, channel=Channel.GRAPHQL, prospect_name="Sam",
                                   lead_source_id=source.pk, assignee_id=owner.pk)
    assert (made.lead_source_id, made.assignee_id) == (source.pk, owner.pk)
    assert published.names == ["InquiryOpened"]


def test_a_signed_in_customer_files_for_themself_with_the_portal_source_whatever_they_send(db, published):
    customer = factories.customer()
    other = factories.customer()
    made = services.inquiry_create(actor=Actor.for_customer(customer), channel=Channel.PORTAL, body="A quote?",
                                   customer_id=other.pk, lead_source_id=LeadSource.objects.get(door="staff").pk)
    assert made.customer_id == customer.pk and made.lead_source.door == "portal"
    assert made.contact == customer.mobile


def test_a_visitor_files_a_prospect_with_the_website_source(db, published):
    made = services.inquiry_create(actor=Actor.anonymous(), channel=Channel.PORTAL, prospect_name="Vi",
                                   prospect_email="vi@example.com", body="Hello")
    assert made.lead_source.door == "website" and made.customer_id is None and made.contact == "vi@example.com"
    assert published.names == ["InquiryOpened"]


def test_an_sms_from_an_unknown_number_files_with_the_sms_source_and_the_number_as_prospect_mobile(db):
    made = services.inquiry_open(actor=Actor.system(), channel=Channel.SMS, body="Gutters?", contact="+61499000111")
    assert made.lead_source.door == "sms" and made.prospect_mobile == "+61499000111"


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"prospect_name": ""}, "required", "prospectName"),
    ({"prospect_email": ""}, "required", "prospectEmail"),
    ({"prospect_email": "not-an-address"}, "invalid_email", "prospectEmail"),
    ({"prospect_mobile": "12"}, "invalid_phone", "prospectMobile"),
    ({"body": "nul\x00here"}, "invalid_characters", "body"),
    ({"body": "x" * 5001}, "too_long", "body"),
    ({"prospect_name": "x" * 151}, "too_long", "prospectName"),
    ({"preferred_dates": ["2020-01-01"]}, "in_past", "preferredDates"),
    ({"preferred_dates": ["someday"]}, "invalid_date", "preferredDates"),
    ({"preferred_dates": [_soon(d) for d in range(1, 7)]}, "too_many", "preferredDates"),
    ({"wanted_service_ids": [999999]}, "not_found", "wantedServiceIds"),
    ({"body": "", "wanted_service_ids": []}, "required", "body"),
])
def test_a_visitors_bad_lead_is_refused_and_nothing_is_stored(db, published, kwargs, code, field):
    values = {"prospect_name": "Vi", "prospect_email": "vi@example.com", "body": "Hello", **kwargs}
    if kwargs.get("prospect_email") == "":
        values["prospect_mobile"] = ""
    assert_refused(lambda: services.inquiry_create(actor=Actor.anonymous(), channel=Channel.PORTAL, **values),
                   code, published=published, field=field)


def test_staff_cannot_file_with_an_inactive_source_nor_for_a_missing_customer(staff, published):
    source = services.lead_source_create(actor=staff, channel=Channel.GRAPHQL, name="Old flyer")
    services.lead_source_update(actor=staff, channel=Channel.GRAPHQL, lead_source_id=source.pk, active=False)
    assert_refused(lambda: services.inquiry_create(actor=staff, channel=Channel.GRAPHQL, prospect_name="A",
                                                   lead_source_id=source.pk), "inactive", published=published)
    assert_refused(lambda: services.inquiry_create(actor=staff, channel=Channel.GRAPHQL, customer_id=999999),
                   "not_found", published=published, field="customerId")


def test_a_fieldworker_does_not_file_leads(db, published):
    worker = factories.fieldworker()
    assert_refused(lambda: services.inquiry_create(actor=Actor.from_user(worker.user), channel=Channel.GRAPHQL,
                                                   prospect_name="A", body="x"), "forbidden", published=published)


# --- edit ---------------------------------------------------------------------------------------


def test_an_edit_records_only_what_changed(lead, staff, published):
    other = factories.service(name="Gutter cleaning")
    services.inquiry_update(actor=staff, channel=Channel.ADMIN, inquiry_id=lead.pk, city="Bondi Beach",
                            address="12 Beach Rd", wanted_service_ids=[other.pk], prospect_mobile="+61412555222")
    lead.refresh_from_db()
    assert lead.city == "Bondi Beach" and lead.contact == "+61412555222"
    entry = lead.entries.get(action="updated")
    assert entry.channel == "admin"
    assert set(entry.data["changes"]) == {"city", "wanted_service_ids", "prospect_mobile"}
    assert published.names == ["InquiryUpdated"]
    assert published.all()[0].changed == ("city", "prospect_mobile", "wanted_service_ids")


def test_an_edit_without_change_writes_nothing(lead, staff, published):
    services.inquiry_update(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, city="Bondi")
    assert lead.entries.count() == 1 and published.names == []


@pytest.mark.parametrize(("actor_kind", "kwargs", "code"), [
    ("customer", {"city": "X"}, "not_found"),
    ("staff", {"kind": "x"}, "invalid"),
    ("staff", {"prospect_email": "nope"}, "invalid_email"),
    ("staff", {"lead_source_id": None}, "required"),
])
def test_bad_edits_are_refused_and_leave_everything(lead, staff, published, actor_kind, kwargs, code):
    actor = staff if actor_kind == "staff" else Actor.for_customer(factories.customer())
    assert_refused(lambda: services.inquiry_update(actor=actor, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                   **kwargs), code, published=published)


# --- stage moves --------------------------------------------------------------------------------


def test_a_lead_moves_forward_is_lost_with_a_reason_and_is_revived(lead, staff, published):
    for stage in ("contacted", "quoted"):
        services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, lead_status=stage)
    services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, lead_status="lost",
                          lost_reason="Went with a competitor")
    lead.refresh_from_db()
    assert (lead.lead_status, lead.status, lead.lost_reason) == ("lost", "resolved", "Went with a competitor")
    assert lead.resolution_note == "Lost: Went with a competitor"
    services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, lead_status="quoted")
    lead.refresh_from_db()
    assert (lead.lead_status, lead.status, lead.lost_reason, lead.resolved_at) == ("quoted", "open", "", None)
    moves = [e.data["lead_status"] for e in lead.entries.filter(action="moved")]
    assert moves == [["new", "contacted"], ["contacted", "quoted"], ["quoted", "lost"], ["lost", "quoted"]]
    assert published.names == ["InquiryMoved"] * 4


@pytest.mark.parametrize(("start", "to", "reason", "code"), [
    ("new", "converted", "", "convert_instead"),
    ("quoted", "new", "", "invalid_move"),
    ("new", "lost", "", "required"),
    ("new", "lost", "x" * 256, "too_long"),
    ("new", "contacted", "why", "invalid"),
    ("new", "won", "", "invalid"),
])
def test_moves_the_flow_does_not_allow_are_refused(lead, staff, published, start, to, reason, code):
    if start != "new":
        for stage in ("contacted", "quoted")[:("contacted", "quoted").index(start) + 1]:
            services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, lead_status=stage)
    assert_refused(lambda: services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                 lead_status=to, lost_reason=reason), code, published=published)


def test_a_lost_lead_is_not_reopened_but_revived(lead, staff, published):
    services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, lead_status="lost",
                          lost_reason="No budget")
    assert_refused(lambda: services.inquiry_reopen(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk),
                   "lead_lost", published=published)


# --- soft delete --------------------------------------------------------------------------------


def test_a_deleted_inquiry_leaves_the_inbox_keeps_its_history_and_can_be_restored(lead, staff, published):
    services.inquiry_delete(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, reason="Spam")
    assert not visible_inquiries(staff).filter(pk=lead.pk).exists()
    assert list(visible_inquiries(staff, deleted=True)) == [lead]
    assert Inquiry.objects.filter(pk=lead.pk).exists()
    assert lead.entries.filter(action="deleted", body="Spam").exists()
    for call in (lambda: services.inquiry_update(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, city="Y"),
                 lambda: services.inquiry_resolve(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk),
                 lambda: services.inquiry_delete(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk)):
        assert_refused(call, "not_found")
    services.inquiry_restore(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk)
    assert visible_inquiries(staff).filter(pk=lead.pk).exists()
    assert published.names == ["InquiryDeleted", "InquiryRestored"]


def test_nobody_but_staff_deletes(lead, published):
    for actor in (Actor.for_customer(factories.customer()), Actor.anonymous(), Actor.system()):
        assert_refused(lambda actor=actor: services.inquiry_delete(actor=actor, channel=Channel.GRAPHQL,
                                                                   inquiry_id=lead.pk), "not_found",
                       published=published)


# --- convert --------------------------------------------------------------------------------------


def _start() -> datetime:
    return datetime.combine(_soon(3), datetime.min.time()).replace(hour=9, tzinfo=SYDNEY)


def test_converting_a_prospect_creates_the_customer_property_and_booking_carrying_every_field(lead, staff,
                                                                                           published):
    owner = factories.staff_user()
    services.inquiry_assign(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, assignee_id=owner.pk)
    published.clear()
    done = services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                    scheduled_start=_start())
    customer, booking = done.customer, done.booking
    assert done.customer_created
    assert (customer.name, customer.email, customer.mobile) == ("Pat Lee", "pat@example.com", "+61412555111")
    place = Property.objects.get(customer=customer)
    assert (place.address, place.postcode, place.city) == ("12 Beach Rd", "2026", "Bondi")
    assert booking.customer_id == customer.pk and booking.property_id == place.pk
    assert [line.service.name for line in booking.lines.all()] == ["Window cleaning"]
    assert (booking.notes, booking.owner_id, booking.source) == ("Two storeys.", owner.pk, "staff")
    lead.refresh_from_db()
    assert (lead.lead_status, lead.status, lead.customer_id, lead.converted_booking_id) == (
        "converted", "resolved", customer.pk, booking.pk)
    assert list(lead.bookings.all()) == [booking]
    assert BookingEvent.objects.filter(booking=booking, action="inquiry_received").exists()
    assert {"BookingCreated", "InquiryConverted"} <= set(published.names)
    assert [row.action for row in customer.log.all()] == ["created", "property_added"]


def test_a_duplicate_by_email_or_mobile_is_offered_never_silently_created_twice(lead, staff, published):
    by_email = factories.customer(email="PAT@example.com", mobile="")
    by_mobile = factories.customer(email="", mobile="+61412555111")
    error = assert_refused(lambda: services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL,
                                                            inquiry_id=lead.pk, scheduled_start=_start()),
                           "duplicate_customer", published=published)
    assert sorted(error.data["candidate_ids"]) == sorted([by_email.pk, by_mobile.pk])
    assert {c.pk for c in duplicate_customers(staff, email="pat@example.com", mobile="0412555111")} == {
        by_email.pk, by_mobile.pk}
    assert duplicate_customers(Actor.anonymous(), email="pat@example.com") == []
    done = services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                    scheduled_start=_start(), merge_into_customer_id=by_email.pk)
    assert not done.customer_created and done.customer.pk == by_email.pk
    by_email.refresh_from_db()
    assert by_email.mobile == "+61412555111"  # the blank filled from the prospect; the e-mail kept
    assert Customer.objects.count() == 2


def test_creating_anyway_is_an_explicit_choice(lead, staff):
    factories.customer(email="pat@example.com")
    done = services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                    scheduled_start=_start(), create_customer=True)
    assert done.customer_created and Customer.objects.filter(email="pat@example.com").count() == 2


def test_a_customers_own_inquiry_converts_for_that_customer_and_reuses_their_property(db, staff):
    customer = factories.customer()
    home = factories.property_for(customer, address="5 Hill St")
    made = services.inquiry_create(actor=Actor.for_customer(customer), channel=Channel.PORTAL, body="Again please",
                                   address="5 hill st")
    done = services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=made.pk,
                                    scheduled_start=_start())
    assert done.customer.pk == customer.pk and done.booking.property_id == home.pk
    assert done.booking.source == "portal" and Property.objects.filter(customer=customer).count() == 1


def test_refused_conversions_leave_everything(lead, staff, published):
    other = factories.customer()
    assert_refused(lambda: services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                    scheduled_start=_start(), merge_into_customer_id=999999),
                   "not_found", published=published, field="mergeIntoCustomerId")
    assert_refused(lambda: services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                    scheduled_start=_start(), merge_into_customer_id=other.pk,
                                                    create_customer=True), "invalid", published=published)
    # the booking is refused (its end before its start): no customer, property or history is left
    assert_refused(lambda: services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                    scheduled_start=_start(),
                                                    scheduled_end=_start() - timedelta(hours=1)),
                   "end_before_start", published=published)
    assert_refused(lambda: services.inquiry_convert(actor=Actor.for_customer(other), channel=Channel.GRAPHQL,
                                                    inquiry_id=lead.pk, scheduled_start=_start()),
                   "not_found", published=published)
    services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk, scheduled_start=_start())
    assert_refused(lambda: services.inquiry_convert(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                    scheduled_start=_start()), "already_converted")
    assert_refused(lambda: services.inquiry_move(actor=staff, channel=Channel.GRAPHQL, inquiry_id=lead.pk,
                                                 lead_status="lost", lost_reason="x"), "already_converted")
    assert Booking.objects.count() == 1 and InquiryEntry.objects.filter(action="converted").count() == 1


# --- lead sources -----------------------------------------------------------------------------------


def test_lead_sources_are_a_managed_list(staff):
    made = services.lead_source_create(actor=staff, channel=Channel.GRAPHQL, name="Flyer")
    assert_refused(lambda: services.lead_source_create(actor=staff, channel=Channel.GRAPHQL, name="flyer"),
                   "duplicate")
    services.lead_source_update(actor=staff, channel=Channel.GRAPHQL, lead_source_id=made.pk, name="Flyers")
    website = LeadSource.objects.get(door="website")
    assert_refused(lambda: services.lead_source_update(actor=staff, channel=Channel.GRAPHQL,
                                                       lead_source_id=website.pk, active=False), "door_source")
    assert_refused(lambda: services.lead_source_delete(actor=staff, channel=Channel.GRAPHQL,
                                                       lead_source_id=website.pk), "door_source")
    services.inquiry_create(actor=staff, channel=Channel.GRAPHQL, prospect_name="A", lead_source_id=made.pk)
    assert_refused(lambda: services.lead_source_delete(actor=staff, channel=Channel.GRAPHQL,
                                                       lead_source_id=made.pk), "in_use")
    unused = services.lead_source_create(actor=staff, channel=Channel.GRAPHQL, name="Radio")
    services.lead_source_delete(actor=staff, channel=Channel.GRAPHQL, lead_source_id=unused.pk)
    assert not LeadSource.objects.filter(pk=unused.pk).exists()
    assert_refused(lambda: services.lead_source_create(actor=Actor.anonymous(), channel=Channel.GRAPHQL,
                                                       name="X"), "forbidden")

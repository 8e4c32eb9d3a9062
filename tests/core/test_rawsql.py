"""The hand-written hot reads give what the ORM gives (docs/decisions/0409)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import rawsql
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.company.models import Company
from core.company.selectors import get_company
from core.outreach.models import EmailMessage
from core.sms import selectors
from core.sms.models import PromptKind, SmsPrompt
from realtime import payloads
from tests import factories

pytestmark = pytest.mark.django_db

OURS = "+61400999999"


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_get_gives_the_same_instance_as_the_orm_with_its_related_rows():
    booking = factories.booking(notes="gate code 4411")
    booking_services.booking_cancel(actor=Actor.system(), channel=Channel.SMS, booking_id=booking.pk, reason="ill")
    orm = Booking.objects.select_related("customer", "property").get(pk=booking.pk)
    with CaptureQueriesContext(connection) as queries:
        raw = rawsql.get(Booking, booking.pk, "customer", "property")
        assert _fields(raw) == _fields(orm)
        assert _fields(raw.customer) == _fields(orm.customer)
        assert _fields(raw.property) == _fields(orm.property)
    assert len(queries) == 1  # the related rows came with it
    assert raw.scheduled_start.tzinfo is not None and raw.cancellation_fee == orm.cancellation_fee
    assert isinstance(raw.cancellation_fee, Decimal)


def test_get_for_update_with_a_related_row_locks_the_main_row_only():
    booking = factories.booking()
    with CaptureQueriesContext(connection) as queries:
        raw = rawsql.get(Booking, booking.pk, "customer", for_update=True)
    assert _fields(raw.customer) == _fields(Booking.objects.select_related("customer").get(pk=booking.pk).customer)
    assert len(queries) == 1
    if connection.features.has_select_for_update:  # PostgreSQL: the booking locked, its customer not
        assert queries[0]["sql"].endswith("FOR UPDATE OF t0")
    else:
        assert "FOR UPDATE" not in queries[0]["sql"]


def test_get_of_a_missing_row_is_none_and_a_bad_key_is_refused_like_the_orm():
    assert rawsql.get(Company, 987654) is None
    with pytest.raises(ValueError):
        Booking.objects.filter(pk="abc").first()
    with pytest.raises(ValueError):
        rawsql.get(Booking, "abc")


def test_get_leaves_a_missing_foreign_row_as_none():
    booking = factories.booking()
    Booking.objects.filter(pk=booking.pk).update(property=None)
    raw = rawsql.get(Booking, booking.pk, "property")
    with CaptureQueriesContext(connection) as queries:
        assert raw.property is None
    assert not queries


def test_json_and_datetimes_come_back_as_python_values():
    message = EmailMessage.objects.create(kind="cancellation", to_address="a@example.com", status="queued")
    orm = EmailMessage.objects.get(pk=message.pk)
    assert _fields(rawsql.get(EmailMessage, message.pk)) == _fields(orm)
    company = get_company()
    assert _fields(company) == _fields(Company.objects.get(pk=1))


def test_columns_read_in_any_order_and_defer_the_rest():
    booking = factories.booking()
    columns = rawsql.Columns(Booking, "status", "number", "id")  # given out of the model's order
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns.select("b")} FROM "{Booking._meta.db_table}" b WHERE b.id = %s',
                       [booking.pk])
        partial = columns.instance(cursor.fetchone())
    assert (partial.pk, partial.number, partial.status) == (booking.pk, booking.number, booking.status)
    assert partial.get_deferred_fields() >= {"notes", "scheduled_start"}
    assert partial.notes == booking.notes  # loads on access, as with .only()
    with pytest.raises(ValueError):
        rawsql.Columns(Booking, "number", "lines")  # not a column


def _prompt(number: str, **extra) -> SmsPrompt:
    return SmsPrompt.objects.create(customer_number=number, our_number=extra.pop("our_number", OURS),
                                    kind=extra.pop("kind", PromptKind.BOOKING), **extra)


def test_open_prompts_is_the_orm_filter_with_bookings_and_customers_attached():
    cust = factories.customer(mobile="+61411111111")
    first, second = factories.booking(cust=cust), factories.booking(cust=cust)
    now = timezone.now()
    wanted = [
        _prompt(cust.mobile, booking=first, data={"n": 1}, created_at=now - timedelta(minutes=3)),
        _prompt(cust.mobile, booking=second, our_number="", created_at=now - timedelta(minutes=2)),
        _prompt(cust.mobile, kind=PromptKind.CANCEL_FEE, booking=second, data={"fee": "40.00"},
                expires_at=now + timedelta(hours=1), created_at=now - timedelta(minutes=1)),
        _prompt(cust.mobile, kind=PromptKind.CHOOSE, data={"ids": [first.pk, second.pk]}),
    ]
    _prompt(cust.mobile, booking=first, closed_at=now)  # closed
    _prompt(cust.mobile, booking=first, expires_at=now - timedelta(seconds=1))  # expired
    _prompt(cust.mobile, booking=first, our_number="+61400000001")  # another of our numbers
    _prompt("+61422222222", booking=first)  # another customer's number

    orm = list(SmsPrompt.objects.filter(customer_number=cust.mobile, closed_at__isnull=True)
               .filter(Q(our_number=OURS) | Q(our_number="")).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
               .order_by("-created_at", "-id"))
    with CaptureQueriesContext(connection) as queries:
        found = selectors.open_prompts(cust.mobile, OURS)
        assert [p.pk for p in found] == [p.pk for p in orm] == [p.pk for p in reversed(wanted)]
        for prompt, expected in zip(found, reversed(wanted), strict=True):
            assert (prompt.kind, prompt.data, prompt.booking_id) == (expected.kind, expected.data, expected.booking_id)
            if expected.booking_id:
                assert prompt.booking.number == expected.booking.number
                assert prompt.booking.scheduled_start == expected.booking.scheduled_start
                assert prompt.booking.customer.mobile == cust.mobile
                assert prompt.booking.is_open
            else:
                assert prompt.booking is None
    assert len(queries) == 1


def test_board_snapshot_matches_the_booking_and_its_active_fieldworkers():
    booking = factories.booking()
    staff = Actor.system()
    on, off = factories.fieldworker(name="Ana"), factories.fieldworker(name="Bo")
    for worker in (on, off):
        booking_services.booking_assign(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                        fieldworker_id=worker.pk)
    booking_services.booking_unassign(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                      fieldworker_id=off.pk)
    booking.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        snapshot = payloads.booking_snapshot(booking.pk)
    assert len(queries) == 1
    assert snapshot == {
        "id": booking.pk, "number": booking.number, "status": booking.status,
        "scheduled_start": booking.scheduled_start.isoformat(), "scheduled_end": booking.scheduled_end.isoformat(),
        "time_zone": booking.time_zone, "customer_id": booking.customer_id, "customer_name": booking.customer.name,
        "address": ", ".join(p for p in (booking.property.address, booking.property.city) if p),
        "owner_id": booking.owner_id,
        "fieldworkers": [{"id": on.pk, "name": "Ana", "status": "offered"}],
    }
    assert payloads.booking_snapshot(booking.pk + 1000) is None


def test_prefetch_fills_the_cache_prefetch_related_fills():
    booking = factories.booking()
    svc = factories.service()
    booking_services.booking_update(
        actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk,
        lines=[booking_services.LineInput(service_id=svc.pk, quantity=Decimal("2"), description="second"),
               booking_services.LineInput(service_id=svc.pk, quantity=Decimal("1.5"), description="first")])
    orm = Booking.objects.prefetch_related("lines").get(pk=booking.pk)
    raw = rawsql.get(Booking, booking.pk)
    rows = rawsql.prefetch(raw, "lines")
    with CaptureQueriesContext(connection) as queries:
        assert [_fields(line) for line in raw.lines.all()] == [_fields(line) for line in orm.lines.all()]
        assert [line.description for line in rows] == ["second", "first"]  # the model's ordering
        assert raw.total == orm.total and raw.lines.all()[0].booking is raw
    assert not queries
    empty = factories.booking()
    Booking.objects.get(pk=empty.pk).lines.all().delete()
    fresh = rawsql.get(Booking, empty.pk)
    assert rawsql.prefetch(fresh, "lines") == [] and list(fresh.lines.all()) == []


def test_update_is_the_querysets_update_of_one_row():
    message = EmailMessage.objects.create(kind="cancellation", to_address="a@example.com", status="queued")
    other = EmailMessage.objects.create(kind="cancellation", to_address="b@example.com", status="queued")
    at = timezone.now() + timedelta(minutes=1)
    assert rawsql.update(EmailMessage, message.pk, {"status": "sending", "updated_at": at}) == 1
    assert rawsql.update(EmailMessage, message.pk + 1000, {"status": "sending", "updated_at": at}) == 0
    stored = EmailMessage.objects.get(pk=message.pk)
    assert (stored.status, stored.updated_at) == ("sending", at)
    assert EmailMessage.objects.get(pk=other.pk).status == "queued"
    # the ORM's update of the other row leaves it as ours left the first one
    assert EmailMessage.objects.filter(pk=other.pk).update(status="sending", updated_at=at) == 1
    assert EmailMessage.objects.filter(pk=other.pk).values("status", "updated_at").get() == \
        EmailMessage.objects.filter(pk=message.pk).values("status", "updated_at").get()

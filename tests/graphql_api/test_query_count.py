"""The bookings page with nested customer, property, lines, assignments and fieldworkers costs
the same number of SQL queries at 10 rows as at 100."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.bookings.models import Booking, BookingAssignment, BookingLine
from tests import factories

from .conftest import run

QUERY = """query($n: Int) { bookings(first: $n) { totalCount edges { node {
  id number status scheduledStart total
  customer { id name email mobile preferredChannel }
  property { id address latitude longitude }
  lines { description quantity unitPrice total service { name } }
  assignments { status fieldworker { id name mobile } }
} } } }"""


def _seed(count: int, customers: int = 5) -> None:
    """Rows written directly (test data, not behaviour): bookings with 2 lines and 2 assignments each."""
    service = factories.service()
    workers = [factories.fieldworker() for _ in range(3)]
    owners = [factories.customer() for _ in range(customers)]
    props = [factories.property_for(c) for c in owners]
    start = timezone.now() + timedelta(days=2)
    bookings = Booking.objects.bulk_create([
        Booking(number=5000 + i, customer=owners[i % customers], property=props[i % customers],
                scheduled_start=start + timedelta(hours=3 * i), scheduled_end=start + timedelta(hours=3 * i + 2),
                time_zone="UTC")
        for i in range(count)
    ])
    BookingLine.objects.bulk_create([
        BookingLine(booking=b, service=service, description=f"line {k}", quantity=Decimal("1"),
                    unit_price=Decimal("50"), tax_rate=Decimal("10"), position=k)
        for b in bookings for k in range(2)
    ])
    BookingAssignment.objects.bulk_create([
        BookingAssignment(booking=b, fieldworker=workers[(i + k) % 3], status="accepted")
        for i, b in enumerate(bookings) for k in range(2)
    ])


def _count(actor, n: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = run(actor, QUERY, n=n)
    assert "errors" not in result, result
    assert len(result["data"]["bookings"]["edges"]) == n
    node = result["data"]["bookings"]["edges"][0]["node"]
    assert len(node["lines"]) == 2 and node["total"] == "110.00"
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["staff", "customer"])
def test_bookings_query_count_is_constant(db, company, django_assert_num_queries, role):
    from core.actors import Actor

    _seed(100, customers=5 if role == "staff" else 1)
    if role == "staff":
        actor = factories.staff_actor()
    else:
        customer = Booking.objects.first().customer
        from core.accounts.models import Role, User

        customer.user = User.objects.create_user(email="qc@example.com", role=Role.CUSTOMER)
        customer.save()
        actor = Actor.from_user(customer.user)
    at_ten = _count(actor, 10)
    assert at_ten <= 8, f"{at_ten} queries for one page is too many"
    with django_assert_num_queries(at_ten):
        run(actor, QUERY, n=100)


def test_staff_pages_join_customer_and_property_only_when_asked(db, company):
    _seed(3)
    staff = factories.staff_actor()
    asked = """{ bookings(first: 3) { edges { node { number ... on Booking { customer { name } }
                 property { address } } } } }"""
    with CaptureQueriesContext(connection) as captured:
        result = run(staff, asked)
    assert "errors" not in result, result
    assert all(edge["node"]["customer"]["name"] for edge in result["data"]["bookings"]["edges"])
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 1 and '"crm_customer"' in sql[0] and '"crm_property"' in sql[0]

    with CaptureQueriesContext(connection) as captured:
        result = run(staff, "{ bookings(first: 3) { edges { node { number } } } }")
    assert len(result["data"]["bookings"]["edges"]) == 3
    assert len(captured.captured_queries) == 1 and "crm_" not in captured.captured_queries[0]["sql"]

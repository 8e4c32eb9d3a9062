"""Every mutation and every id-taking query, aimed at another customer's and another
fieldworker's rows: refused, nothing changed, and a denied row looks exactly like a missing one."""

from __future__ import annotations

import pytest

from core.accounts.services import token_create
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.workforce.models import FieldworkerMessage

from .conftest import gid, run
from .operations import ID_QUERIES, MUTATIONS, ROW_MUTATIONS, Target, snapshot

MISSING_PK = 987654


def _targets(world) -> tuple[Target, Target]:
    token_b = token_create(actor=world.actor_b, channel=Channel.SYSTEM, name="b").token
    comment_b = booking_services.comment_add(actor=world.staff, channel=Channel.SYSTEM,
                                             booking_id=world.booking_b.pk, body="internal", visible_to_customer=True)
    # a failed message to B's fieldworker: staff may send it again, nobody else (nor read it)
    message_b = FieldworkerMessage.objects.create(fieldworker=world.fw_b, medium="sms", body="private to B",
                                                  to=world.fw_b.mobile, status="failed", error="Twilio down")
    theirs = Target(
        booking=gid("Booking", world.booking_b.pk), customer=gid("Customer", world.cust_b.pk),
        property=gid("Property", world.prop_b.pk), fieldworker=gid("Fieldworker", world.fw_b.pk),
        service=gid("Service", world.service.pk), token=gid("ApiToken", token_b.pk),
        comment=gid("BookingComment", comment_b.pk), message=gid("FieldworkerMessage", message_b.pk),
    )
    missing = Target(
        booking=gid("Booking", MISSING_PK), customer=gid("Customer", MISSING_PK),
        property=gid("Property", MISSING_PK), fieldworker=gid("Fieldworker", MISSING_PK),
        service=gid("Service", world.service.pk), token=gid("ApiToken", MISSING_PK),
        comment=gid("BookingComment", MISSING_PK), message=gid("FieldworkerMessage", MISSING_PK),
    )
    return theirs, missing


ATTACKERS = ["customer", "fieldworker", "anonymous"]


def _attacker(world, who: str) -> Actor:
    return {"customer": world.actor_a, "fieldworker": world.fw_actor_a, "anonymous": Actor.anonymous()}[who]


def _payload(result, op):
    assert "errors" not in result, result
    return result["data"][op.name]


@pytest.mark.parametrize("who", ATTACKERS)
def test_every_mutation_on_someone_elses_rows_is_refused_and_changes_nothing(world, who):
    actor = _attacker(world, who)
    theirs, missing = _targets(world)
    for op in MUTATIONS:
        before = snapshot()
        payload = _payload(run(actor, op.document, **op.variables(theirs)), op)
        assert payload[op.result_key] is None, (op.name, payload)
        assert payload["errors"], op.name
        assert payload["errors"][0]["code"] in {"not_found", "forbidden", "unauthenticated"}, (op.name, payload)
        assert snapshot() == before, f"{op.name} changed the database"
        if op.name in ROW_MUTATIONS:
            ghost = _payload(run(actor, op.document, **op.variables(missing)), op)
            assert ghost == payload, f"{op.name}: denied differs from missing"


@pytest.mark.parametrize("who", ATTACKERS)
def test_every_id_query_on_someone_elses_rows_looks_missing(world, who):
    actor = _attacker(world, who)
    theirs, missing = _targets(world)
    for op in ID_QUERIES:
        before = snapshot()
        denied = run(actor, op.document, **op.variables(theirs))
        ghost = run(actor, op.document, **op.variables(missing))
        assert snapshot() == before
        data = denied["data"][op.result_key] if denied["data"] else None
        assert data in (None, []) or data.get("totalCount") == 0 or data.get("allowed") is False, (op.name, denied)
        for result in (denied, ghost):
            for error in result.get("errors", []):
                error.pop("locations", None)
        assert denied == ghost, f"{op.name}: denied differs from missing"


def test_staff_reaches_the_same_rows(world):
    """The control: the same operations as staff do reach B's rows."""
    theirs, _ = _targets(world)
    result = run(world.staff, ID_QUERIES[0].document, **ID_QUERIES[0].variables(theirs))
    assert result["data"]["booking"]["number"] == world.booking_b.number
    by_customer = next(op for op in ID_QUERIES if op.name == "bookingsByCustomer")
    result = run(world.staff, by_customer.document, **by_customer.variables(theirs))
    assert result["data"]["bookings"]["totalCount"] == 1
    log = next(op for op in ID_QUERIES if op.name == "fieldworkerLog")
    from core.workforce.models import FieldworkerLog

    expected = FieldworkerLog.objects.filter(fieldworker=world.fw_b).count()
    assert run(world.staff, log.document, **log.variables(theirs))["data"]["fieldworkerLog"]["totalCount"] == expected
    failed = next(op for op in ID_QUERIES if op.name == "fieldworkerMessagesFailed")
    assert run(world.staff, failed.document, **failed.variables(theirs))["data"]["fieldworkerMessages"] == {
        "totalCount": 1}
    summary = next(op for op in ID_QUERIES if op.name == "fieldworkerBookingSummary")
    assert run(world.staff, summary.document, **summary.variables(theirs))["data"]["fieldworkerBookingSummary"] == {
        "jobs": 0, "revenue": "0.00"}


@pytest.mark.parametrize("who", ATTACKERS)
def test_node_lookup_of_every_kind_of_row_is_scoped(world, who):
    """`node(id)` reaches every type; each applies the same row scope as lists and nested fields."""
    from core.accounts.models import ApiToken
    from core.bookings.models import BookingAssignment, BookingEvent, BookingLine

    _targets(world)  # adds a token and a comment for B
    rows = {
        "Booking": world.booking_b.pk,
        "BookingLine": BookingLine.objects.filter(booking=world.booking_b).first().pk,
        "BookingAssignment": BookingAssignment.objects.filter(booking=world.booking_b).first().pk,
        "BookingHistoryEntry": BookingEvent.objects.filter(booking=world.booking_b).first().pk,
        "BookingComment": world.booking_b.comments.first().pk,
        "Customer": world.cust_b.pk,
        "Property": world.prop_b.pk,
        "Fieldworker": world.fw_b.pk,
        "User": world.cust_b.user.pk,
        "ApiToken": ApiToken.objects.get(user=world.cust_b.user).pk,
        "FieldworkerMessage": FieldworkerMessage.objects.get(fieldworker=world.fw_b).pk,
    }
    actor = _attacker(world, who)
    for type_name, pk in rows.items():
        assert run(world.staff, "query($id: ID!) { node(id: $id) { id } }", id=gid(type_name, pk))["data"]["node"] \
            or type_name == "ApiToken", type_name  # staff see all rows (tokens: only an admin)
        result = run(actor, "query($id: ID!) { node(id: $id) { id } }", id=gid(type_name, pk))
        assert result == {"data": {"node": None}}, (type_name, result)


def test_fieldworker_counts_each_customer_once(world):
    second = factories_booking_for(world)
    assert second.customer_id == world.cust_a.pk
    result = run(world.fw_actor_a, "{ customers { totalCount edges { node { name } } } }")["data"]["customers"]
    assert result == {"totalCount": 1, "edges": [{"node": {"name": world.cust_a.name}}]}


def factories_booking_for(world):
    from datetime import timedelta

    from tests import factories

    booking = factories.booking(cust=world.cust_a, prop=world.prop_a, svc=world.service,
                                start=world.booking_a.scheduled_start + timedelta(days=1))
    booking_services.booking_assign(actor=world.staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=world.fw_a.pk)
    return booking

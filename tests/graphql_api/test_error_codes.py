"""A refusal over HTTP names its code as its area's enum value, with the deprecated string beside it
(docs/decisions/0108); the enums in the schema are the lists of core/error_codes.py."""

from __future__ import annotations

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.error_codes import AREAS
from graphql_api.schema import schema
from tests import factories

from .conftest import gid
from .operations import snapshot
from .over_http import gql

CANCEL = """mutation($v: CancelBookingInput!) { cancelBooking(input: $v) {
  booking { id }
  errors { __typename code message field
           ... on BookingError { bookingCode: errorCode } ... on CommonError { commonCode: errorCode } }
} }"""  # two enums under one name conflict in a selection: aliases


def test_a_booking_refusal_is_a_booking_error_with_its_enum_value_and_nothing_changes(db, company):
    staff = factories.staff_user()
    booking = factories.booking()
    booking_services.booking_cancel(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk, reason="ill")
    gql(staff, "{ me { kind } }")  # signed in before the snapshot
    before = snapshot()
    payload = gql(staff, CANCEL, v={"id": gid("Booking", booking.pk), "reason": "again"})["cancelBooking"]
    assert payload["booking"] is None
    assert payload["errors"] == [{"__typename": "BookingError", "code": "already_cancelled",
                                  "bookingCode": "ALREADY_CANCELLED", "field": None,
                                  "message": "This booking is already cancelled."}]
    assert snapshot() == before


def test_a_code_every_area_shares_is_a_common_error(db, company):
    staff = factories.staff_user()
    gql(staff, "{ me { kind } }")
    before = snapshot()
    payload = gql(staff, CANCEL, v={"id": "not-base64!!", "reason": "x"})["cancelBooking"]
    assert [(e["__typename"], e["code"], e["commonCode"], e["field"]) for e in payload["errors"]] == [
        ("CommonError", "invalid_id", "INVALID_ID", "id")]
    assert snapshot() == before


def test_each_area_has_its_enum_and_error_type_and_the_string_code_is_deprecated():
    graphql = schema._schema
    user_error = graphql.get_type("UserError")
    assert user_error.fields["code"].deprecation_reason
    assert not user_error.fields["message"].deprecation_reason
    for area, codes in AREAS.items():
        enum = graphql.get_type(f"{area}ErrorCode")
        assert sorted(enum.values) == sorted(code.upper() for code in codes)
        assert enum.values["NOT_FOUND" if area == "Common" else next(iter(codes)).upper()].description
        error = graphql.get_type(f"{area}Error")
        assert user_error in error.interfaces
        assert error.fields["errorCode"].type.of_type is enum  # non-null

"""The schema's id-taking operations as data, for the walk (decision 0150).

``CASES`` names, per query and mutation, arguments that make sense for the operation with a
``Ref(type)`` wherever an id goes. The walk derives from the schema itself every argument or input
field of type ``ID`` (however deep in input objects and lists) and fails when one has no case, so a
new id-taking argument cannot slip past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

from graphql_api.schema import schema

ID_TYPE_NAMES = {"ID", "GlobalID"}


@dataclass(frozen=True)
class Ref:
    """An id of a row of ``type_name`` goes here."""

    type_name: str


def schema_id_paths() -> set[tuple[str, str]]:
    """(operation, argument path) for every ID argument or input field of every query and mutation."""
    found: set[tuple[str, str]] = set()
    graphql_schema = schema._schema

    def walk(op: str, gtype: Any, path: str, seen: tuple[str, ...]) -> None:
        named = get_named_type(gtype)
        if named.name in ID_TYPE_NAMES:
            found.add((op, path))
        elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
            for name, field in named.fields.items():
                walk(op, field.type, f"{path}.{name}", (*seen, named.name))

    for root in (graphql_schema.query_type, graphql_schema.mutation_type):
        for op, field in root.fields.items():
            for name, arg in field.args.items():
                walk(op, arg.type, name, ())
    return found


def ref_paths(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, type name) of every Ref inside ``value``; list items share their list's path."""
    if isinstance(value, Ref):
        return [(path, value.type_name)]
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in ref_paths(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [found for item in value for found in ref_paths(item, path)]
    return []


def fill(value: Any, target: str, target_id: str, own: Any, path: str = "") -> Any:
    """A copy of ``value`` with the Ref at ``target`` set to ``target_id`` and every other Ref to
    ``own(type_name)``, the caller's own row of that type."""
    if isinstance(value, Ref):
        return target_id if path == target else own(value.type_name)
    if isinstance(value, dict):
        return {key: fill(item, target, target_id, own, f"{path}.{key}" if path else key)
                for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, target, target_id, own, path) for item in value]
    return value


def _selection(gtype: Any, depth: int) -> str:
    named = get_named_type(gtype)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        return "{ __typename ... on Node { id } }" if named.name == "Node" else "{ __typename }"
    parts = ["__typename"]
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
               for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {_selection(field.type, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


def document(op: str, args: dict[str, Any]) -> str:
    """A document calling ``op`` with ``args`` as variables and selecting every scalar field of the
    result two levels deep (so a denied answer that leaks anything differs from the missing one)."""
    graphql_schema = schema._schema
    if op in graphql_schema.query_type.fields:
        kind, field = "query", graphql_schema.query_type.fields[op]
    else:
        kind, field = "mutation", graphql_schema.mutation_type.fields[op]
    declared = ", ".join(f"${name}: {field.args[name].type}" for name in args)
    passed = ", ".join(f"{name}: ${name}" for name in args)
    head = f"{kind} Walk({declared})" if declared else f"{kind} Walk"
    call = f"{op}({passed})" if passed else op
    return f"{head} {{ {call} {_selection(field.type, 2)} }}"


WHEN = "2031-03-04T09:00:00+00:00"
LATER = "2031-03-04T11:00:00+00:00"
B, C, P, F, S = Ref("Booking"), Ref("Customer"), Ref("Property"), Ref("Fieldworker"), Ref("Service")
U = Ref("User")

# (operation, arguments). An operation may have several cases (node takes an id of every type).
CASES: list[tuple[str, dict[str, Any]]] = [
    # --- queries
    *[("node", {"id": Ref(type_name)}) for type_name in (
        "Booking", "Customer", "Property", "Fieldworker", "BookingComment", "ApiToken", "Inquiry", "User",
        "Service", "BookingRequest", "EmailMessage", "ChangeRequest", "Notification")],
    ("inquiries", {"filter": {"customerId": C, "bookingId": B, "assigneeId": U}}),
    ("availableFieldworkers", {"serviceId": S, "start": WHEN, "end": LATER, "location": {"propertyId": P}}),
    ("availableSlots", {"serviceId": S, "from": WHEN, "to": LATER, "location": {"propertyId": P},
                        "fieldworkerId": F}),
    ("nearbyBookings", {"near": {"bookingId": B}, "radiusKm": 10.0, "from": WHEN, "to": LATER}),
    ("fieldworkerSchedule", {"fieldworkerId": F}),
    ("bookings", {"filter": {"customerId": C, "fieldworkerId": F}}),
    ("booking", {"id": B}),
    ("bookingHistory", {"bookingId": B}),
    ("cancellationQuote", {"bookingId": B}),
    ("rescheduleOptions", {"bookingId": B}),
    ("smsHistory", {"customerId": C, "bookingId": B}),
    ("emailLog", {"bookingId": B}),
    # --- mutations
    ("revokeApiToken", {"id": Ref("ApiToken")}),
    ("updateCustomer", {"input": {"id": C, "name": "Renamed"}}),
    ("createProperty", {"input": {"customerId": C, "address": "2 New St", "propertyTypeId": Ref("PropertyType")}}),
    ("updateProperty", {"input": {"id": P, "label": "Home", "propertyTypeId": Ref("PropertyType")}}),
    ("assignInquiry", {"input": {"id": Ref("Inquiry"), "assigneeId": U}}),
    ("replyToInquiry", {"input": {"id": Ref("Inquiry"), "body": "Thanks, we will call."}}),
    ("resolveInquiry", {"input": {"id": Ref("Inquiry"), "note": "done"}}),
    ("reopenInquiry", {"id": Ref("Inquiry")}),
    ("linkInquiry", {"input": {"id": Ref("Inquiry"), "customerId": C, "bookingIds": [B]}}),
    ("createService", {"input": {"name": "Windows", "price": "80", "categoryId": Ref("ServiceCategory")}}),
    ("updateService", {"input": {"id": S, "price": "90", "categoryId": Ref("ServiceCategory")}}),
    ("createFieldworker", {"input": {"name": "New Worker", "email": "new.worker@example.com", "serviceIds": [S]}}),
    ("updateFieldworker", {"input": {"id": F, "mobile": "+61400123999", "serviceIds": [S]}}),
    ("setWorkingHours", {"input": {"fieldworkerId": F, "ranges": [{"weekday": 1, "start": "08:00", "end": "16:00"}]}}),
    ("addTimeOff", {"input": {"fieldworkerId": F, "startsAt": "2031-05-01T00:00:00+00:00",
                              "endsAt": "2031-05-02T00:00:00+00:00"}}),
    ("removeTimeOff", {"input": {"timeOffId": Ref("TimeOff")}}),
    ("setHomeBase", {"input": {"fieldworkerId": F, "latitude": -33.9, "longitude": 151.2, "radiusKm": 20.0}}),
    ("setFieldworkerAreas", {"input": {"fieldworkerId": F, "areaIds": [Ref("ServiceArea")]}}),
    ("setFieldworkerStatus", {"input": {"fieldworkerId": F, "status": "INACTIVE"}}),
    ("saveServiceArea", {"input": {"id": Ref("ServiceArea"), "name": "Renamed area", "postcodes": ["2000"]}}),
    ("approveChangeRequest", {"input": {"id": Ref("ChangeRequest")}}),
    ("rejectChangeRequest", {"input": {"id": Ref("ChangeRequest")}}),
    ("createBookingSeries", {"input": {"customerId": C, "propertyId": P, "rule": "FREQ=WEEKLY;COUNT=2",
                                       "startDate": "2031-03-04", "startTime": "09:00",
                                       "lines": [{"serviceId": S}], "fieldworkerIds": [F]}}),
    ("updateBookingSeries", {"input": {"bookingId": B, "scope": "ALL", "notes": "x", "fieldworkerIds": [F]}}),
    ("cancelBookingSeries", {"input": {"bookingId": B, "scope": "ALL", "reason": "x"}}),
    ("createBooking", {"input": {"customerId": C, "propertyId": P, "scheduledStart": WHEN,
                                 "lines": [{"serviceId": S}], "ownerId": U}}),
    ("updateBooking", {"input": {"id": B, "propertyId": P, "notes": "changed", "lines": [{"serviceId": S}]}}),
    ("assignFieldworker", {"input": {"bookingId": B, "fieldworkerId": F}}),
    ("unassignFieldworker", {"input": {"bookingId": B, "fieldworkerId": F}}),
    ("respondToAssignment", {"input": {"bookingId": B, "accept": False, "reason": "busy", "fieldworkerId": F}}),
    ("confirmBooking", {"id": B}),
    ("startBooking", {"id": B}),
    ("completeBooking", {"id": B}),
    ("cancelBooking", {"input": {"id": B, "reason": "no longer needed"}}),
    ("rescheduleBooking", {"input": {"id": B, "newStart": "2031-03-05T09:00:00+00:00"}}),
    ("setBookingStatus", {"input": {"id": B, "status": "CONFIRMED"}}),
    ("addBookingComment", {"input": {"bookingId": B, "body": "hello", "replyToId": Ref("BookingComment")}}),
    ("changeBookingOwner", {"input": {"bookingId": B, "ownerId": U}}),
    ("setBookingAutomation", {"input": {"bookingId": B, "emailPaused": True}}),
    ("setAutomatedSms", {"input": {"id": B, "paused": True}}),
    ("setAutomatedSms", {"input": {"id": C, "paused": True}}),
    ("markNotificationsRead", {"input": {"ids": [Ref("Notification")]}}),
    ("resolveBookingRequest", {"input": {"id": Ref("BookingRequest"), "outcome": "BOOKED", "bookingId": B}}),
    ("retryEmail", {"id": Ref("EmailMessage")}),
    ("createTelegramLink", {"fieldworkerId": F}),
    ("unlinkTelegram", {"fieldworkerId": F}),
]

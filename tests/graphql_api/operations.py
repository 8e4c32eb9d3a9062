"""Every mutation and every id-taking query, as data, so tests can try each one with any ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from core.accounts.models import ApiToken, User
from core.bookings.models import Booking, BookingAssignment, BookingComment, BookingEvent, BookingLine
from core.catalog.models import Service, ServiceCategory
from core.company.models import Company, Counter
from core.crm.models import Customer, Property, PropertyType
from core.workforce.models import BankDetails, ChangeRequest, Fieldworker, FieldworkerLog, FieldworkerMessage

ERRORS = "errors { code field message }"

SNAPSHOT_MODELS: tuple[type[models.Model], ...] = (
    User, ApiToken, Company, Counter, Customer, Property, PropertyType, ServiceCategory, Service, Fieldworker,
    Booking, BookingLine, BookingAssignment, BookingEvent, BookingComment,
    FieldworkerLog, FieldworkerMessage, BankDetails, ChangeRequest,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every domain table (plus the M2M of fieldworker services)."""
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}
    state["FieldworkerServices"] = list(Fieldworker.services.through.objects.order_by("pk").values())
    return state


@dataclass(frozen=True)
class Target:
    """The ids an operation is aimed at (global ids)."""

    booking: str
    customer: str
    property: str
    fieldworker: str
    service: str
    token: str = ""
    comment: str = ""
    message: str = ""  # a FieldworkerMessage


@dataclass(frozen=True)
class Op:
    name: str
    document: str
    variables: Callable[[Target], dict[str, Any]]
    result_key: str  # the payload field that must stay null on refusal


MUTATIONS: list[Op] = [
    Op("updateBooking",
       f"mutation($v: UpdateBookingInput!) {{ updateBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.booking, "notes": "hijacked"}}, "booking"),
    Op("assignFieldworker",
       f"mutation($v: AssignmentInput!) {{ assignFieldworker(input: $v) {{ assignment {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"bookingId": t.booking, "fieldworkerId": t.fieldworker}}, "assignment"),
    Op("unassignFieldworker",
       f"mutation($v: AssignmentInput!) {{ unassignFieldworker(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"bookingId": t.booking, "fieldworkerId": t.fieldworker}}, "booking"),
    Op("respondToAssignment",
       f"mutation($v: RespondToAssignmentInput!) {{ respondToAssignment(input: $v) "
       f"{{ assignment {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"bookingId": t.booking, "accept": False, "reason": "no",
                        "fieldworkerId": t.fieldworker}}, "assignment"),
    Op("confirmBooking", f"mutation($id: ID!) {{ confirmBooking(id: $id) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"id": t.booking}, "booking"),
    Op("startBooking", f"mutation($id: ID!) {{ startBooking(id: $id) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"id": t.booking}, "booking"),
    Op("completeBooking", f"mutation($id: ID!) {{ completeBooking(id: $id) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"id": t.booking}, "booking"),
    Op("cancelBooking",
       f"mutation($v: CancelBookingInput!) {{ cancelBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.booking, "reason": "not mine"}}, "booking"),
    Op("setBookingStatus",
       f"mutation($v: SetBookingStatusInput!) {{ setBookingStatus(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.booking, "status": "CANCELLED", "reason": "x"}}, "booking"),
    Op("rescheduleBooking",
       f"mutation($v: RescheduleBookingInput!) {{ rescheduleBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.booking, "newStart": "2031-03-04T09:00:00+00:00"}}, "booking"),
    Op("addBookingComment",
       f"mutation($v: AddBookingCommentInput!) {{ addBookingComment(input: $v) {{ comment {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"bookingId": t.booking, "body": "hello"}}, "comment"),
    Op("changeBookingOwner",
       f"mutation($v: ChangeBookingOwnerInput!) {{ changeBookingOwner(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"bookingId": t.booking, "ownerId": None}}, "booking"),
    Op("setBookingAutomation",
       f"mutation($v: SetBookingAutomationInput!) {{ setBookingAutomation(input: $v) "
       f"{{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"bookingId": t.booking, "emailPaused": True}}, "booking"),
    Op("createBooking",
       f"mutation($v: CreateBookingInput!) {{ createBooking(input: $v) {{ booking {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"customerId": t.customer, "propertyId": t.property,
                        "scheduledStart": "2031-03-03T09:00:00+00:00", "lines": [{"serviceId": t.service}]}},
       "booking"),
    Op("updateCustomer",
       f"mutation($v: UpdateCustomerInput!) {{ updateCustomer(input: $v) {{ customer {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.customer, "email": "evil@example.com"}}, "customer"),
    Op("createCustomer",
       f"mutation($v: CreateCustomerInput!) {{ createCustomer(input: $v) {{ customer {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"name": "Sneaky"}}, "customer"),
    Op("createProperty",
       f"mutation($v: CreatePropertyInput!) {{ createProperty(input: $v) {{ property {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"customerId": t.customer, "address": "1 Elsewhere"}}, "property"),
    Op("updateProperty",
       f"mutation($v: UpdatePropertyInput!) {{ updateProperty(input: $v) {{ property {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.property, "address": "1 Elsewhere"}}, "property"),
    Op("createPropertyType",
       f"mutation {{ createPropertyType(name: \"Castle\") {{ propertyType {{ id }} {ERRORS} }} }}",
       lambda t: {}, "propertyType"),
    Op("createService",
       f"mutation($v: CreateServiceInput!) {{ createService(input: $v) {{ service {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"name": "Free stuff", "price": "0"}}, "service"),
    Op("updateService",
       f"mutation($v: UpdateServiceInput!) {{ updateService(input: $v) {{ service {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.service, "price": "1"}}, "service"),
    Op("createServiceCategory",
       f"mutation {{ createServiceCategory(name: \"Sneaky\") {{ category {{ id }} {ERRORS} }} }}",
       lambda t: {}, "category"),
    Op("createFieldworker",
       f"mutation($v: CreateFieldworkerInput!) {{ createFieldworker(input: $v) {{ fieldworker {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"name": "Mole", "email": "mole@example.com"}}, "fieldworker"),
    Op("updateFieldworker",
       f"mutation($v: UpdateFieldworkerInput!) {{ updateFieldworker(input: $v) {{ fieldworker {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.fieldworker, "mobile": "+61400999999"}}, "fieldworker"),
    Op("updateCompanySettings",
       f"mutation($v: UpdateCompanySettingsInput!) {{ updateCompanySettings(input: $v) "
       f"{{ settings {{ name }} {ERRORS} }} }}",
       lambda t: {"v": {"customersMayCancel": False}}, "settings"),
    Op("revokeApiToken",
       f"mutation($id: ID!) {{ revokeApiToken(id: $id) {{ apiToken {{ id }} {ERRORS} }} }}",
       lambda t: {"id": t.token}, "apiToken"),
]

# fieldworker profiles (issue 20): another fieldworker's profile, photo, team, bank details, messages
MUTATIONS += [
    Op("updateFieldworkerProfile",
       f"mutation($v: UpdateFieldworkerProfileInput!) {{ updateFieldworkerProfile(input: $v) "
       f"{{ fieldworker {{ id }} {ERRORS} }} }}",
       lambda t: {"v": {"id": t.fieldworker, "bio": "hijacked"}}, "fieldworker"),
    Op("setFieldworkerPhoto",
       f"mutation($f: ID!) {{ setFieldworkerPhoto(fieldworkerId: $f) {{ fieldworker {{ id }} {ERRORS} }} }}",
       lambda t: {"f": t.fieldworker}, "fieldworker"),
    Op("setFieldworkerLead",
       f"mutation($f: ID!) {{ setFieldworkerLead(fieldworkerId: $f) {{ fieldworker {{ id }} {ERRORS} }} }}",
       lambda t: {"f": t.fieldworker}, "fieldworker"),
    Op("setBankDetails",
       f"mutation($f: ID!) {{ setBankDetails(input: {{fieldworkerId: $f, accountName: \"X\", bankName: \"Y\", "
       f"branchCode: \"1\", accountNumber: \"99999999\"}}) {{ bankDetails {{ masked }} {ERRORS} }} }}",
       lambda t: {"f": t.fieldworker}, "bankDetails"),
    Op("sendFieldworkerMessage",
       f"mutation($f: ID!) {{ sendFieldworkerMessage(input: {{medium: SMS, body: \"hi\", fieldworkerId: $f}}) "
       f"{{ messages {{ id }} {ERRORS} }} }}",
       lambda t: {"f": t.fieldworker}, "messages"),
    Op("retryFieldworkerMessage",
       f"mutation($id: ID!) {{ retryFieldworkerMessage(id: $id) {{ message {{ id }} {ERRORS} }} }}",
       lambda t: {"id": t.message}, "message"),
    Op("resendFieldworkerVerification",
       f"mutation($f: ID!) {{ resendFieldworkerVerification(fieldworkerId: $f) {{ messages {{ id }} {ERRORS} }} }}",
       lambda t: {"f": t.fieldworker}, "messages"),
]

# Mutations whose target is a row of someone else (denied must look like missing).
ROW_MUTATIONS = {op.name for op in MUTATIONS} - {
    "createCustomer", "createPropertyType", "createService", "createServiceCategory", "createFieldworker",
    "updateCompanySettings", "updateService", "createBooking",
}

ID_QUERIES: list[Op] = [
    Op("booking", "query($id: ID!) { booking(id: $id) { id number } }", lambda t: {"id": t.booking}, "booking"),
    Op("node", "query($id: ID!) { node(id: $id) { id } }", lambda t: {"id": t.booking}, "node"),
    Op("nodeCustomer", "query($id: ID!) { node(id: $id) { id ... on Customer { email } } }",
       lambda t: {"id": t.customer}, "node"),
    Op("nodeProperty", "query($id: ID!) { node(id: $id) { id } }", lambda t: {"id": t.property}, "node"),
    Op("bookingHistory", "query($id: ID!) { bookingHistory(bookingId: $id) { action } }",
       lambda t: {"id": t.booking}, "bookingHistory"),
    Op("cancellationQuote", "query($id: ID!) { cancellationQuote(bookingId: $id) { allowed fee } }",
       lambda t: {"id": t.booking}, "cancellationQuote"),
    Op("rescheduleOptions", "query($id: ID!) { rescheduleOptions(bookingId: $id) { allowed slots { start } } }",
       lambda t: {"id": t.booking}, "rescheduleOptions"),
    Op("bookingsByCustomer",
       "query($id: ID!) { bookings(filter: {customerId: $id}) { totalCount edges { node { id } } } }",
       lambda t: {"id": t.customer}, "bookings"),
    Op("bookingsByFieldworker",
       "query($id: ID!) { bookings(filter: {fieldworkerId: $id}) { totalCount edges { node { id } } } }",
       lambda t: {"id": t.fieldworker}, "bookings"),
    Op("fieldworkerLog", "query($id: ID!) { fieldworkerLog(fieldworkerId: $id) { totalCount } }",
       lambda t: {"id": t.fieldworker}, "fieldworkerLog"),
    Op("fieldworkerMessages", "query($id: ID!) { fieldworkerMessages(fieldworkerId: $id) { totalCount } }",
       lambda t: {"id": t.fieldworker}, "fieldworkerMessages"),
    Op("fieldworkerMessagesFailed",
       "query($id: ID!) { fieldworkerMessages(fieldworkerId: $id, status: \"failed\") { totalCount } }",
       lambda t: {"id": t.fieldworker}, "fieldworkerMessages"),
    Op("fieldworkerBankDetails", "query($id: ID!) { fieldworkerBankDetails(fieldworkerId: $id) { masked } }",
       lambda t: {"id": t.fieldworker}, "fieldworkerBankDetails"),
    Op("fieldworkerBookingSummary", "query($id: ID!) { fieldworkerBookingSummary(fieldworkerId: $id, "
       "start: \"2030-01-01\", end: \"2030-01-31\") { jobs revenue } }",
       lambda t: {"id": t.fieldworker}, "fieldworkerBookingSummary"),
    Op("bookingsToReassign", "query($id: ID!) { bookingsToReassign(fieldworkerId: $id) { id } }",
       lambda t: {"id": t.fieldworker}, "bookingsToReassign"),
]

"""The schema's id-taking operations as data, for the walk (decision 0150).

``CASES`` names, per query and mutation, arguments that make sense for the operation with a
``Ref(type)`` wherever an id goes. The walk derives from the schema itself every argument or input
field of type ``ID`` (however deep in input objects and lists) and fails when one has no case, so a
new id-taking argument cannot slip past it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
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

from core.accounts.models import ApiToken
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import LocationType
from core.catalog.models import ServiceCategory
from core.company import services as company_services
from core.complaints import services as complaint_services
from core.complaints.defaults import ensure_lists
from core.complaints.models import ComplaintStatus, ComplaintType
from core.crm import services as crm_services
from core.crm.models import PropertyType
from core.files import services as file_services
from core.integrations import services as webhook_services
from core.integrations.models import WebhookDelivery
from core.outreach import services as outreach_services
from core.outreach.models import EmailMessage, ServiceReminder
from core.payroll import services as payroll_services
from core.reviews.models import Review, ReviewRequest
from core.sales import invoices as invoice_services
from core.sales import payments as payment_services
from core.sales import quotes as quote_services
from core.workforce import services as workforce_services
from core.workforce.models import FieldworkerMessage
from graphql_api.schema import schema
from tests import factories

from .over_http import sign_in

ID_TYPE_NAMES = {"ID", "GlobalID"}


@dataclass(frozen=True)
class Ref:
    """An id of a row of ``type_name`` goes here."""

    type_name: str


def schema_id_paths() -> set[tuple[str, str]]:
    """(operation, argument path) for every ID argument or input field of every query and mutation."""
    found: set[tuple[str, str]] = set()
    graphql_schema = schema._schema

    def visit(op: str, gtype: Any, path: str, seen: tuple[str, ...]) -> None:
        named = get_named_type(gtype)
        if named.name in ID_TYPE_NAMES:
            found.add((op, path))
        elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
            for name, input_field in named.fields.items():
                visit(op, input_field.type, f"{path}.{name}", (*seen, named.name))

    for root in (graphql_schema.query_type, graphql_schema.mutation_type):
        for op, root_field in root.fields.items():
            for name, arg in root_field.args.items():
                visit(op, arg.type, name, ())
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
    for name, output_field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
               for arg in output_field.args.values()):
            continue
        inner = get_named_type(output_field.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {_selection(output_field.type, depth - 1)}")
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
        "Service", "BookingRequest", "EmailMessage", "ChangeRequest", "Notification", "ServiceReminder", "Review",
        "ReviewRequest")],
    ("inquiries", {"filter": {"customerId": C, "bookingId": B, "assigneeId": U, "ownerId": U,
                              "leadSourceId": Ref("LeadSource")}}),
    ("priceQuote", {"serviceId": S, "propertyId": P}),
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
    ("serviceReminders", {"filter": {"customerId": C, "serviceId": S}}),
    ("reviews", {"filter": {"fieldworkerId": F, "serviceId": S}}),
    ("reviewRequests", {"filter": {"customerId": C}}),
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
    ("createService", {"input": {"name": "Windows", "price": "80", "categoryId": Ref("ServiceCategory"),
                                 "taxRateId": Ref("TaxRate")}}),
    ("updateService", {"input": {"id": S, "price": "90", "categoryId": Ref("ServiceCategory"),
                                 "taxRateId": Ref("TaxRate")}}),
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
                                       "lines": [{"serviceId": S}, {"productId": Ref("Product")},
                                                 {"packageId": Ref("ServicePackage")}], "fieldworkerIds": [F]}}),
    ("updateBookingSeries", {"input": {"bookingId": B, "scope": "ALL", "notes": "x", "fieldworkerIds": [F]}}),
    ("cancelBookingSeries", {"input": {"bookingId": B, "scope": "ALL", "reason": "x"}}),
    ("createBooking", {"input": {"customerId": C, "propertyId": P, "scheduledStart": WHEN, "ownerId": U,
                                 "locationTypeId": Ref("LocationType"), "dependentId": Ref("Dependent"),
                                 "lines": [{"serviceId": S}, {"productId": Ref("Product")},
                                           {"packageId": Ref("ServicePackage")}]}}),
    ("updateBooking", {"input": {"id": B, "propertyId": P, "notes": "changed", "locationTypeId": Ref("LocationType"),
                                 "dependentId": Ref("Dependent"),
                                 "lines": [{"serviceId": S}, {"productId": Ref("Product")},
                                           {"packageId": Ref("ServicePackage")}]}}),
    ("createCalendarFeed", {"fieldworkerId": F}),
    ("revokeCalendarFeed", {"fieldworkerId": F}),
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
    ("withdrawServiceReminder", {"id": Ref("ServiceReminder")}),
    # sending domains (no rows in the walk's world: only the id of no row is tried, decision 0150)
    ("addEmailDomain", {"input": {"domain": "walk.example", "tradingNameId": Ref("TradingName")}}),
    ("checkEmailDomain", {"id": Ref("EmailDomain")}),
    ("rotateEmailDomainKey", {"id": Ref("EmailDomain")}),
    ("removeEmailDomain", {"id": Ref("EmailDomain")}),
    ("submitReview", {"bookingId": B, "rating": 5}),
    ("publishReview", {"id": Ref("Review")}),
    ("unpublishReview", {"id": Ref("Review")}),
    ("withdrawReviewRequest", {"id": Ref("ReviewRequest")}),
    ("retrySms", {"id": Ref("SmsMessage")}),  # no SMS rows in the world yet: only the id of no row
    ("createTelegramLink", {"fieldworkerId": F}),
    # leads, catalogue items, price zones, branding (rows of these types are not in the walk's world
    # yet: only the id of no row is tried for them; see decision 0150)
    ("createInquiry", {"input": {"body": "A quote please", "customerId": C, "wantedServiceIds": [S],
                                 "leadSourceId": Ref("LeadSource"), "ownerId": U}}),
    ("updateInquiry", {"input": {"id": Ref("Inquiry"), "body": "x", "wantedServiceIds": [S],
                                 "leadSourceId": Ref("LeadSource"), "labelIds": [Ref("Label")]}}),
    ("convertInquiry", {"input": {"id": Ref("Inquiry"), "scheduledStart": WHEN, "mergeIntoCustomerId": C}}),
    ("moveInquiry", {"input": {"id": Ref("Inquiry"), "leadStatus": "CONTACTED"}}),
    ("deleteInquiry", {"id": Ref("Inquiry"), "reason": "spam"}),
    ("restoreInquiry", {"id": Ref("Inquiry")}),
    ("updateLeadSource", {"input": {"id": Ref("LeadSource"), "name": "Flyers"}}),
    ("deleteLeadSource", {"id": Ref("LeadSource")}),
    ("addDependent", {"input": {"customerId": C, "name": "May"}}),
    ("updateDependent", {"input": {"id": Ref("Dependent"), "name": "May Chen"}}),
    ("archiveDependent", {"id": Ref("Dependent")}),
    ("updatePropertyType", {"input": {"id": Ref("PropertyType"), "name": "Cottage"}}),
    ("deletePropertyType", {"id": Ref("PropertyType")}),
    ("updateLocationType", {"input": {"id": Ref("LocationType"), "name": "Remote"}}),
    ("deleteLocationType", {"id": Ref("LocationType")}),
    ("createProduct", {"input": {"sku": "WALK-1", "name": "Filter", "price": "5", "taxRateId": Ref("TaxRate")}}),
    ("updateProduct", {"input": {"id": Ref("Product"), "price": "5", "taxRateId": Ref("TaxRate")}}),
    ("createServicePackage", {"input": {"name": "Bundle", "price": "100", "taxRateId": Ref("TaxRate"), "items": [
        {"serviceId": S}, {"productId": Ref("Product")}]}}),
    ("updateServicePackage", {"input": {"id": Ref("ServicePackage"), "taxRateId": Ref("TaxRate"), "items": [
        {"serviceId": S}, {"productId": Ref("Product")}]}}),
    # named tax rates (decision 0870)
    ("updateTaxRate", {"input": {"id": Ref("TaxRate"), "name": "GST"}}),
    ("deleteTaxRate", {"id": Ref("TaxRate")}),
    ("setDefaultTaxRate", {"id": Ref("TaxRate")}),
    ("setVolumeTiers", {"itemId": S, "tiers": [{"minQuantity": "5", "kind": "PERCENT_OFF", "value": "10"}]}),
    ("updatePriceZone", {"input": {"id": Ref("PriceZone"), "name": "Far"}}),
    ("deletePriceZone", {"id": Ref("PriceZone")}),
    ("setBookingLinePrice", {"bookingId": B, "lineId": Ref("BookingLine"), "unitPrice": "99"}),
    ("updateTradingName", {"input": {"id": Ref("TradingName"), "name": "Other name"}}),
    ("setDefaultTradingName", {"id": Ref("TradingName")}),
    ("publishTerms", {"input": {"tradingNameId": Ref("TradingName"), "text": "Our terms"}}),
    ("updateLabel", {"input": {"id": Ref("Label"), "name": "VIP"}}),
    # custom fields (no rows of these types in the world yet: only the id of no row is tried for them)
    ("formSchema", {"target": "BOOKING", "serviceId": S}),
    ("createCustomField", {"input": {"target": "BOOKING", "label": "Gate code", "fieldType": "SHORT_TEXT",
                                     "groupId": Ref("CustomFieldGroup"), "serviceId": S}}),
    ("updateCustomField", {"input": {"id": Ref("CustomField"), "label": "Gate", "groupId": Ref("CustomFieldGroup"),
                                     "serviceId": S}}),
    ("archiveCustomField", {"id": Ref("CustomField")}),
    ("reorderCustomFields", {"target": "BOOKING", "groupId": Ref("CustomFieldGroup"),
                             "fieldIds": [Ref("CustomField")]}),
    ("updateCustomFieldGroup", {"id": Ref("CustomFieldGroup"), "name": "Access"}),
    ("archiveCustomFieldGroup", {"id": Ref("CustomFieldGroup")}),
    ("reorderCustomFieldGroups", {"target": "BOOKING", "groupIds": [Ref("CustomFieldGroup")]}),
    *[("setCustomFieldValues", {"input": {"objectId": Ref(type_name),
                                          "values": [{"key": "gate_code", "value": {"text": "4411"}}]}})
      for type_name in ("Booking", "Customer", "Property", "Fieldworker")],
    ("setProfileFields", {"profile": "CUSTOMER", "fields": [{"fieldId": Ref("CustomField")}]}),
    ("unlinkTelegram", {"fieldworkerId": F}),
    # forms (no templates in the world: only the id of no template is tried; the bookings are each side's)
    ("bookingForms", {"bookingId": B}),
    ("createFormTemplate", {"input": {"name": "Checks", "elements": [{"kind": "TOGGLE", "label": "Tidy"}],
                                      "serviceIds": [S], "bookingId": B}}),
    ("updateFormTemplate", {"input": {"id": Ref("FormTemplate"), "name": "Checks", "serviceIds": [S],
                                      "bookingId": B}}),
    ("archiveFormTemplate", {"id": Ref("FormTemplate")}),
    ("saveFormAnswers", {"input": {"bookingId": B, "templateId": Ref("FormTemplate"), "answers": [
        {"key": "photo", "value": {"photoId": Ref("BookingAttachment")}}]}}),
    ("submitForm", {"input": {"bookingId": B, "templateId": Ref("FormTemplate"), "answers": [
        {"key": "photo", "value": {"photoId": Ref("BookingAttachment")}}]}}),
    # invoices and payments (an issued invoice with a payment on each side)
    ("node", {"id": Ref("Invoice")}),
    ("invoices", {"filter": {"customerId": C, "ownerId": U, "bookingId": B}}),
    ("invoice", {"id": Ref("Invoice")}),
    ("invoiceHistory", {"invoiceId": Ref("Invoice")}),
    ("createInvoice", {"input": {"customerId": C, "bookingId": B, "tradingNameId": Ref("TradingName"),
                                 "lines": [{"serviceId": S}, {"productId": Ref("Product")},
                                           {"packageId": Ref("ServicePackage")},
                                           {"description": "Call-out", "unitPrice": "50", "taxRateId": Ref("TaxRate")}]}}),
    ("createInvoiceFromBooking", {"input": {"bookingId": B, "tradingNameId": Ref("TradingName")}}),
    ("createInvoiceForCancellationFee", {"input": {"bookingId": B, "tradingNameId": Ref("TradingName")}}),
    ("updateInvoice", {"input": {"id": Ref("Invoice"), "notes": "x", "tradingNameId": Ref("TradingName")}}),
    ("setInvoiceLines", {"input": {"invoiceId": Ref("Invoice"), "lines": [
        {"serviceId": S}, {"productId": Ref("Product")}, {"packageId": Ref("ServicePackage")},
        {"description": "Call-out", "unitPrice": "50", "taxRateId": Ref("TaxRate")}]}}),
    ("issueInvoice", {"input": {"id": Ref("Invoice"), "sendEmail": False}}),
    ("convertInvoiceToDraft", {"input": {"id": Ref("Invoice"), "reason": "fix"}}),
    ("voidInvoice", {"input": {"id": Ref("Invoice"), "reason": "wrong"}}),
    ("deleteInvoice", {"id": Ref("Invoice")}),
    ("changeInvoiceNumber", {"input": {"id": Ref("Invoice"), "number": 424242}}),
    ("claimInvoice", {"id": Ref("Invoice")}),
    ("recordPayment", {"input": {"invoiceId": Ref("Invoice"), "amount": "1.00", "method": "CASH"}}),
    ("removePayment", {"input": {"id": Ref("Payment"), "reason": "refunded"}}),
    # complaints (a customer-visible complaint on each side's booking)
    ("node", {"id": Ref("Complaint")}),
    ("complaints", {"filter": {"statusIds": [Ref("ComplaintStatus")], "typeIds": [Ref("ComplaintType")],
                               "ownerId": U, "bookingId": B, "quoteId": Ref("Quote"), "customerId": C}}),
    ("complaint", {"id": Ref("Complaint")}),
    ("complaintHistory", {"complaintId": Ref("Complaint")}),
    ("raiseComplaint", {"input": {"bookingId": B, "description": "x", "typeId": Ref("ComplaintType"),
                                  "ownerId": U}}),
    ("raiseComplaint", {"input": {"quoteId": Ref("Quote"), "description": "x", "typeId": Ref("ComplaintType"),
                                  "ownerId": U}}),
    ("updateComplaint", {"input": {"id": Ref("Complaint"), "typeId": Ref("ComplaintType"),
                                   "statusId": Ref("ComplaintStatus")}}),
    ("assignComplaint", {"input": {"id": Ref("Complaint"), "ownerId": U}}),
    ("resolveComplaint", {"input": {"id": Ref("Complaint"), "resolution": "done",
                                    "statusId": Ref("ComplaintStatus")}}),
    ("reopenComplaint", {"input": {"id": Ref("Complaint"), "reason": "again", "statusId": Ref("ComplaintStatus")}}),
    ("updateComplaintType", {"input": {"id": Ref("ComplaintType"), "name": "Noise"}}),
    ("deleteComplaintType", {"id": Ref("ComplaintType")}),
    ("updateComplaintStatus", {"input": {"id": Ref("ComplaintStatus"), "name": "Waiting"}}),
    ("deleteComplaintStatus", {"id": Ref("ComplaintStatus")}),
    # files (issue 19): the file is a JSON value here, not a multipart part; the id is checked first
    ("node", {"id": Ref("File")}),
    ("uploadBookingFile", {"bookingId": B, "file": "not a multipart file"}),
    ("uploadCustomerFile", {"customerId": C, "file": "not a multipart file"}),
    ("uploadQuoteFile", {"quoteId": Ref("Quote"), "file": "not a multipart file"}),
    ("deleteFile", {"id": Ref("File")}),
    # quotes (a sent quote with a label on each side)
    ("node", {"id": Ref("Quote")}),
    ("quotes", {"filter": {"customerId": C, "ownerId": U, "labelId": Ref("Label")}}),
    ("quote", {"id": Ref("Quote")}),
    ("quoteHistory", {"quoteId": Ref("Quote")}),
    ("createQuote", {"input": {"customerId": C, "propertyId": Ref("Property"), "tradingNameId": Ref("TradingName"),
                               "labelIds": [Ref("Label")], "lines": [{"serviceId": S}, {"productId": Ref("Product")},
                                                                     {"packageId": Ref("ServicePackage")},
                                                                     {"description": "Call-out", "unitPrice": "50",
                                                                      "taxRateId": Ref("TaxRate")}]}}),
    ("createQuoteFromInquiry", {"input": {"inquiryId": Ref("Inquiry"), "tradingNameId": Ref("TradingName")}}),
    ("updateQuote", {"input": {"id": Ref("Quote"), "followUpDate": "2999-01-01", "labelIds": [Ref("Label")],
                               "propertyId": Ref("Property"), "tradingNameId": Ref("TradingName")}}),
    ("setQuoteLines", {"input": {"quoteId": Ref("Quote"), "lines": [
        {"serviceId": S}, {"productId": Ref("Product")}, {"packageId": Ref("ServicePackage")},
        {"description": "Call-out", "unitPrice": "50", "taxRateId": Ref("TaxRate")}]}}),
    ("sendQuote", {"input": {"id": Ref("Quote"), "sendEmail": False}}),
    ("acceptQuote", {"id": Ref("Quote")}),
    ("declineQuote", {"input": {"id": Ref("Quote"), "reason": "no"}}),
    ("deleteQuote", {"id": Ref("Quote")}),
    ("changeQuoteNumber", {"input": {"id": Ref("Quote"), "number": 434343}}),
    ("claimQuote", {"id": Ref("Quote")}),
    ("createInvoiceFromQuote", {"quoteId": Ref("Quote")}),
    # pay (an agreement, a pay entry and a statement per side; a run per side)
    *[("node", {"id": Ref(type_name)}) for type_name in ("PaymentAgreement", "PayEntry", "PayrollRun",
                                                         "PayrollStatement")],
    ("paymentAgreements", {"fieldworkerId": F}),
    ("paymentAgreement", {"id": Ref("PaymentAgreement")}),
    ("bookingPay", {"bookingId": B}),
    ("bookingPayHistory", {"bookingId": B}),
    ("payrollRun", {"id": Ref("PayrollRun")}),
    ("payrollStatements", {"runId": Ref("PayrollRun")}),
    ("payrollStatement", {"id": Ref("PayrollStatement")}),
    ("createPaymentAgreement", {"input": {"fieldworkerId": F, "basis": "PER_SERVICE", "effectiveFrom": "2031-01-01",
                                          "rates": [{"serviceId": S, "amount": "5"}]}}),
    ("updatePaymentAgreement", {"input": {"id": Ref("PaymentAgreement"), "notes": "x",
                                          "rates": [{"serviceId": S, "amount": "1"}]}}),
    ("deletePaymentAgreement", {"id": Ref("PaymentAgreement")}),
    ("adjustBookingPay", {"input": {"bookingId": B, "fieldworkerId": F, "amount": "1", "reason": "x"}}),
    ("finalisePayrollRun", {"id": Ref("PayrollRun")}),
    ("markPayrollRunPaid", {"input": {"id": Ref("PayrollRun")}}),
    ("deletePayrollRun", {"id": Ref("PayrollRun")}),
    # fieldworker profiles (issue 20): each side's fieldworker; labels, lists and messages: the id of no row
    ("fieldworkerLog", {"fieldworkerId": F}),
    ("fieldworkerMessages", {"fieldworkerId": F}),
    ("fieldworkerBookingSummary", {"fieldworkerId": F, "start": "2031-01-01", "end": "2031-01-31"}),
    ("fieldworkerBankDetails", {"fieldworkerId": F}),
    ("bookingsToReassign", {"fieldworkerId": F}),
    ("filterFieldworkers", {"filter": {"serviceIds": [S], "industryLabelIds": [Ref("IndustryLabel")],
                                       "areaIds": [Ref("ServiceArea")]}}),
    ("updateFieldworkerProfile", {"input": {"id": F, "bio": "x", "industryLabelIds": [Ref("IndustryLabel")],
                                            "serviceIds": [S]}}),
    ("setFieldworkerPhoto", {"fieldworkerId": F}),
    ("setFieldworkerLead", {"fieldworkerId": F, "leadId": F}),
    ("updateIndustryLabel", {"input": {"id": Ref("IndustryLabel"), "name": "Roofing"}}),
    ("deleteIndustryLabel", {"id": Ref("IndustryLabel")}),
    ("saveFieldworkerList", {"input": {"id": Ref("FieldworkerList"), "name": "List", "filters": {
        "serviceIds": [S], "industryLabelIds": [Ref("IndustryLabel")], "areaIds": [Ref("ServiceArea")]}}}),
    ("deleteFieldworkerList", {"id": Ref("FieldworkerList")}),
    ("setBankDetails", {"input": {"fieldworkerId": F, "accountName": "A", "bankName": "B", "branchCode": "1",
                                  "accountNumber": "12345678"}}),
    ("resendFieldworkerVerification", {"fieldworkerId": F}),
    ("retryFieldworkerMessage", {"id": Ref("FieldworkerMessage")}),
    ("sendFieldworkerMessage", {"input": {"medium": "EMAIL", "body": "hello", "fieldworkerId": F, "bookingId": B,
                                          "savedListId": Ref("FieldworkerList")}}),
    # webhooks (an endpoint, turned off, with a failed delivery per side; staff only)
    ("node", {"id": Ref("WebhookEndpoint")}),
    ("node", {"id": Ref("WebhookDelivery")}),
    ("webhookEndpoint", {"id": Ref("WebhookEndpoint")}),
    ("webhookDeliveries", {"endpointId": Ref("WebhookEndpoint"), "status": "FAILED"}),
    ("updateWebhookEndpoint", {"input": {"id": Ref("WebhookEndpoint"), "description": "x"}}),
    ("rotateWebhookEndpointSecret", {"id": Ref("WebhookEndpoint")}),
    ("deleteWebhookEndpoint", {"id": Ref("WebhookEndpoint")}),
    ("sendTestWebhook", {"endpointId": Ref("WebhookEndpoint")}),
    ("redeliverWebhook", {"id": Ref("WebhookDelivery")}),
]


# --- the world the walk and the fuzz run in ----------------------------------------------------

# every app of the domain, the logs and outboxes included: a refusal writes nothing anywhere
_APPS = ("accounts", "company", "crm", "catalog", "workforce", "bookings", "sms", "chat", "outreach", "sales",
         "complaints", "files", "payroll", "integrations")


def domain_tables() -> list[str]:
    present = set(connection.introspection.table_names())
    return sorted({model._meta.db_table for label in _APPS
                   for model in apps.get_app_config(label).get_models(include_auto_created=True)} & present)


def db_state(tables: list[str]) -> dict[str, list[tuple]]:
    """Every row of every table of the domain, read with one plain statement per table."""
    state = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            state[table] = cursor.fetchall()
    return state


@dataclass
class Role:
    name: str
    user: Any  # None: anonymous
    own: dict[str, int]  # type name -> the pk the caller uses for the arguments not under test
    hidden: dict[str, list[int]] = field(default_factory=dict)  # type name -> rows it may not see or change


@dataclass
class Walk:
    roles: dict[str, Role]


def _side(world, letter: str, *, staff_user, extra: dict[str, int]) -> dict[str, int]:
    cust = getattr(world, f"cust_{letter}")
    booking = getattr(world, f"booking_{letter}")
    return {
        "Booking": booking.pk, "Customer": cust.pk, "Property": getattr(world, f"prop_{letter}").pk,
        "Fieldworker": getattr(world, f"fw_{letter}").pk, "Service": world.service.pk, "User": staff_user.pk,
        "BookingLine": booking.lines.order_by("pk").first().pk,
        **extra,
    }


@pytest.fixture
def walk(world, settings, tmp_path) -> Walk:
    """Two of everything: side A (customer A, fieldworker A, ...) and side B, plus rows no
    non-staff caller sees (an inactive service, a staff-only comment)."""
    staff, system = world.staff, Actor.system()
    settings.MEDIA_ROOT = tmp_path / "media"  # the files the walk stores
    admin_user = factories.staff_user(role="admin")
    staff_b = factories.staff_user()
    category = ServiceCategory.objects.get(name="Cleaning")
    property_type = PropertyType.objects.create(name="House")
    location_type = LocationType.objects.create(name="On site")
    inactive = factories.service(active=False, name="Retired service")
    ensure_lists()  # a transactional test may have emptied them
    complaint_type = ComplaintType.objects.get(name="Other")
    complaint_status = ComplaintStatus.objects.get(name="In progress")
    soon = timezone.now() + timedelta(days=40)
    extra: dict[str, dict[str, int]] = {}
    for letter in "ab":
        cust = getattr(world, f"cust_{letter}")
        booking = getattr(world, f"booking_{letter}")
        fw = getattr(world, f"fw_{letter}")
        comment = booking_services.comment_add(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                               body="see you then", visible_to_customer=True)
        internal = booking_services.comment_add(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                                body="gate code 1234", visible_to_customer=False)
        inquiry = crm_services.inquiry_open(actor=system, channel=Channel.SMS, body="Can you come earlier?",
                                            customer_id=cust.pk, booking_ids=[booking.pk], contact=cust.mobile)
        workforce_services.time_off_add(actor=staff, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
                                        starts_at=soon, ends_at=soon + timedelta(days=1))
        time_off = fw.time_off.get()
        area = workforce_services.service_area_save(actor=staff, channel=Channel.SYSTEM, name=f"Area {letter}",
                                                    postcodes=["2000"])
        request = workforce_services.change_request_file(
            actor=Actor.for_fieldworker(fw), channel=Channel.TELEGRAM, fieldworker_id=fw.pk, kind="time_off",
            payload={"starts_at": (soon + timedelta(days=5)).isoformat(),
                     "ends_at": (soon + timedelta(days=6)).isoformat(), "kind": "leave", "reason": ""})
        notification = outreach_services.notification_create(
            actor=system, channel=Channel.SYSTEM, fieldworker_id=fw.pk, kind="booking_cancelled", title="Job cancelled",
            booking_id=booking.pk, dedupe_key=f"walk-{letter}")
        booking_request = outreach_services.booking_request_create(
            actor=Actor.for_customer(cust), channel=Channel.PORTAL, preferred_date=(soon + timedelta(days=9)).date())
        email = EmailMessage.objects.create(kind="confirmation", status="failed", to_address=cust.email,
                                            customer=cust, booking=booking, subject="Your booking")
        service_reminder = ServiceReminder.objects.create(customer=cust, service=world.service, booking=booking,
                                                          completed_at=soon, due_at=soon + timedelta(days=90))
        review = Review.objects.create(booking=booking, customer=cust, rating=4, may_publish=True, channel="portal")
        review_request = ReviewRequest.objects.create(booking=booking, customer=cust, due_at=soon)
        fw_message = FieldworkerMessage.objects.create(fieldworker=fw, medium="email", body="Hello", to=fw.user.email,
                                                       status="failed", error="SMTP down")
        invoice = invoice_services.invoice_create(
            actor=staff, channel=Channel.SYSTEM, customer_id=cust.pk, booking_id=booking.pk,
            lines=[invoice_services.InvoiceLineInput(description="Work", unit_price="50")])
        invoice_services.invoice_issue(actor=staff, channel=Channel.SYSTEM, invoice_id=invoice.pk, send_email=False)
        payment = payment_services.payment_record(actor=staff, channel=Channel.SYSTEM, invoice_id=invoice.pk,
                                                  amount="10", method="cash")
        label = company_services.label_create(actor=staff, channel=Channel.SYSTEM, name=f"Label {letter}",
                                              applies_to=["quote"])
        quote = quote_services.quote_create(
            actor=staff, channel=Channel.SYSTEM, customer_id=cust.pk, label_ids=[label.pk],
            lines=[invoice_services.InvoiceLineInput(description="Work", unit_price="70")])
        quote_services.quote_send(actor=staff, channel=Channel.SYSTEM, quote_id=quote.pk, send_email=False)
        complaint = complaint_services.complaint_raise(actor=Actor.for_customer(cust), channel=Channel.SYSTEM,
                                                       booking_id=booking.pk, description=f"Complaint {letter}")
        stored = file_services.file_upload_to_booking(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                                      upload=b"%PDF-1.4\n%%EOF\n", name="a.pdf", customer_visible=True)
        endpoint = webhook_services.webhook_endpoint_create(actor=staff, channel=Channel.SYSTEM, active=False,
                                                            url=f"http://127.0.0.1:9/hooks/{letter}")
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_id=f"evt_walk_{letter}",
                                                  event_type="webhook.test", body="{}", status="failed")
        extra[letter] = {
            "WebhookEndpoint": endpoint.pk, "WebhookDelivery": delivery.pk,
            "Invoice": invoice.pk, "Payment": payment.pk, "Complaint": complaint.pk,
            "ComplaintType": complaint_type.pk, "ComplaintStatus": complaint_status.pk, "File": stored.pk, "Quote": quote.pk, "Label": label.pk,
            "BookingComment": comment.pk, "InternalComment": internal.pk, "Inquiry": inquiry.pk,
            "TimeOff": time_off.pk, "ServiceArea": area.pk, "ChangeRequest": request.pk,
            "Notification": notification.pk, "BookingRequest": booking_request.pk, "EmailMessage": email.pk,
            "ServiceReminder": service_reminder.pk, "Review": review.pk, "ReviewRequest": review_request.pk,
            "FieldworkerMessage": fw_message.pk, "ServiceCategory": category.pk, "PropertyType": property_type.pk, "LocationType": location_type.pk,
            "Dependent": crm_services.dependent_add(actor=staff, channel=Channel.SYSTEM, customer_id=cust.pk,
                                                    name=f"Dependent {letter}").pk,
        }
    # pay: an agreement and an adjustment per side's fieldworker; run A (this month, finalised) holds
    # both statements, so side B's run is an empty one of another period
    for letter in "ab":
        fw, booking = getattr(world, f"fw_{letter}"), getattr(world, f"booking_{letter}")
        made = payroll_services.agreement_create(actor=staff, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
                                                 basis="fixed", fixed_amount="50",
                                                 effective_from=date(2020, 1, 1))
        entry = payroll_services.booking_pay_adjust(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                                    fieldworker_id=fw.pk, amount="5", reason="walk")
        extra[letter].update({"PaymentAgreement": made.pk, "PayEntry": entry.pk})
    today = payroll_services.today()
    run_a = payroll_services.payroll_run_create(actor=staff, channel=Channel.SYSTEM, period_start=today,
                                                period_end=today)
    payroll_services.payroll_run_finalise(actor=staff, channel=Channel.SYSTEM, run_id=run_a.pk)
    run_b = payroll_services.payroll_run_create(actor=staff, channel=Channel.SYSTEM,
                                                period_start=date(2021, 1, 1), period_end=date(2021, 1, 31))
    for letter, run in (("a", run_a), ("b", run_a)):
        extra[letter]["PayrollStatement"] = run.statements.get(fieldworker=getattr(world, f"fw_{letter}")).pk
    extra["a"]["PayrollRun"], extra["b"]["PayrollRun"] = run_a.pk, run_b.pk
    users = {
        "customer": world.cust_a.user, "another customer": world.cust_b.user,
        "fieldworker": world.fw_a.user, "another fieldworker": world.fw_b.user,
        "staff": staff.user, "admin": admin_user,
    }
    sign_in(*users.values())
    token = {name: ApiToken.objects.filter(user=user).order_by("pk").first().pk for name, user in users.items()}
    side = {letter: _side(world, letter, staff_user=staff.user if letter == "a" else staff_b, extra=extra[letter])
            for letter in "ab"}

    def non_staff(name: str, mine: str, theirs: str, token_owner: str, user) -> Role:
        own = {**side[mine], "ApiToken": token.get(name, 0)}
        hidden = {type_name: [pk] for type_name, pk in side[theirs].items()
                  if type_name not in ("ServiceCategory", "PropertyType", "LocationType", "Service",
                                       "ComplaintType", "ComplaintStatus",
                                       "InternalComment")}
        hidden["ApiToken"] = [token[token_owner]]
        hidden["Service"] = [inactive.pk]
        if name in ("customer", "another customer"):
            hidden["BookingComment"] = [side[theirs]["BookingComment"], side[mine]["InternalComment"]]
        return Role(name, user, own, hidden)

    roles = {
        "anonymous": non_staff("anonymous", "a", "a", "customer", None),
        "customer": non_staff("customer", "a", "b", "another customer", users["customer"]),
        "another customer": non_staff("another customer", "b", "a", "customer", users["another customer"]),
        "fieldworker": non_staff("fieldworker", "a", "b", "another fieldworker", users["fieldworker"]),
        "another fieldworker": non_staff("another fieldworker", "b", "a", "fieldworker",
                                         users["another fieldworker"]),
        # staff see every row but other people's API tokens; an admin sees those too
        "staff": Role("staff", users["staff"], {**side["a"], "ApiToken": token["staff"]},
                      {"ApiToken": [token["customer"]]}),
        "admin": Role("admin", users["admin"], {**side["a"], "ApiToken": token["admin"]}, {}),
    }
    return Walk(roles)



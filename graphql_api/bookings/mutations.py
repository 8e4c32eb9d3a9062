from datetime import datetime
from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.bookings import calendar, services
from core.errors import DomainError, ValidationFailed
from core.jobdata import services as jobdata_services

from ..enums import BookingSourceEnum, BookingStatusEnum
from ..errors import UserError, attempt, user_errors
from ..ids import decode_id, decode_optional
from ..jobdata.mutations import CustomFieldValueInput, values_given
from ..payloads import UNSET, given, who
from .types import AssignmentNode, BookingLineNode, BookingNode, CommentNode

MAX_INPUT_LINES = services.MAX_LINES


@strawberry.input(description="A priced line: one service, product or package, priced by the catalogue (volume "
                              "tiers, the property's zone). Without one, give a description and unit price.")
class BookingLineInput:
    service_id: strawberry.ID | None = None
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Default: the catalogue's price. Another price for a catalogue item is a staff "
                                  "override, kept with who set it.")
    description: str = ""
    tax_rate: Decimal | None = strawberry.field(default=None, description="Percent. Default: the item's.")
    product_id: strawberry.ID | None = None
    package_id: strawberry.ID | None = None


@strawberry.input(description="Naive date-times are wall-clock time in the booking's time zone.")
class CreateBookingInput:
    customer_id: strawberry.ID
    scheduled_start: datetime
    scheduled_end: datetime | None = strawberry.field(default=None, description="Default: from the services.")
    property_id: strawberry.ID | None = None
    lines: list[BookingLineInput] = strawberry.field(default_factory=list)
    time_zone: str | None = strawberry.field(default=None, description="IANA name; default property/company.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A staff User; default you.")
    source: BookingSourceEnum = BookingSourceEnum.STAFF  # type: ignore[attr-defined]
    notes: str = ""
    workers_required: int = 1
    location_type_id: strawberry.ID | None = strawberry.field(default=None, description="An active entry.")
    dependent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's dependent the job is for (not archived).")
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Custom field values of the booking, checked like setCustomFieldValues; with "
                                  "them, the booking's required fields must be filled. A refused value creates "
                                  "nothing.")


@strawberry.input(description="Change only the fields you send. `lines`, when sent, replaces all lines.")
class UpdateBookingInput:
    id: strawberry.ID
    scheduled_start: datetime | None = UNSET
    scheduled_end: datetime | None = UNSET
    property_id: strawberry.ID | None = UNSET
    notes: str | None = UNSET
    time_zone: str | None = UNSET
    workers_required: int | None = UNSET
    lines: list[BookingLineInput] | None = UNSET
    location_type_id: strawberry.ID | None = UNSET
    dependent_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The customer's dependent the job is for; null: nobody in particular.")


@strawberry.input
class AssignmentInput:
    booking_id: strawberry.ID
    fieldworker_id: strawberry.ID


@strawberry.input(description="Accept or decline an offer. Staff answer on a fieldworker's behalf with fieldworkerId.")
class RespondToAssignmentInput:
    booking_id: strawberry.ID
    accept: bool
    reason: str = strawberry.field(default="", description="Required when declining.")
    fieldworker_id: strawberry.ID | None = None


@strawberry.input(description="A fee above zero is charged only if you accept it (acceptFee), or staff waive "
                              "it or set another amount; otherwise nothing happens (code fee_not_accepted, the "
                              "fee in the payload's `fee`). See `cancellationQuote` first.")
class CancelBookingInput:
    id: strawberry.ID
    reason: str
    accept_fee: Decimal | None = strawberry.field(
        default=None, description="The fee you were quoted; if it changed, nothing happens (code fee_changed).")
    waive_fee: bool = strawberry.field(default=False, description="Staff only: charge no fee.")
    fee_override: Decimal | None = strawberry.field(
        default=None, description="Staff only: charge this amount instead of the rule's (0 or more); "
                                  "recorded with who set it.")


@strawberry.input(description="Customers: a start from `rescheduleOptions`. Staff: any start; fieldworkers not "
                              "free then are taken off and their places offered again. A naive date-time is "
                              "wall-clock time in the booking's time zone.")
class RescheduleBookingInput:
    id: strawberry.ID
    new_start: datetime


@strawberry.input
class SetBookingStatusInput:
    id: strawberry.ID
    status: BookingStatusEnum
    reason: str = strawberry.field(default="", description="Required when cancelling.")
    waive_fee: bool = False
    accept_fee: Decimal | None = strawberry.field(default=None, description="When cancelling: see CancelBookingInput.")
    fee_override: Decimal | None = strawberry.field(default=None, description="When cancelling, staff only.")


@strawberry.input
class AddBookingCommentInput:
    booking_id: strawberry.ID
    body: str
    visible_to_customer: bool | None = strawberry.field(
        default=None, description="Staff/fieldworkers: false (internal) by default. Customers always true.")
    reply_to_id: strawberry.ID | None = None


@strawberry.input
class ChangeBookingOwnerInput:
    booking_id: strawberry.ID
    owner_id: strawberry.ID | None = strawberry.field(description="A staff User, or null for nobody.")


@strawberry.input
class SetBookingAutomationInput:
    booking_id: strawberry.ID
    email_paused: bool | None = None
    sms_paused: bool | None = None


@strawberry.type(description="A fieldworker's calendar subscription: `url` is shown this once (it is the secret).")
class CalendarFeedPayload:
    url: str | None = None
    errors: list[UserError]


@strawberry.type
class RevokeCalendarFeedPayload:
    revoked: int | None = strawberry.field(default=None, description="How many live feeds were retired (0 or 1).")
    errors: list[UserError]


@strawberry.type
class BookingPayload:
    booking: BookingNode | None = None
    errors: list[UserError]


@strawberry.type
class CancelBookingPayload:
    booking: BookingNode | None = None
    fee: Decimal | None = strawberry.field(
        default=None, description="The fee charged; when refused with fee_not_accepted or fee_changed, the fee "
                                  "that cancelling now costs.")
    errors: list[UserError]


def _cancel_payload(work) -> CancelBookingPayload:
    try:
        booking = work()
    except DomainError as exc:
        fee = exc.data.get("fee") if exc.code in ("fee_not_accepted", "fee_changed") else None
        return CancelBookingPayload(errors=user_errors(exc), fee=Decimal(fee) if fee is not None else None)
    return CancelBookingPayload(booking=booking, fee=booking.cancellation_fee, errors=[])


@strawberry.type
class BookingLinePayload:
    line: BookingLineNode | None = None
    errors: list[UserError]


@strawberry.type
class AssignmentPayload:
    assignment: AssignmentNode | None = None
    errors: list[UserError]


@strawberry.type
class CommentPayload:
    comment: CommentNode | None = None
    errors: list[UserError]


def _lines(lines: list[BookingLineInput]) -> list[services.LineInput]:
    if len(lines) > MAX_INPUT_LINES:
        raise ValidationFailed("lines", f"At most {MAX_INPUT_LINES} lines.", code="too_many")
    return [
        services.LineInput(
            service_id=decode_optional(line.service_id, "Service", f"lines.{index}.serviceId"),
            quantity=line.quantity, unit_price=line.unit_price, description=line.description[:1000],
            tax_rate=line.tax_rate,
            product_id=decode_optional(line.product_id, "Product", f"lines.{index}.productId"),
            package_id=decode_optional(line.package_id, "ServicePackage", f"lines.{index}.packageId"),
        )
        for index, line in enumerate(lines)
    ]


def _as_stored(booking):
    """Re-read after a write so date-times come back in UTC like every query returns them."""
    booking.refresh_from_db(fields=["scheduled_start", "scheduled_end"])
    return booking


def _create(info: Info, data: CreateBookingInput):
    if data.custom_fields is None:
        return _as_stored(_create_with(services.booking_create, info, data))
    # the booking and its values in one transaction (core.jobdata); the values' errors name this input
    values = values_given(data.custom_fields, "customFields")
    try:
        return _as_stored(_create_with(jobdata_services.booking_create_with_values, info, data, values=values))
    except DomainError as exc:
        if exc.field and exc.field.startswith("values."):
            exc.field = "customFields." + exc.field.removeprefix("values.")
        raise


def _create_with(create, info: Info, data: CreateBookingInput, **extra):
    return create(
        **who(info), **extra, customer_id=decode_id(data.customer_id, "Customer", "customerId"),
        scheduled_start=data.scheduled_start, scheduled_end=data.scheduled_end,
        property_id=decode_optional(data.property_id, "Property", "propertyId"), lines=_lines(data.lines),
        time_zone=data.time_zone, owner_id=decode_optional(data.owner_id, "User", "ownerId"),
        source=data.source.value, notes=data.notes, workers_required=data.workers_required,
        location_type_id=decode_optional(data.location_type_id, "LocationType", "locationTypeId"),
        dependent_id=decode_optional(data.dependent_id, "Dependent", "dependentId"),
    )


def _update(info: Info, data: UpdateBookingInput):
    booking_id = decode_id(data.id, "Booking")
    changes = given(scheduled_start=data.scheduled_start, scheduled_end=data.scheduled_end, notes=data.notes,
                    time_zone=data.time_zone, workers_required=data.workers_required)
    if changes.get("notes", "") is None:
        changes["notes"] = ""
    if data.property_id is not UNSET:
        changes["property_id"] = decode_optional(data.property_id, "Property", "propertyId")
    if data.location_type_id is not UNSET:
        changes["location_type_id"] = decode_optional(data.location_type_id, "LocationType", "locationTypeId")
    if data.dependent_id is not UNSET:
        changes["dependent_id"] = decode_optional(data.dependent_id, "Dependent", "dependentId")
    lines = None if data.lines in (UNSET, None) else _lines(data.lines)  # type: ignore[arg-type]
    return _as_stored(services.booking_update(**who(info), booking_id=booking_id, lines=lines, **changes))


@strawberry.type
class BookingsMutation:
    @strawberry_django.mutation(description="Book a job (staff).")
    def create_booking(self, info: Info, input: CreateBookingInput) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: _create(info, input))

    @strawberry_django.mutation(description="Reschedule or edit an open booking (staff).")
    def update_booking(self, info: Info, input: UpdateBookingInput) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: _update(info, input))

    @strawberry_django.mutation(description="Set a line's unit price over its list price, or null to go back to "
                                            "the list price (staff, open bookings). Who and when are kept.")
    def set_booking_line_price(self, info: Info, booking_id: strawberry.ID, line_id: strawberry.ID,
                               unit_price: Decimal | None) -> BookingLinePayload:
        return attempt(BookingLinePayload, "line", lambda: services.booking_line_price_set(
            **who(info), booking_id=decode_id(booking_id, "Booking", "bookingId"),
            line_id=decode_id(line_id, "BookingLine", "lineId"), unit_price=unit_price))

    @strawberry_django.mutation(description="Offer a booking to a fieldworker (staff). Outside their working hours "
                                            "or during their time off it is refused (outside_working_hours, "
                                            "on_time_off) unless overrideAvailability is true; the history "
                                            "records the override.")
    def assign_fieldworker(self, info: Info, input: AssignmentInput,
                           override_availability: bool = False) -> AssignmentPayload:
        return attempt(AssignmentPayload, "assignment", lambda: services.booking_assign(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            override_availability=override_availability))

    @strawberry_django.mutation(description=(
        "A new calendar subscription URL (iCalendar) with the fieldworker's accepted jobs, for Google Calendar's "
        "'From URL', Apple Calendar or Outlook. A fieldworker for themself (fieldworkerId left out), staff for any. "
        "The last URL stops working."))
    def create_calendar_feed(self, info: Info, fieldworker_id: strawberry.ID | None = None) -> CalendarFeedPayload:
        return attempt(CalendarFeedPayload, "url", lambda: calendar.calendar_feed_create(
            **who(info), fieldworker_id=decode_optional(fieldworker_id, "Fieldworker", "fieldworkerId"))[1])

    @strawberry_django.mutation(description="Stop the fieldworker's calendar subscription URL (themself, or staff).")
    def revoke_calendar_feed(self, info: Info,
                             fieldworker_id: strawberry.ID | None = None) -> RevokeCalendarFeedPayload:
        return attempt(RevokeCalendarFeedPayload, "revoked", lambda: calendar.calendar_feed_revoke(
            **who(info), fieldworker_id=decode_optional(fieldworker_id, "Fieldworker", "fieldworkerId")))

    @strawberry_django.mutation(description="Take a fieldworker off a booking (staff).")
    def unassign_fieldworker(self, info: Info, input: AssignmentInput) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_unassign(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId")))

    @strawberry_django.mutation(description="Accept or decline an offered booking.")
    def respond_to_assignment(self, info: Info, input: RespondToAssignmentInput
                              ) -> AssignmentPayload:
        return attempt(AssignmentPayload, "assignment", lambda: services.assignment_respond(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"), accept=input.accept,
            reason=input.reason,
            fieldworker_id=decode_optional(input.fieldworker_id, "Fieldworker", "fieldworkerId")))

    @strawberry_django.mutation(description="Confirm a pending booking (staff or the customer).")
    def confirm_booking(self, info: Info, id: strawberry.ID) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_confirm(
            **who(info), booking_id=decode_id(id, "Booking")))

    @strawberry_django.mutation(description="Start a confirmed booking (staff or the accepted fieldworker).")
    def start_booking(self, info: Info, id: strawberry.ID) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_start(
            **who(info), booking_id=decode_id(id, "Booking")))

    @strawberry_django.mutation(description="Complete a booking in progress (staff or the accepted fieldworker).")
    def complete_booking(self, info: Info, id: strawberry.ID) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_complete(
            **who(info), booking_id=decode_id(id, "Booking")))

    @strawberry_django.mutation(description="Cancel with the company's rules; see `cancellationQuote` first.")
    def cancel_booking(self, info: Info, input: CancelBookingInput) -> CancelBookingPayload:
        return _cancel_payload(lambda: services.booking_cancel(
            **who(info), booking_id=decode_id(input.id, "Booking"), reason=input.reason,
            waive_fee=input.waive_fee, accept_fee=input.accept_fee, fee_override=input.fee_override))

    @strawberry_django.mutation(description="Move a booking to another time, keeping its length (staff, or the "
                                            "customer when the company allows it); see `rescheduleOptions` first.")
    def reschedule_booking(self, info: Info, input: RescheduleBookingInput) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: _as_stored(services.booking_reschedule(
            **who(info), booking_id=decode_id(input.id, "Booking"), new_start=input.new_start)))

    @strawberry_django.mutation(description="Move a booking to a status (dispatches to confirm/start/complete/cancel).")
    def set_booking_status(self, info: Info, input: SetBookingStatusInput) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_set_status(
            **who(info), booking_id=decode_id(input.id, "Booking"), status=input.status.value,
            reason=input.reason, waive_fee=input.waive_fee, accept_fee=input.accept_fee,
            fee_override=input.fee_override))

    @strawberry_django.mutation(description="Post to a booking's discussion.")
    def add_booking_comment(self, info: Info, input: AddBookingCommentInput) -> CommentPayload:
        return attempt(CommentPayload, "comment", lambda: services.comment_add(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"), body=input.body,
            visible_to_customer=input.visible_to_customer,
            reply_to_id=decode_optional(input.reply_to_id, "BookingComment", "replyToId")))

    @strawberry_django.mutation(description="Give a booking to another staff member, or to nobody (staff).")
    def change_booking_owner(self, info: Info, input: ChangeBookingOwnerInput) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_change_owner(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            owner_id=decode_optional(input.owner_id, "User", "ownerId")))

    @strawberry_django.mutation(description="Pause or resume automated e-mails/SMS for one booking (staff).")
    def set_booking_automation(self, info: Info, input: SetBookingAutomationInput
                               ) -> BookingPayload:
        return attempt(BookingPayload, "booking", lambda: services.booking_set_automation(
            **who(info), booking_id=decode_id(input.booking_id, "Booking", "bookingId"),
            email_paused=input.email_paused, sms_paused=input.sms_paused))

from enum import Enum

import strawberry
import strawberry_django
from strawberry.types import Info

from core.outreach import selectors, services

from ..errors import UserError, attempt
from ..ids import decode_id, decode_many, decode_optional
from ..payloads import who
from .types import BookingRequestNode, EmailDomainNode, EmailMessageNode, ServiceReminderNode


@strawberry.input(description="A domain to send e-mail from: the company's, or a trading name's.")
class AddEmailDomainInput:
    domain: str
    trading_name_id: strawberry.ID | None = None


@strawberry.type
class EmailDomainPayload:
    email_domain: EmailDomainNode | None = None
    errors: list[UserError]


@strawberry.type
class RemoveEmailDomainPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


@strawberry.input(description="Mark notifications read: name them, or send all: true.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool = False


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int | None = None
    unread: int | None = None
    errors: list[UserError]


@strawberry.enum(description="How staff close an appointment request.")
class BookingRequestOutcome(Enum):
    BOOKED = "booked"
    DECLINED = "declined"


@strawberry.input(description="Close a pending appointment request: booked (name the booking made) or declined.")
class ResolveBookingRequestInput:
    id: strawberry.ID
    outcome: BookingRequestOutcome
    booking_id: strawberry.ID | None = None


@strawberry.type
class BookingRequestPayload:
    booking_request: BookingRequestNode | None = None
    errors: list[UserError]


@strawberry.type
class EmailMessagePayload:
    email_message: EmailMessageNode | None = None
    errors: list[UserError]


@strawberry.type
class ServiceReminderPayload:
    service_reminder: ServiceReminderNode | None = None
    errors: list[UserError]


@strawberry.type
class OutreachMutation:
    @strawberry_django.mutation(description="Mark the signed-in fieldworker's notifications read.")
    def mark_notifications_read(self, info: Info, input: MarkNotificationsReadInput) -> MarkNotificationsReadPayload:
        def work():
            ids = decode_many(input.ids, "Notification", "ids")
            marked = services.notifications_mark_read(**who(info), ids=ids, mark_all=input.all)
            return marked

        payload = attempt(MarkNotificationsReadPayload, "marked", work)
        if not payload.errors:
            payload.unread = selectors.unread_count(who(info)["actor"])
        return payload

    @strawberry_django.mutation(description="Close a customer's appointment request (staff).")
    def resolve_booking_request(self, info: Info, input: ResolveBookingRequestInput) -> BookingRequestPayload:
        return attempt(BookingRequestPayload, "booking_request", lambda: services.booking_request_resolve(
            **who(info), request_id=decode_id(input.id, "BookingRequest"), status=input.outcome.value,
            booking_id=decode_optional(input.booking_id, "Booking", "bookingId")))

    @strawberry_django.mutation(description="Send a failed (or lost: queued or sending with no task left to "
                                            "finish it) e-mail again (staff).")
    def retry_email(self, info: Info, id: strawberry.ID) -> EmailMessagePayload:
        def work():
            message = services.email_retry(**who(info), message_id=decode_id(id, "EmailMessage"))
            message.refresh_from_db()  # a task run on commit may have sent it already
            return message

        return attempt(EmailMessagePayload, "email_message", work)

    @strawberry_django.mutation(description="Call off a pending reminder to book a service again (staff).")
    def withdraw_service_reminder(self, info: Info, id: strawberry.ID) -> ServiceReminderPayload:
        return attempt(ServiceReminderPayload, "service_reminder", lambda: services.service_reminder_withdraw(
            **who(info), reminder_id=decode_id(id, "ServiceReminder")))

    @strawberry_django.mutation(description="Add a sending domain: it gets its DKIM key and the DNS records to "
                                            "publish, and stays pending until a check finds them (staff).")
    def add_email_domain(self, info: Info, input: AddEmailDomainInput) -> EmailDomainPayload:
        return attempt(EmailDomainPayload, "email_domain", lambda: services.email_domain_add(
            **who(info), domain=input.domain,
            trading_name_id=decode_optional(input.trading_name_id, "TradingName", "tradingNameId")))

    @strawberry_django.mutation(description="Look the domain's DNS records up now (staff; a few times an hour).")
    def check_email_domain(self, info: Info, id: strawberry.ID) -> EmailDomainPayload:
        return attempt(EmailDomainPayload, "email_domain", lambda: services.email_domain_check(
            **who(info), domain_id=decode_id(id, "EmailDomain")))

    @strawberry_django.mutation(description="Make a new DKIM key for a verified domain: publish its record; the "
                                            "check that finds it switches to it (staff).")
    def rotate_email_domain_key(self, info: Info, id: strawberry.ID) -> EmailDomainPayload:
        return attempt(EmailDomainPayload, "email_domain", lambda: services.email_domain_rotate_key(
            **who(info), domain_id=decode_id(id, "EmailDomain")))

    @strawberry_django.mutation(description="Forget a sending domain and its keys (staff).")
    def remove_email_domain(self, info: Info, id: strawberry.ID) -> RemoveEmailDomainPayload:
        def work():
            services.email_domain_remove(**who(info), domain_id=decode_id(id, "EmailDomain"))
            return id

        return attempt(RemoveEmailDomainPayload, "deleted_id", work)

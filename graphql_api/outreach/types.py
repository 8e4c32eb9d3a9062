from __future__ import annotations

from datetime import date, datetime, time

import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.outreach.models import BookingRequest, EmailMessage, FieldworkerNotification, ServiceReminder
from core.outreach.selectors import (
    visible_booking_requests,
    visible_emails,
    visible_notifications,
    visible_service_reminders,
)

from ..bookings.types import BookingNode
from ..catalog.types import ServiceNode
from ..context import actor_from_info
from ..crm.types import CustomerNode
from ..enums import DeliveryChannelEnum, ServiceReminderStatusEnum
from ..sms.types import SmsMessageNode


@strawberry_django.type(FieldworkerNotification, name="Notification",
                        description="An in-app notice for the signed-in fieldworker.")
class NotificationNode(relay.Node):
    kind: str = strawberry_django.field(description="booking_cancelled")
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    booking: BookingNode | None

    @strawberry_django.field(description="True once marked read.")
    def read(self) -> bool:
        return self.read_at is not None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_notifications(actor_from_info(info)).values("pk"))


@strawberry_django.type(BookingRequest, name="BookingRequest",
                        description="'Schedule an appointment': a customer's request waiting for staff.")
class BookingRequestNode(relay.Node):
    status: str
    preferred_date: date
    preferred_time: time | None
    notes: str
    channel: str
    created_at: datetime
    customer: CustomerNode
    follows_booking: BookingNode | None
    booking: BookingNode | None = strawberry_django.field(description="The booking staff made for it.")
    resolved_at: datetime | None

    @strawberry_django.field(description="The service asked for, if any.")
    def service_name(self) -> str | None:
        return self.service.name if self.service_id else None  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_booking_requests(actor_from_info(info)).values("pk"))


@strawberry_django.type(EmailMessage, name="EmailMessage", description="One outbound e-mail (staff only).")
class EmailMessageNode(relay.Node):
    kind: str
    status: str = strawberry_django.field(description="queued, sending, sent, failed or skipped.")
    to_address: str
    subject: str
    skip_reason: str
    error: str
    attempts: int = strawberry_django.field(description="Sending attempts so far.")
    next_attempt_at: datetime | None = strawberry_django.field(
        description="After a transient failure (status queued): when it is tried again (null: not waiting).")
    created_at: datetime
    sent_at: datetime | None
    booking: BookingNode | None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_emails(actor_from_info(info)).values("pk"))



@strawberry_django.type(ServiceReminder, name="ServiceReminder",
                        description="A reminder to a customer to book a service again, by text or e-mail, due the "
                                    "service's rebookReminderDays after a completed job of it (staff only).")
class ServiceReminderNode(relay.Node):
    status: ServiceReminderStatusEnum
    reason: str = strawberry_django.field(
        description="Why it was skipped (rebooked; opted_out, paused_for_customer, no_contact: the first channel "
                    "could not be used, nor the other; no_address) or withdrawn (replaced: a newer "
                    "completion of the service; by_staff).")
    due_at: datetime
    completed_at: datetime = strawberry_django.field(description="When the booking it came from was completed.")
    created_at: datetime
    updated_at: datetime
    customer: CustomerNode
    service: ServiceNode
    booking: BookingNode = strawberry_django.field(description="The completed booking it came from.")
    email: EmailMessageNode | None = strawberry_django.field(description="The e-mail logged for it when it came due.")
    sms: SmsMessageNode | None = strawberry_django.field(description="The text logged for it when it came due.")

    @strawberry_django.field(only=["channel"],
                             description="How it went: the first channel of the customer's order that could be used "
                                         "(their preference, else the one they last wrote through, else SMS); null "
                                         "until sent, and when skipped.")
    def channel(self) -> DeliveryChannelEnum | None:
        value = self.channel  # type: ignore[attr-defined]
        return DeliveryChannelEnum(value) if value else None  # type: ignore[call-arg]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_service_reminders(actor_from_info(info)).values("pk"))

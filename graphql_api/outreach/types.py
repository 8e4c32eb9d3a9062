from __future__ import annotations

from datetime import date, datetime, time

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.outreach import mailauth
from core.outreach.models import BookingRequest, EmailDomain, EmailMessage, FieldworkerNotification, ServiceReminder
from core.outreach.selectors import (
    visible_booking_requests,
    visible_email_domains,
    visible_emails,
    visible_notifications,
    visible_service_reminders,
)

from ..bookings.types import BookingNode
from ..branding.types import TradingNameNode
from ..catalog.types import ServiceNode
from ..context import actor_from_info
from ..crm.types import CustomerNode
from ..enums import DeliveryChannelEnum, EmailDomainStatusEnum, ServiceReminderStatusEnum
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


@strawberry.type(name="DnsRecord", description="A DNS record to publish for a sending domain, and what the last "
                                               "check found.")
class DnsRecordType:
    purpose: str = strawberry.field(description="dkim (the key in use), next_dkim (a rotation's new key), spf, dmarc, "
                                                "return_path.")
    name: str = strawberry.field(description="The full name to publish it at.")
    type: str = strawberry.field(description="TXT or CNAME.")
    value: str = strawberry.field(description="The whole value.")
    strings: list[str] = strawberry.field(description="A TXT value as the strings of at most 255 characters DNS "
                                                      "needs (enter them in this order).")
    required: bool = strawberry.field(description="Needed for the domain to be verified.")
    ok: bool | None = strawberry.field(description="The last check found it (null: not checked yet).")
    found: list[str] = strawberry.field(description="What the last check found at the name.")
    error: str = strawberry.field(description="Why the last check could not tell (DNS did not answer).")


@strawberry_django.type(EmailDomain, name="EmailDomain",
                        description="A domain the business sends e-mail from (staff only): its DNS records and their "
                                    "status. Once verified, mail from it says so in From and is DKIM-signed.")
class EmailDomainNode(relay.Node):
    domain: str
    status: EmailDomainStatusEnum
    selector: str = strawberry_django.field(description="The DKIM selector of the key in use.")
    next_selector: str = strawberry_django.field(description="A rotation's new selector, waiting for its record.")
    retired_selector: str = strawberry_django.field(
        description="The selector before the last rotation: its record may be removed.")
    trading_name: TradingNameNode | None = strawberry_django.field(description="Empty: the company's own domain.")
    checked_at: datetime | None
    verified_at: datetime | None
    failing_since: datetime | None
    created_at: datetime

    @strawberry_django.field(only=["domain", "selector", "public_key", "next_selector", "next_public_key", "results"],
                             description="The records to publish, with the last check's result for each.")
    def records(self) -> list[DnsRecordType]:
        return [DnsRecordType(purpose=r.purpose, name=r.name, type=r.type, value=r.value, strings=list(r.strings),
                              required=r.required, ok=r.ok, found=list(r.found), error=r.error)
                for r in mailauth.records(self)]  # type: ignore[arg-type]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=visible_email_domains(actor_from_info(info)).values("pk"))

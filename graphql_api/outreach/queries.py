from collections.abc import Iterable
from datetime import datetime

import strawberry
import strawberry_django
from strawberry.types import Info

from core.outreach import selectors

from ..enums import ServiceReminderStatusEnum
from ..ids import decode_optional
from ..pagination import CappedConnection
from ..permissions import require_authenticated, require_staff
from .types import BookingRequestNode, EmailDomainNode, EmailMessageNode, NotificationNode, ServiceReminderNode


@strawberry.input(description="Narrow the reminders to book again; every field given must hold.")
class ServiceReminderFilter:
    status: ServiceReminderStatusEnum | None = None
    customer_id: strawberry.ID | None = None
    service_id: strawberry.ID | None = None
    due_from: datetime | None = strawberry.field(default=None, description="Due at or after.")
    due_before: datetime | None = strawberry.field(default=None, description="Due before.")


@strawberry.type
class OutreachQuery:
    @strawberry_django.connection(CappedConnection[NotificationNode],
                                  description="The signed-in fieldworker's notifications, newest first.")
    def notifications(self, info: Info, unread_only: bool = False) -> Iterable[NotificationNode]:
        actor = require_authenticated(info)
        qs = selectors.visible_notifications(actor)
        if unread_only:
            qs = qs.filter(read_at__isnull=True)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="How many of the signed-in fieldworker's notifications are unread.")
    def unread_notification_count(self, info: Info) -> int:
        return selectors.unread_count(require_authenticated(info))

    @strawberry_django.connection(CappedConnection[BookingRequestNode],
                                  description="Customers' appointment requests (staff), newest first.")
    def booking_requests(self, info: Info, status: str | None = None) -> Iterable[BookingRequestNode]:
        qs = selectors.visible_booking_requests(require_staff(info))
        if status:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.connection(CappedConnection[EmailMessageNode],
                                  description="The e-mail log (staff), newest first; filter by booking and by "
                                              "status (e.g. `failed`: what needs a retry).")
    def email_log(self, info: Info, booking_id: strawberry.ID | None = None,
                  status: str | None = None) -> Iterable[EmailMessageNode]:
        qs = selectors.visible_emails(require_staff(info))
        pk = decode_optional(booking_id, "Booking", "bookingId")
        if pk is not None:
            qs = qs.filter(booking_id=pk)
        if status:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.connection(CappedConnection[EmailDomainNode],
                                  description="The business's sending domains (staff), by domain.")
    def email_domains(self, info: Info) -> Iterable[EmailDomainNode]:
        return selectors.visible_email_domains(require_staff(info)).order_by("domain", "id")  # type: ignore[return-value]

    @strawberry_django.connection(CappedConnection[ServiceReminderNode],
                                  description="Reminders to book a service again (staff), soonest due first.")
    def service_reminders(self, info: Info,
                          filter: ServiceReminderFilter | None = None) -> Iterable[ServiceReminderNode]:
        qs = selectors.visible_service_reminders(require_staff(info))
        if filter is not None:
            customer_id = decode_optional(filter.customer_id, "Customer", "customerId")
            service_id = decode_optional(filter.service_id, "Service", "serviceId")
            if filter.status is not None:
                qs = qs.filter(status=filter.status.value)
            if customer_id is not None:
                qs = qs.filter(customer_id=customer_id)
            if service_id is not None:
                qs = qs.filter(service_id=service_id)
            if filter.due_from is not None:
                qs = qs.filter(due_at__gte=filter.due_from)
            if filter.due_before is not None:
                qs = qs.filter(due_at__lt=filter.due_before)
        return qs.order_by("due_at", "id")  # type: ignore[return-value]

"""Reads for outreach records, scoped per actor."""

from __future__ import annotations

from django.db.models import QuerySet

from core.actors import Actor

from .models import BookingRequest, EmailDomain, EmailMessage, FieldworkerNotification, ServiceReminder


def visible_notifications(actor: Actor) -> QuerySet[FieldworkerNotification]:
    if actor.is_fieldworker:
        return FieldworkerNotification.objects.filter(fieldworker_id=actor.fieldworker_id)
    return FieldworkerNotification.objects.none()


def unread_count(actor: Actor) -> int:
    return visible_notifications(actor).filter(read_at__isnull=True).count()


def visible_booking_requests(actor: Actor) -> QuerySet[BookingRequest]:
    if actor.is_staff:
        return BookingRequest.objects.all()
    if actor.is_customer:
        return BookingRequest.objects.filter(customer_id=actor.customer_id)
    return BookingRequest.objects.none()


def visible_emails(actor: Actor) -> QuerySet[EmailMessage]:
    return EmailMessage.objects.all() if actor.is_staff else EmailMessage.objects.none()


def visible_service_reminders(actor: Actor) -> QuerySet[ServiceReminder]:
    """Reminders to book again: the office's list (staff only)."""
    return ServiceReminder.objects.all() if actor.is_staff else ServiceReminder.objects.none()


def visible_email_domains(actor: Actor) -> QuerySet[EmailDomain]:
    """The business's sending domains (staff only)."""
    return EmailDomain.objects.all() if actor.is_staff else EmailDomain.objects.none()

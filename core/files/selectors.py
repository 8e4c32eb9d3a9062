"""Who sees which files, scoped once per actor (decision 0924).

Staff see every file. A fieldworker sees the files of the bookings they accepted, and no customer's
own files nor any quote's. A customer sees the files marked customer-visible on their bookings, on
themselves and on their quotes once sent (a draft is the office's, decision 0822).
Everyone else sees none. Downloads check the same scope for the viewer a link was made for.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.actors import Actor
from core.bookings.models import AssignmentStatus, BookingAssignment
from core.sales.quote_models import QuoteStatus

from .models import FileKind, FileSettings, Signature, StoredFile


def accepted_booking_ids(actor: Actor) -> QuerySet:
    return BookingAssignment.objects.filter(fieldworker_id=actor.fieldworker_id,
                                            status=AssignmentStatus.ACCEPTED).values("booking_id")


def visible_files(actor: Actor) -> QuerySet[StoredFile]:
    qs = StoredFile.objects.all()
    if actor.is_staff or actor.is_system:
        return qs
    if actor.is_fieldworker and actor.fieldworker_id is not None:
        # the job's files, and those of the quote the job came from (site photos, drawings: decision 0944)
        jobs = accepted_booking_ids(actor)
        return qs.filter(Q(booking_id__in=jobs) | Q(quote__booking_id__in=jobs))
    if actor.is_customer and actor.customer_id is not None:
        sent = Q(quote__customer_id=actor.customer_id,
                 quote__status__in=[status for status in QuoteStatus.values if status != QuoteStatus.DRAFT])
        return qs.filter(Q(booking__customer_id=actor.customer_id) | Q(customer_id=actor.customer_id) | sent,
                         customer_visible=True)
    return qs.none()


def file_for(actor: Actor, file_id: int) -> StoredFile | None:
    return visible_files(actor).select_related("signature").filter(pk=file_id).first()


def booking_signatures(booking_id: int) -> list[Signature]:
    """Every signature on a booking, oldest first (for the job sheet and the portal; callers scope)."""
    return list(Signature.objects.filter(file__booking_id=booking_id, file__kind=FileKind.SIGNATURE)
                .select_related("file").order_by("signed_at", "id"))


def file_settings() -> FileSettings:
    row = FileSettings.objects.order_by("pk").first()
    return row if row is not None else FileSettings(keep_image_metadata=False)

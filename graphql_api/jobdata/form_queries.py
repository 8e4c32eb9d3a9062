from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.types import Info

from core.jobdata import forms_selectors
from core.jobdata.forms_models import FormTemplate

from ..context import actor_from_info
from ..ids import decode_id
from ..permissions import require_staff
from .form_types import BookingFormType, FormTemplateNode


@strawberry.type
class FormQuery:
    @strawberry_django.field(description="Every form template, archived ones too when asked (staff).")
    def form_templates(self, info: Info, include_archived: bool = False) -> list[FormTemplateNode]:
        require_staff(info)
        qs = FormTemplate.objects.all()
        if not include_archived:
            qs = qs.filter(archived_at__isnull=True)
        return qs.order_by("name", "id")  # type: ignore[return-value]

    @strawberry.field(description="The forms of a booking: staff all; the job's fieldworker once they accepted "
                                  "it; the customer the submitted customer-visible ones. Empty when the booking "
                                  "is not yours to see.")
    def booking_forms(self, info: Info, booking_id: strawberry.ID) -> list[BookingFormType]:
        pk = decode_id(booking_id, "Booking", "bookingId")
        return [BookingFormType.of(form) for form in forms_selectors.forms_for_viewer(actor_from_info(info), pk)]

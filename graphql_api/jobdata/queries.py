from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.types import Info

from core.jobdata import profiles, selectors
from core.jobdata.models import CustomField
from core.jobdata.selectors import FORM_ORDER

from ..context import actor_from_info
from ..ids import decode_optional
from ..permissions import require_authenticated, require_staff
from .types import (
    CustomFieldGroupNode,
    CustomFieldNode,
    CustomFieldTargetEnum,
    FormSchema,
    FormSchemaSection,
    ProfileFieldSetting,
    ProfileKindEnum,
)


@strawberry.type
class JobDataQuery:
    @strawberry_django.field(description="Every custom field of a target, archived ones too when asked (staff).")
    def custom_field_definitions(self, info: Info, target: CustomFieldTargetEnum,
                                 include_archived: bool = False) -> list[CustomFieldNode]:
        require_staff(info)
        qs = CustomField.objects.filter(target=target.value)
        if not include_archived:
            qs = qs.filter(archived_at__isnull=True)
        return qs.order_by(*FORM_ORDER)  # type: ignore[return-value]

    @strawberry_django.field(description="The groups of a target's forms, in order.")
    def custom_field_groups(self, info: Info, target: CustomFieldTargetEnum) -> list[CustomFieldGroupNode]:
        actor = actor_from_info(info)
        return selectors.visible_groups(actor, target.value).order_by("position", "id")  # type: ignore[return-value]

    @strawberry.field(description="What a form for this target asks you, in sections: for bookings, the fields "
                                  "of every booking and those of `serviceId`. Customers and fieldworkers get the "
                                  "fields meant for them.")
    def form_schema(self, info: Info, target: CustomFieldTargetEnum,
                    service_id: strawberry.ID | None = None) -> FormSchema:
        actor = require_authenticated(info)
        service_pk = decode_optional(service_id, "Service", "serviceId")
        fields = selectors.form_fields(actor, target.value, service_pk)
        sections: list[FormSchemaSection] = []
        for field in fields:
            if not sections or sections[-1].group is not field.group:
                if sections and field.group is not None and sections[-1].group is not None \
                        and sections[-1].group.pk == field.group_id:
                    sections[-1].fields.append(field)  # type: ignore[arg-type]
                    continue
                group = field.group
                sections.append(FormSchemaSection(group=group, name=group.name if group else "",  # type: ignore[arg-type]
                                                  fields=[]))
            sections[-1].fields.append(field)  # type: ignore[arg-type]
        return FormSchema(target=target, service_id=service_id, sections=sections)

    @strawberry.field(description="Which built-in and custom fields the company's customer or fieldworker "
                                  "profile shows and requires (staff see hidden ones too).")
    def profile_fields(self, info: Info, profile: ProfileKindEnum) -> list[ProfileFieldSetting]:
        actor = require_authenticated(info)
        readable = None if actor.is_staff else set(
            selectors.readable_fields(actor, profiles.TARGET_OF_PROFILE[profile.value]).values_list("pk", flat=True))
        return [ProfileFieldSetting.of(entry) for entry in profiles.layout(profile.value)
                if actor.is_staff or (entry.shown and (entry.field is None or entry.field.pk in readable))]

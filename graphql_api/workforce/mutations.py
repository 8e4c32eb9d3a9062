import strawberry
import strawberry_django
from strawberry.types import Info

from core.workforce import services

from ..enums import FieldworkerStatusEnum
from ..errors import UserError, attempt
from ..ids import decode_id, decode_many
from ..payloads import UNSET, given, who
from .types import FieldworkerNode


@strawberry.input
class CreateFieldworkerInput:
    name: str
    email: str = strawberry.field(description="Their sign-in e-mail (a user account is created).")
    mobile: str = ""
    service_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    industry_label: str = ""


@strawberry.input(description="Change only the fields you send.")
class UpdateFieldworkerInput:
    id: strawberry.ID
    name: str | None = UNSET
    mobile: str | None = UNSET
    status: FieldworkerStatusEnum | None = UNSET
    industry_label: str | None = UNSET
    service_ids: list[strawberry.ID] | None = UNSET


@strawberry.type
class FieldworkerPayload:
    fieldworker: FieldworkerNode | None = None
    errors: list[UserError]


def _create(info: Info, data: CreateFieldworkerInput):
    return services.fieldworker_create(
        **who(info), name=data.name, email=data.email[:254], mobile=data.mobile, industry_label=data.industry_label,
        service_ids=decode_many(data.service_ids, "Service", "serviceIds"))


def _update(info: Info, data: UpdateFieldworkerInput):
    changes = given(name=data.name, mobile=data.mobile, industry_label=data.industry_label)
    changes = {key: ("" if value is None else value) for key, value in changes.items()}
    if data.status not in (UNSET, None):
        changes["status"] = data.status.value  # type: ignore[union-attr]
    if data.service_ids not in (UNSET, None):
        changes["service_ids"] = decode_many(data.service_ids, "Service", "serviceIds")  # type: ignore[arg-type]
    return services.fieldworker_update(**who(info), fieldworker_id=decode_id(data.id, "Fieldworker"), **changes)


@strawberry.type
class WorkforceMutation:
    @strawberry_django.mutation(description="Add a fieldworker and their user account (staff).")
    def create_fieldworker(self, info: Info, input: CreateFieldworkerInput) -> FieldworkerPayload:
        return attempt(FieldworkerPayload, "fieldworker", lambda: _create(info, input))

    @strawberry_django.mutation(description="Edit a fieldworker (staff; a fieldworker their own mobile).")
    def update_fieldworker(self, info: Info, input: UpdateFieldworkerInput) -> FieldworkerPayload:
        return attempt(FieldworkerPayload, "fieldworker", lambda: _update(info, input))

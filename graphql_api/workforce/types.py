from __future__ import annotations

from datetime import datetime

import strawberry_django
from django.conf import settings
from strawberry import relay
from strawberry.types import Info

from core.reviews.selectors import rating_average_expression, rating_count_expression
from core.workforce import profile
from core.workforce.models import Fieldworker, IndustryLabel
from core.workforce.selectors import visible_fieldworkers

from ..catalog.types import ServiceNode
from ..context import actor_from_info
from ..enums import FieldworkerStatusEnum
from ..jobdata.types import custom_fields_field
from ..nodes import PK


@strawberry_django.type(IndustryLabel, name="IndustryLabel",
                        description="An entry of the fieldworker industry label list (managed by staff).")
class IndustryLabelNode(relay.Node):
    _id_attr = PK
    name: str
    active: bool
    position: int


_UNREAD = object()


def _own_or_staff(root: Fieldworker, info: Info) -> bool:
    actor = actor_from_info(info)
    return actor.is_staff or actor.fieldworker_id == root.pk


@strawberry_django.type(Fieldworker, name="Fieldworker", description="Someone who does the jobs.")
class FieldworkerNode(relay.Node):
    _id_attr = PK  # the model's primary key (skips a per-row annotation scan)
    name: str
    mobile: str
    industry_label: str
    services: list[ServiceNode]
    custom_fields = custom_fields_field("fieldworker")

    @strawberry_django.field(only=["status"], description="Staff and the fieldworker themself.")
    def status(self, info: Info) -> FieldworkerStatusEnum | None:
        actor = actor_from_info(info)
        if actor.is_staff or actor.fieldworker_id == self.pk:
            return self.status  # type: ignore[attr-defined, return-value]
        return None

    industry_labels: list[IndustryLabelNode]

    @strawberry_django.field(annotate={"rating_average_value": lambda info: rating_average_expression()},
                             description="The mean rating (1 to 5) of the reviews of the jobs they accepted; null "
                                         "without any. Staff and the fieldworker themself.")
    def rating_average(self, info: Info) -> float | None:
        if not _own_or_staff(self, info):
            return None
        value = getattr(self, "rating_average_value", _UNREAD)
        if value is _UNREAD:  # not read through the optimiser (a mutation's payload)
            value = Fieldworker.objects.annotate(v=rating_average_expression()).filter(pk=self.pk).values("v")[0]["v"]
        return round(float(value), 2) if value is not None else None

    @strawberry_django.field(annotate={"rating_count_value": lambda info: rating_count_expression()},
                             description="How many reviews of the jobs they accepted there are. Staff and the "
                                         "fieldworker themself.")
    def rating_count(self, info: Info) -> int | None:
        if not _own_or_staff(self, info):
            return None
        value = getattr(self, "rating_count_value", _UNREAD)
        if value is _UNREAD:
            value = Fieldworker.objects.annotate(v=rating_count_expression()).filter(pk=self.pk).values("v")[0]["v"]
        return int(value)

    @strawberry_django.field(only=["bio"], description="Staff and the fieldworker themself.")
    def bio(self, info: Info) -> str | None:
        return self.bio if _own_or_staff(self, info) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["address"], description="Staff and the fieldworker themself.")
    def address(self, info: Info) -> str | None:
        return self.address if _own_or_staff(self, info) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["emergency_contact"], description="Staff and the fieldworker themself.")
    def emergency_contact(self, info: Info) -> str | None:
        return self.emergency_contact if _own_or_staff(self, info) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["email_verified_at"], description="When their e-mail address was verified "
                                                                      "(staff and the fieldworker themself).")
    def email_verified_at(self, info: Info) -> datetime | None:
        return self.email_verified_at if _own_or_staff(self, info) else None  # type: ignore[attr-defined]

    @strawberry_django.field(only=["photo"], description="A link to their photo that works for a few minutes "
                                                          "(files are never public); null when none.")
    def photo_url(self) -> str | None:
        path = profile.photo_path(self)
        return f"{settings.FIELDOPS_PUBLIC_URL}{path}" if path else None

    lead: FieldworkerNode | None = strawberry_django.field(description="The lead of their team.")
    subworkers: list[FieldworkerNode] = strawberry_django.field(description="The team they lead.")

    @strawberry_django.field(only=["created_at"])
    def created_at(self) -> datetime:
        return self.created_at  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(pk__in=visible_fieldworkers(actor).values("pk"))

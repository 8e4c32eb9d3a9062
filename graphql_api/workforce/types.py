from __future__ import annotations

from datetime import datetime

import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.workforce.models import Fieldworker
from core.workforce.selectors import visible_fieldworkers

from ..catalog.types import ServiceNode
from ..context import actor_from_info
from ..enums import FieldworkerStatusEnum
from ..jobdata.types import custom_fields_field
from ..nodes import PK


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

    @strawberry_django.field(only=["created_at"])
    def created_at(self) -> datetime:
        return self.created_at  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(pk__in=visible_fieldworkers(actor).values("pk"))

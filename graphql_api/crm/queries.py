from collections.abc import Iterable

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry.types import Info

from core.crm.models import Customer
from core.crm.selectors import visible_customers
from core.jobdata.selectors import filter_by_values

from ..context import actor_from_info
from ..jobdata.types import CustomFieldFilter, conditions
from ..pagination import CappedConnection
from .types import CustomerNode


@strawberry.type
class CrmQuery:
    @strawberry_django.connection(CappedConnection[CustomerNode],
                                  description="Customers you may see, by name; `search` matches name or e-mail.")
    def customers(self, info: Info, search: str | None = None,
                  custom_fields: list[CustomFieldFilter] | None = None) -> Iterable[CustomerNode]:
        actor = actor_from_info(info)
        qs = Customer.objects.all()
        if not actor.is_staff:
            # a subquery, not the selector's DISTINCT join, so totalCount counts customers once
            qs = qs.filter(pk__in=visible_customers(actor).values("pk"))
        if search and search.strip():
            term = search.strip()[:100]
            qs = qs.filter(Q(name__icontains=term) | Q(email__icontains=term))
        if custom_fields:
            qs = filter_by_values(qs, actor, "customer", conditions(custom_fields), where="customFields")
        return qs.order_by("name", "id")  # type: ignore[return-value]

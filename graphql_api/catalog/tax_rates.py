"""The tax rate list (decisions 0870-0872): anyone signed in reads it; only staff change it. Services,
products and packages name a rate with ``taxRateId``; quote and invoice lines may too."""

from __future__ import annotations

from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.catalog import services
from core.catalog.selectors import tax_rates

from ..context import actor_from_info
from ..crm.leads import DeletedPayload
from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import UNSET, given, who
from .types import TaxRateNode


@strawberry.input
class CreateTaxRateInput:
    name: str
    percent: Decimal = strawberry.field(description="0 to 100.")
    active: bool = True
    position: int = strawberry.field(default=0, description="Lists show lower first, then by name.")
    is_default: bool = strawberry.field(default=False, description="Make it the default at once.")


@strawberry.input(description="Change only the fields you send. A new percent applies to what is priced from then "
                              "on; lines already on quotes and invoices keep theirs.")
class UpdateTaxRateInput:
    id: strawberry.ID
    name: str | None = UNSET
    percent: Decimal | None = UNSET
    active: bool | None = strawberry.field(default=UNSET, description="Inactive: kept where set, not chosen anew.")
    position: int | None = UNSET


@strawberry.type
class TaxRatePayload:
    tax_rate: TaxRateNode | None = None
    errors: list[UserError]


@strawberry.type
class TaxRatesQuery:
    @strawberry_django.field(description="The tax rate list, by position then name (empty for visitors).")
    def tax_rates(self, info: Info, active_only: bool = False) -> list[TaxRateNode]:
        return list(tax_rates(actor_from_info(info), active_only=active_only))  # type: ignore[arg-type]


@strawberry.type
class TaxRatesMutation:
    @strawberry_django.mutation(description="Add a tax rate (staff).")
    def create_tax_rate(self, info: Info, input: CreateTaxRateInput) -> TaxRatePayload:
        return attempt(TaxRatePayload, "tax_rate", lambda: services.tax_rate_create(
            **who(info), name=input.name, percent=input.percent, active=input.active, position=input.position,
            is_default=input.is_default))

    @strawberry_django.mutation(description="Rename, re-rate, reorder or (de)activate a tax rate (staff).")
    def update_tax_rate(self, info: Info, input: UpdateTaxRateInput) -> TaxRatePayload:
        def work():
            changes = given(name=input.name, percent=input.percent, active=input.active, position=input.position)
            if changes.get("name", "") is None:
                changes["name"] = ""  # the service refuses an empty name
            return services.tax_rate_update(**who(info), tax_rate_id=decode_id(input.id, "TaxRate"), **changes)

        return attempt(TaxRatePayload, "tax_rate", work)

    @strawberry_django.mutation(description="Remove a tax rate nothing names (staff); one in use: deactivate it.")
    def delete_tax_rate(self, info: Info, id: strawberry.ID) -> DeletedPayload:
        def work():
            services.tax_rate_delete(**who(info), tax_rate_id=decode_id(id, "TaxRate"))
            return id

        return attempt(DeletedPayload, "deleted_id", work)

    @strawberry_django.mutation(description="Make a tax rate the default: the rate of every item naming none.")
    def set_default_tax_rate(self, info: Info, id: strawberry.ID) -> TaxRatePayload:
        return attempt(TaxRatePayload, "tax_rate", lambda: services.tax_rate_set_default(
            **who(info), tax_rate_id=decode_id(id, "TaxRate")))

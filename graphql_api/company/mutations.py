from decimal import Decimal

import strawberry
import strawberry_django
from strawberry.types import Info

from core.company import services
from core.company.selectors import get_company

from ..enums import FeeTypeEnum, TaxModeEnum
from ..errors import UserError, attempt
from ..payloads import UNSET, given, who
from .types import CompanySettings


@strawberry.input(description="Change only the settings you send.")
class UpdateCompanySettingsInput:
    name: str | None = UNSET
    time_zone: str | None = UNSET
    currency: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    website: str | None = UNSET
    address: str | None = UNSET
    customers_may_cancel: bool | None = UNSET
    customers_may_reschedule: bool | None = UNSET
    cancellation_fee_type: FeeTypeEnum | None = UNSET
    cancellation_fee_amount: Decimal | None = UNSET
    cancellation_notice_hours: int | None = UNSET
    reschedule_notice_hours: int | None = UNSET
    fieldworkers_may_decline: bool | None = UNSET
    fieldworkers_may_cancel: bool | None = UNSET
    tax_mode: TaxModeEnum | None = UNSET
    review_requests_enabled: bool | None = UNSET
    review_request_delay_minutes: int | None = UNSET
    review_public_url: str | None = UNSET
    review_public_min_rating: int | None = UNSET


@strawberry.type
class CompanySettingsPayload:
    settings: CompanySettings | None = None
    errors: list[UserError]


def _changes(data: UpdateCompanySettingsInput) -> dict:
    changes = given(**{name: getattr(data, name) for name in UpdateCompanySettingsInput.__annotations__})
    out = {}
    for key, value in changes.items():
        if value is None:
            continue  # settings are never null; null means "leave as is"
        out[key] = value.value if hasattr(value, "value") and key in ("cancellation_fee_type", "tax_mode") else value
    return out


@strawberry.type
class CompanyMutation:
    @strawberry_django.mutation(description="Update company settings (staff only).")
    def update_company_settings(self, info: Info, input: UpdateCompanySettingsInput
                                ) -> CompanySettingsPayload:
        def work():
            services.company_update(**who(info), **_changes(input))
            return get_company()  # re-read: stored values as the database normalised them

        return attempt(CompanySettingsPayload, "settings", work)

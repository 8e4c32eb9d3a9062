import strawberry
import strawberry_django
from strawberry.types import Info

from core.company.selectors import get_company

from ..permissions import require_authenticated, require_staff
from .types import CompanyInfo, CompanySettings


@strawberry.type
class CompanyQuery:
    @strawberry_django.field(description="The business's name and contact details.")
    def company(self, info: Info) -> CompanyInfo:
        require_authenticated(info)
        return get_company()  # type: ignore[return-value]

    @strawberry_django.field(description="All company settings (staff only).")
    def company_settings(self, info: Info) -> CompanySettings:
        require_staff(info)
        return get_company()  # type: ignore[return-value]

from __future__ import annotations

from decimal import Decimal

import strawberry_django

from core.company.models import Company

from ..enums import FeeTypeEnum, TaxModeEnum


@strawberry_django.type(Company, name="Company", description="The business: what anyone signed in may read.")
class CompanyInfo:
    name: str
    time_zone: str
    currency: str
    email: str
    phone: str
    website: str
    address: str


@strawberry_django.type(Company, name="CompanySettings", description="The business's settings (staff only).")
class CompanySettings(CompanyInfo):
    booking_number_start: int
    customers_may_cancel: bool = strawberry_django.field(
        description="Allow customers to cancel bookings through the customer portal and email links.")
    customers_may_reschedule: bool = strawberry_django.field(
        description="Allow customers to move bookings to a free time, up to rescheduleNoticeHours before the start.")
    cancellation_fee_type: FeeTypeEnum
    cancellation_fee_amount: Decimal
    cancellation_notice_hours: int
    reschedule_notice_hours: int = strawberry_django.field(
        description="Customers may move a booking until this many hours before it starts.")
    review_requests_enabled: bool = strawberry_django.field(
        description="Ask customers for a review after a completed job (decision 0630).")
    review_request_delay_minutes: int = strawberry_django.field(
        description="How long after the completion the review request goes (0 to 10080).")
    review_public_url: str = strawberry_django.field(
        description="The public review page offered after a good rating (a trading name's own comes first).")
    review_public_min_rating: int = strawberry_django.field(
        description="From this rating (1 to 5) the public review page is offered.")
    fieldworkers_may_decline: bool
    fieldworkers_may_cancel: bool
    tax_mode: TaxModeEnum = strawberry_django.field(
        description="Whether catalogue and line prices include tax; a line keeps the mode it was priced in.")

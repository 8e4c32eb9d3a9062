from __future__ import annotations

from datetime import datetime

import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.company.models import Label, TermsVersion, TradingName
from core.company.selectors import terms_in_force

from ..context import actor_from_info
from ..nodes import PK


def _staff_only(queryset, info: Info):
    return queryset if actor_from_info(info).is_staff else queryset.none()


@strawberry_django.type(TermsVersion, name="TermsVersion",
                        description="One version of a trading name's terms and conditions; never changed.")
class TermsVersionNode(relay.Node):
    _id_attr = PK
    version: int
    text: str
    in_force_from: datetime = strawberry_django.field(description="In force from then until the next version starts.")
    created_at: datetime

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _staff_only(queryset, info)


@strawberry_django.type(TradingName, name="TradingName",
                        description="A name the business trades under (staff only): branding, contact, number "
                                    "prefixes and terms.")
class TradingNameNode(relay.Node):
    _id_attr = PK
    name: str
    is_default: bool
    email: str
    phone: str
    website: str
    review_url: str = strawberry_django.field(
        description="This brand's public review page, offered after a good rating of a job quoted under it; blank: "
                    "the company's.")
    address: str
    tax_number: str
    sender_name: str = strawberry_django.field(description="SMS sender id and e-mail display name (blank: the name).")
    quote_prefix: str
    invoice_prefix: str
    number_start: int = strawberry_django.field(description="First number of a new sequence; raising it moves "
                                                            "the sequences forward.")
    active: bool
    created_at: datetime
    terms_versions: list[TermsVersionNode] = strawberry_django.field(description="Newest first.")

    @strawberry_django.field(only=["logo"], description="Whether a logo is stored.")
    def has_logo(self) -> bool:
        return bool(self.logo)  # type: ignore[attr-defined]

    @strawberry_django.field(description="The version printed on documents made now, if any.")
    def terms_in_force(self) -> TermsVersionNode | None:
        return terms_in_force(self)  # type: ignore[arg-type, return-value]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _staff_only(queryset, info)


@strawberry_django.type(Label, name="Label", description="An entry of the managed label list (staff only).")
class LabelNode(relay.Node):
    _id_attr = PK
    name: str
    colour: str = strawberry_django.field(description="#rrggbb")
    active: bool
    created_at: datetime

    @strawberry_django.field(only=["applies_to"],
                             description="Kinds it may tag: quote, invoice, booking, customer, inquiry.")
    def applies_to(self) -> list[str]:
        return list(self.applies_to or [])  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return _staff_only(queryset, info)

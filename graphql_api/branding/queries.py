import strawberry
import strawberry_django

from ..pagination import CappedConnection
from .types import LabelNode, TradingNameNode


@strawberry.type
class BrandingQuery:
    trading_names: CappedConnection[TradingNameNode] = strawberry_django.connection(
        description="The business's trading names, by name (staff only; empty for others).")
    labels: CappedConnection[LabelNode] = strawberry_django.connection(
        description="The managed label list, by name (staff only; empty for others).")

import strawberry
import strawberry_django

from ..pagination import CappedConnection
from .types import ServiceCategoryNode, ServiceNode


@strawberry.type
class CatalogQuery:
    services: CappedConnection[ServiceNode] = strawberry_django.connection(
        description="Services on offer (staff also see inactive ones).")
    service_categories: list[ServiceCategoryNode] = strawberry_django.field()

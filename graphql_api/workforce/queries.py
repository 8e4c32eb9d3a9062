import strawberry
import strawberry_django

from ..pagination import CappedConnection
from .types import FieldworkerNode


@strawberry.type
class WorkforceQuery:
    fieldworkers: CappedConnection[FieldworkerNode] = strawberry_django.connection(
        description="Staff see all; a fieldworker themself; a customer the people on their jobs.")

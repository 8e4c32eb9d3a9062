import strawberry
import strawberry_django
from strawberry import relay


@strawberry.type
class NodeQuery:
    node: relay.Node | None = strawberry_django.node(
        description="Any object by its global id; null when it does not exist or is not yours to see.")

# Every node's id is its model's primary key. Naming it on each type (``_id_attr = PK``) spares
# strawberry a scan of the class annotations for a ``NodeID`` on every id it renders, which
# otherwise costs more than the rest of a bookings page together.
PK = "pk"

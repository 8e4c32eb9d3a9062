from typing import Any

import strawberry
from strawberry import relay
from strawberry.types.cast import cast as strawberry_cast

from core.errors import ValidationFailed

from .ids import decode_id


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it does not exist or is not yours to "
                                  "see. A malformed id is an `invalid_id` error.")
    def node(self, info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
        # What strawberry's node field does, after the id is checked as every input id is: a
        # primary key of digits (``Booking:1e3`` is refused here, not by the database driver).
        try:
            type_name = relay.GlobalID.from_id(id).type_name
            node_type: Any = relay.GlobalID(type_name, "0").resolve_type(info)
        except Exception:
            raise ValidationFailed("id", "Not a valid id.", code="invalid_id")
        pk = decode_id(id, type_name)
        found = node_type.resolve_node(str(pk), info=info, required=False)
        return None if found is None else strawberry_cast(node_type, found)

# Every node's id is its model's primary key. Naming it on each type (``_id_attr = PK``) spares
# strawberry a scan of the class annotations for a ``NodeID`` on every id it renders, which
# otherwise costs more than the rest of a bookings page together.
PK = "pk"

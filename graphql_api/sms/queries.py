from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info

from core.sms.selectors import sms_history

from ..ids import decode_optional
from ..pagination import CappedConnection
from ..permissions import require_staff
from .types import SmsMessageNode


@strawberry.type
class SmsQuery:
    @strawberry_django.connection(
        CappedConnection[SmsMessageNode],
        description="SMS history, oldest first (staff): a customer's, a booking's, or both filters at once; "
                    "`status` (e.g. `failed`) narrows it.")
    def sms_history(self, info: Info, customer_id: strawberry.ID | None = None,
                    booking_id: strawberry.ID | None = None, status: str | None = None) -> Iterable[SmsMessageNode]:
        actor = require_staff(info)
        return sms_history(  # type: ignore[return-value]
            actor, customer_id=decode_optional(customer_id, "Customer", "customerId"),
            booking_id=decode_optional(booking_id, "Booking", "bookingId"), status=status)

from __future__ import annotations

from datetime import datetime

import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.sms.models import SmsMessage
from core.sms.selectors import visible_sms

from ..bookings.types import BookingNode
from ..context import actor_from_info
from ..crm.types import CustomerNode


@strawberry_django.type(SmsMessage, name="SmsMessage",
                        description="One text message to or from a customer (staff only).")
class SmsMessageNode(relay.Node):
    direction: str = strawberry_django.field(description="`in` (from the customer) or `out` (to the customer).")
    kind: str = strawberry_django.field(
        description="inbound, reply, confirmation, reminder, cancellation or manual.")
    from_number: str
    to_number: str
    body: str
    status: str = strawberry_django.field(description="Delivery status; only ever moves forward.")
    error_code: int | None = strawberry_django.field(description="The provider's error code (21610: opted out).")
    error_message: str = strawberry_django.field(description="Why it failed, or why it was not sent.")
    permanent_failure: bool
    attempts: int = strawberry_django.field(description="Outbound: sending attempts so far.")
    next_attempt_at: datetime | None = strawberry_django.field(
        description="Outbound, after a transient failure: when it is tried again (null: not waiting).")
    intent: str = strawberry_django.field(description="Inbound: what the message was read as.")
    created_at: datetime
    updated_at: datetime
    customer: CustomerNode | None
    booking: BookingNode | None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        # core.sms.selectors.visible_sms, applied to the optimizer's queryset
        return queryset.filter(pk__in=visible_sms(actor_from_info(info)).values("pk"))

import strawberry
import strawberry_django
from strawberry.relay import GlobalID
from strawberry.types import Info

from core.bookings import services as booking_services
from core.crm import services as crm_services
from core.errors import DomainError, ValidationFailed

from ..bookings.types import BookingNode
from ..crm.types import CustomerNode
from ..errors import UserError, attempt, user_errors
from ..ids import decode_id
from ..payloads import who
from .types import SmsMessageNode


@strawberry.input(description="Pause (true) or resume (false) automated SMS for a booking or a customer.")
class SetAutomatedSmsInput:
    id: strawberry.ID = strawberry.field(description="A Booking id or a Customer id.")
    paused: bool


@strawberry.type
class SetAutomatedSmsPayload:
    booking: BookingNode | None = None
    customer: CustomerNode | None = None
    errors: list[UserError]


def _kind(value: str) -> str:
    try:
        return GlobalID.from_id(value).type_name
    except Exception:
        raise ValidationFailed("id", "Not a valid Booking or Customer id.", code="invalid_id")


@strawberry.type
class SmsMessagePayload:
    sms_message: SmsMessageNode | None = None
    errors: list[UserError]


@strawberry.type
class SmsMutation:
    @strawberry_django.mutation(description="Send a failed (or lost) automated text again (staff).")
    def retry_sms(self, info: Info, id: strawberry.ID) -> SmsMessagePayload:
        from core.sms import services as sms_services

        def work():
            message = sms_services.sms_retry(**who(info), message_id=decode_id(id, "SmsMessage"))
            message.refresh_from_db()  # a task run on commit may have sent it already
            return message

        return attempt(SmsMessagePayload, "sms_message", work)

    @strawberry_django.mutation(description="Pause or resume the confirmation, reminder and cancellation texts "
                                            "for one booking or for everything of one customer (staff).")
    def set_automated_sms(self, info: Info, input: SetAutomatedSmsInput) -> SetAutomatedSmsPayload:
        try:
            if not isinstance(input.id, str) or len(input.id) > 200:
                raise ValidationFailed("id", "Not a valid Booking or Customer id.", code="invalid_id")
            if _kind(input.id) == "Customer":
                customer = crm_services.customer_set_automation(
                    **who(info), customer_id=decode_id(input.id, "Customer"), sms_paused=input.paused)
                return SetAutomatedSmsPayload(customer=customer, errors=[])
            booking = booking_services.booking_set_automation(
                **who(info), booking_id=decode_id(input.id, "Booking"), sms_paused=input.paused)
            return SetAutomatedSmsPayload(booking=booking, errors=[])
        except DomainError as exc:
            return SetAutomatedSmsPayload(errors=user_errors(exc))

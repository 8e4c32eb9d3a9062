"""GraphQL enums mirroring the domain's choices (names UPPER_CASE, values the stored strings)."""

from __future__ import annotations

from enum import Enum

import strawberry
from django.db import models

from core.accounts.models import Role
from core.actors import ActorKind, Channel
from core.bookings.models import AssignmentStatus, BookingSource, BookingStatus
from core.catalog.models import AdjustmentKind, TierKind, ZoneKind
from core.company.models import FeeType, TaxMode
from core.crm.models import DeliveryStatus as ReplyDeliveryStatus
from core.crm.models import InquiryAction, InquiryKind, InquiryStatus, LeadSourceDoor, LeadStatus, PreferredChannel
from core.outreach.models import EmailDomainStatus, ServiceReminderStatus
from core.reviews.models import ReviewRequestStatus
from core.sms.models import DeliveryChannel, DeliveryStatus
from core.workforce.models import FieldworkerStatus


def _mirror(choices: type[models.TextChoices], name: str, description: str) -> type[Enum]:
    enum = Enum(name, {member.name: member.value for member in choices}, type=str)  # type: ignore[misc]
    return strawberry.enum(enum, name=name, description=description)


BookingStatusEnum = _mirror(BookingStatus, "BookingStatus", "Where a booking is in its life.")
AssignmentStatusEnum = _mirror(AssignmentStatus, "AssignmentStatus", "A fieldworker's answer to an offer.")
BookingSourceEnum = _mirror(BookingSource, "BookingSource", "How a booking came in.")
FieldworkerStatusEnum = _mirror(FieldworkerStatus, "FieldworkerStatus", "Whether a fieldworker can take jobs.")
FeeTypeEnum = _mirror(FeeType, "CancellationFeeType", "How the cancellation fee is computed.")
TaxModeEnum = _mirror(TaxMode, "TaxMode", "Whether prices include tax or have it added.")
TierKindEnum = _mirror(TierKind, "VolumeTierKind", "How a volume tier changes the price.")
ZoneKindEnum = _mirror(ZoneKind, "PriceZoneKind", "How a price zone is drawn.")
AdjustmentKindEnum = _mirror(AdjustmentKind, "PriceAdjustmentKind", "How a price zone changes the price.")
RoleEnum = _mirror(Role, "Role", "What a user account is for.")
ChannelEnum = _mirror(Channel, "Channel", "Through what a change was made.")
ActorKindEnum = _mirror(ActorKind, "ActorKind", "Who made a change.")
InquiryKindEnum = _mirror(InquiryKind, "InquiryKind", "What an inquiry asks for.")
InquiryStatusEnum = _mirror(InquiryStatus, "InquiryStatus", "Whether an inquiry still needs an answer.")
LeadStatusEnum = _mirror(LeadStatus, "LeadStatus", "How far an inquiry has come as a lead: NEW -> CONTACTED -> "
                                                 "QUOTED -> CONVERTED | LOST.")
LeadSourceDoorEnum = _mirror(LeadSourceDoor, "LeadSourceDoor", "A door that files inquiries with its own lead source.")
InquiryActionEnum = _mirror(InquiryAction, "InquiryAction", "What happened to an inquiry.")
ReplyDeliveryStatusEnum = _mirror(ReplyDeliveryStatus, "ReplyDeliveryStatus",
                                  "What became of a reply when it was sent.")
ServiceReminderStatusEnum = _mirror(ServiceReminderStatus, "ServiceReminderStatus",
                                    "What became of a reminder to book a service again.")
EmailDomainStatusEnum = _mirror(EmailDomainStatus, "EmailDomainStatus",
                                "A sending domain: waiting for its DNS records, verified (mail from it is signed), "
                                "or failing (a record went missing: mail leaves unsigned from the default address).")
ReviewRequestStatusEnum = _mirror(ReviewRequestStatus, "ReviewRequestStatus",
                                  "What became of a request for a review after a completed job.")
DeliveryChannelEnum = _mirror(DeliveryChannel, "DeliveryChannel", "How a message went to the customer.")
PreferredChannelEnum = _mirror(PreferredChannel, "PreferredChannel",
                               "How a customer asked to be reached. NONE: no preference (the channel they last "
                               "wrote through comes first). The other channel is the fallback.")
DeliveryStatusEnum = _mirror(DeliveryStatus, "DeliveryStatus",
                             "What became of a discussion message sent to the customer.")


@strawberry.enum(description="Sort direction.")
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"

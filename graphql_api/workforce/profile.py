"""Fieldworker profiles over GraphQL (issue 20): profile edits and photo, the industry label list,
teams, saved lists, the booking summary, the activity log, bank details, messages and their logs,
and the jobs to reassign."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import DomainError, NotFound
from core.workforce import bank, messaging, profile
from core.workforce.models import FieldworkerLog, FieldworkerMessage, SavedFieldworkerList
from core.workforce.selectors import bookings_to_reassign, visible_fieldworkers

from ..bookings.types import BookingNode
from ..context import actor_from_info
from ..errors import UserError, attempt, user_errors
from ..ids import decode_id, decode_many, decode_optional
from ..nodes import PK
from ..pagination import CappedConnection
from ..payloads import UNSET, given, who
from ..permissions import require_staff
from ..scheduling.types import ChangeRequestNode
from .types import FieldworkerNode, IndustryLabelNode


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- types ----------------------------------------------------------------------------------------


@strawberry_django.type(FieldworkerLog, name="FieldworkerLogEntry",
                        description="One entry of a fieldworker's activity log: what, who, through what.")
class FieldworkerLogEntryNode(relay.Node):
    _id_attr = PK
    at: datetime
    action: str
    actor_kind: str
    channel: str
    data: JSON

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(fieldworker_id=actor.fieldworker_id) if actor.is_fieldworker else queryset.none()


@strawberry.enum(name="MessageMedium")
class MessageMediumEnum(Enum):
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"


@strawberry_django.type(FieldworkerMessage, name="FieldworkerMessage",
                        description="A message to a fieldworker and how its delivery went.")
class FieldworkerMessageNode(relay.Node):
    _id_attr = PK
    inbound: bool = strawberry_django.field(description="From the fieldworker (an SMS they sent us).")
    kind: str = strawberry_django.field(description="verification, message (from staff) or received.")
    subject: str
    body: str
    to: str
    status: str = strawberry_django.field(description="queued, sending, sent, delivered (an SMS the carrier "
                                                      "confirmed), failed, skipped; received when inbound. A "
                                                      "failed one can be sent again: retryFieldworkerMessage.")
    error: str
    attempts: int = strawberry_django.field(description="Attempts made to send it so far.")
    next_attempt_at: datetime | None = strawberry_django.field(description="Queued again after a transient "
                                                                           "failure: tried then.")
    created_at: datetime
    sent_at: datetime | None
    booking: BookingNode | None

    @strawberry_django.field(only=["medium"])
    def medium(self) -> MessageMediumEnum:
        return MessageMediumEnum(self.medium)  # type: ignore[attr-defined]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        if actor.is_staff:
            return queryset
        return queryset.filter(fieldworker_id=actor.fieldworker_id) if actor.is_fieldworker else queryset.none()


@strawberry_django.type(SavedFieldworkerList, name="FieldworkerList",
                        description="A named filter of fieldworkers staff reuse (staff only).")
class FieldworkerListNode(relay.Node):
    _id_attr = PK
    name: str
    filters: JSON
    created_at: datetime

    @strawberry_django.connection(CappedConnection[FieldworkerNode], description="Who the filter holds now.")
    def members(self) -> Iterable[FieldworkerNode]:
        return profile.saved_list_members(self)  # type: ignore[arg-type, return-value]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset if actor_from_info(info).is_staff else queryset.none()


@strawberry.type(description="Completed jobs in a period: how many, hours, revenue (their share of each "
                             "job's line totals) and their pay for those jobs (computed shares and adjustments).")
class BookingSummary:
    start: date
    end: date
    jobs: int
    hours: Decimal
    revenue: Decimal
    pay: Decimal | None


@strawberry.type(description="Bank details: in the clear only for staff with the permission (each such read "
                             "is logged); masked (`masked` true, only the last four digits) for everyone else.")
class BankDetails:
    masked: bool
    account_name: str
    bank_name: str
    branch_code: str
    account_number: str
    updated_at: datetime


def _bank(view: bank.BankView | None) -> BankDetails | None:
    if view is None:
        return None
    return BankDetails(masked=view.masked, account_name=view.account_name, bank_name=view.bank_name,
                       branch_code=view.branch_code, account_number=view.account_number,
                       updated_at=view.updated_at)  # type: ignore[arg-type]


# --- inputs and payloads --------------------------------------------------------------------------


@strawberry.input(description="Change only the fields you send. A fieldworker may send name, mobile, bio, "
                              "address, emergencyContact, industryLabelIds and serviceIds for themself; staff "
                              "also email (a new address is verified by link).")
class UpdateFieldworkerProfileInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    mobile: str | None = UNSET
    bio: str | None = UNSET
    address: str | None = UNSET
    emergency_contact: str | None = UNSET
    industry_label_ids: list[strawberry.ID] | None = UNSET
    service_ids: list[strawberry.ID] | None = UNSET


@strawberry.type(description="applied: changed now; otherwise `changeRequest` waits for staff.")
class FieldworkerProfilePayload:
    applied: bool = False
    fieldworker: FieldworkerNode | None = None
    change_request: ChangeRequestNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FieldworkerOnlyPayload:
    fieldworker: FieldworkerNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IndustryLabelPayload:
    industry_label: IndustryLabelNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FieldworkerListPayload:
    fieldworker_list: FieldworkerListNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletedIdPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BankDetailsPayload:
    bank_details: BankDetails | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FieldworkerMessagesPayload:
    messages: list[FieldworkerMessageNode] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FieldworkerMessagePayload:
    message: FieldworkerMessageNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProfileSettingsType:
    profile_edits_need_approval: bool


@strawberry.type
class ProfileSettingsPayload:
    settings: ProfileSettingsType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="All the filters given must hold.")
class FieldworkerFilterInput:
    status: str | None = None
    service_ids: list[strawberry.ID] | None = None
    industry_label_ids: list[strawberry.ID] | None = None
    area_ids: list[strawberry.ID] | None = None
    search: str | None = None


@strawberry.input
class SaveFieldworkerListInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Omit to create a new list.")
    name: str
    filters: FieldworkerFilterInput


@strawberry.input
class SetBankDetailsInput:
    fieldworker_id: strawberry.ID
    account_name: str
    bank_name: str
    branch_code: str
    account_number: str


@strawberry.input(description="To one fieldworker (fieldworkerId) or a saved list (savedListId).")
class SendFieldworkerMessageInput:
    medium: MessageMediumEnum
    body: str
    subject: str = ""
    fieldworker_id: strawberry.ID | None = None
    saved_list_id: strawberry.ID | None = None
    booking_id: strawberry.ID | None = None


@strawberry.input(description="Change only the fields you send.")
class UpdateIndustryLabelInput:
    id: strawberry.ID
    name: str | None = UNSET
    active: bool | None = UNSET
    position: int | None = UNSET


def _filters(data: FieldworkerFilterInput) -> dict:
    out: dict = {}
    if data.status:
        out["status"] = data.status
    if data.search:
        out["search"] = data.search
    for key, type_name in (("service_ids", "Service"), ("industry_label_ids", "IndustryLabel"),
                           ("area_ids", "ServiceArea")):
        values = getattr(data, key)
        if values:
            out[key] = decode_many(values, type_name, _camel(key))
    return out


def _profile_update(info: Info, data: UpdateFieldworkerProfileInput) -> FieldworkerProfilePayload:
    changes = given(name=data.name, email=data.email, mobile=data.mobile, bio=data.bio, address=data.address,
                    emergency_contact=data.emergency_contact)
    changes = {key: ("" if value is None else value) for key, value in changes.items()}
    if data.industry_label_ids is not UNSET:
        changes["industry_label_ids"] = decode_many(data.industry_label_ids or [], "IndustryLabel",
                                                    "industryLabelIds")
    if data.service_ids is not UNSET:
        changes["service_ids"] = decode_many(data.service_ids or [], "Service", "serviceIds")
    result = profile.fieldworker_profile_update(**who(info), fieldworker_id=decode_id(data.id, "Fieldworker"),
                                                **changes)
    return FieldworkerProfilePayload(applied=result.applied, fieldworker=result.fieldworker,  # type: ignore[arg-type]
                                     change_request=result.change_request)


def _attempt_profile(info: Info, data: UpdateFieldworkerProfileInput) -> FieldworkerProfilePayload:
    try:
        return _profile_update(info, data)
    except DomainError as exc:
        return FieldworkerProfilePayload(errors=user_errors(exc))


# --- queries --------------------------------------------------------------------------------------


@strawberry.type
class ProfileQuery:
    @strawberry_django.connection(CappedConnection[FieldworkerLogEntryNode],
                                  description="A fieldworker's activity log, newest first (staff; a fieldworker "
                                              "their own; empty for anyone else).")
    def fieldworker_log(self, info: Info, fieldworker_id: strawberry.ID) -> Iterable[FieldworkerLogEntryNode]:
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        actor = actor_from_info(info)
        qs = FieldworkerLog.objects.filter(fieldworker_id=pk)
        if not (actor.is_staff or actor.fieldworker_id == pk):
            qs = qs.none()
        return qs.order_by("-at", "-id")  # type: ignore[return-value]

    @strawberry_django.connection(CappedConnection[FieldworkerMessageNode],
                                  description="A fieldworker's e-mail, SMS or chat log, newest first (staff; a "
                                              "fieldworker their own; empty for anyone else).")
    def fieldworker_messages(self, info: Info, fieldworker_id: strawberry.ID,
                             medium: MessageMediumEnum | None = None,
                             status: str | None = strawberry.UNSET) -> Iterable[FieldworkerMessageNode]:
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        actor = actor_from_info(info)
        qs = FieldworkerMessage.objects.filter(fieldworker_id=pk)
        if medium is not None:
            qs = qs.filter(medium=medium.value)
        if status:
            qs = qs.filter(status=status)  # e.g. "failed": what needs a retry
        if not (actor.is_staff or actor.fieldworker_id == pk):
            qs = qs.none()
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry_django.field(description="Completed jobs from start to end (inclusive, company days, at most a "
                                         "year); null for a fieldworker you may not see this of.")
    def fieldworker_booking_summary(self, info: Info, fieldworker_id: strawberry.ID, start: date,
                                    end: date) -> BookingSummary | None:
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        try:
            s = profile.booking_summary(actor=actor_from_info(info), fieldworker_id=pk, start=start, end=end)
        except NotFound:
            return None
        return BookingSummary(start=s.start, end=s.end, jobs=s.jobs, hours=s.hours, revenue=s.revenue, pay=s.pay)

    @strawberry_django.field(description="A fieldworker's bank details: masked unless you are staff with the "
                                         "permission to read them (each clear read is logged); null when none are "
                                         "stored or the fieldworker is not yours to see.")
    def fieldworker_bank_details(self, info: Info, fieldworker_id: strawberry.ID) -> BankDetails | None:
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        try:
            return _bank(bank.bank_details_read(**who(info), fieldworker_id=pk))
        except NotFound:
            return None

    @strawberry_django.field(description="A blocked or inactive fieldworker's open bookings from now on, to "
                                         "reassign (staff; empty for others).")
    def bookings_to_reassign(self, info: Info, fieldworker_id: strawberry.ID) -> list[BookingNode]:
        pk = decode_id(fieldworker_id, "Fieldworker", "fieldworkerId")
        if not actor_from_info(info).is_staff:
            return []
        return list(bookings_to_reassign(pk))  # type: ignore[arg-type]

    @strawberry_django.field(description="The industry label list, by position then name.")
    def industry_labels(self, info: Info, active_only: bool = False) -> list[IndustryLabelNode]:
        from core.workforce.models import IndustryLabel

        actor = actor_from_info(info)
        if not actor.is_authenticated:
            return []
        qs = IndustryLabel.objects.all()
        return list(qs.filter(active=True) if active_only else qs)  # type: ignore[arg-type]

    @strawberry_django.field(description="Saved fieldworker lists (staff).")
    def fieldworker_lists(self, info: Info) -> list[FieldworkerListNode]:
        require_staff(info)
        return list(SavedFieldworkerList.objects.all())  # type: ignore[arg-type]

    @strawberry_django.field(description="Whether fieldworkers' own profile edits wait for approval (staff).")
    def fieldworker_profile_settings(self, info: Info) -> ProfileSettingsType:
        require_staff(info)
        return ProfileSettingsType(profile_edits_need_approval=profile.profile_settings().profile_edits_need_approval)

    @strawberry_django.field(description="Fieldworkers matching a filter (staff; the same filter a saved list "
                                         "keeps).")
    def filter_fieldworkers(self, info: Info, filter: FieldworkerFilterInput) -> list[FieldworkerNode]:
        actor = require_staff(info)
        from core.workforce.profile import _clean_filters

        cleaned = _clean_filters(_filters(filter))
        return list(profile.filter_fieldworkers(visible_fieldworkers(actor), cleaned)[:500])  # type: ignore


# --- mutations ------------------------------------------------------------------------------------


@strawberry.type
class ProfileMutation:
    @strawberry_django.mutation(description="Edit a fieldworker's profile: staff at once; a fieldworker their own, "
                                            "at once or as a change request, as the company's setting says.")
    def update_fieldworker_profile(self, info: Info, input: UpdateFieldworkerProfileInput
                                   ) -> FieldworkerProfilePayload:
        return _attempt_profile(info, input)

    @strawberry_django.mutation(description="Set (a PNG, JPEG or WebP upload) or remove (photo null) a "
                                            "fieldworker's photo: staff, or the fieldworker themself.")
    def set_fieldworker_photo(self, info: Info, fieldworker_id: strawberry.ID,
                              photo: Upload | None = None) -> FieldworkerOnlyPayload:
        return attempt(FieldworkerOnlyPayload, "fieldworker", lambda: profile.fieldworker_set_photo(
            **who(info), fieldworker_id=decode_id(fieldworker_id, "Fieldworker", "fieldworkerId"), photo=photo))

    @strawberry_django.mutation(description="Put a fieldworker in a lead's team, or take them out (leadId null; "
                                            "staff). The lead may accept offers for the team.")
    def set_fieldworker_lead(self, info: Info, fieldworker_id: strawberry.ID,
                             lead_id: strawberry.ID | None = None) -> FieldworkerOnlyPayload:
        return attempt(FieldworkerOnlyPayload, "fieldworker", lambda: profile.fieldworker_set_lead(
            **who(info), fieldworker_id=decode_id(fieldworker_id, "Fieldworker", "fieldworkerId"),
            lead_id=decode_optional(lead_id, "Fieldworker", "leadId")))

    @strawberry_django.mutation(description="Add an industry label (staff); an existing name returns that entry.")
    def create_industry_label(self, info: Info, name: str, active: bool = True, position: int = 0
                              ) -> IndustryLabelPayload:
        return attempt(IndustryLabelPayload, "industry_label", lambda: profile.industry_label_create(
            **who(info), name=name, active=active, position=position))

    @strawberry_django.mutation(description="Rename, reorder or (de)activate an industry label (staff).")
    def update_industry_label(self, info: Info, input: UpdateIndustryLabelInput) -> IndustryLabelPayload:
        changes = given(name=input.name, active=input.active, position=input.position)
        if changes.get("name", "") is None:
            changes["name"] = ""
        return attempt(IndustryLabelPayload, "industry_label", lambda: profile.industry_label_update(
            **who(info), industry_label_id=decode_id(input.id, "IndustryLabel"), **changes))

    @strawberry_django.mutation(description="Remove an unused industry label (staff); one in use: deactivate it.")
    def delete_industry_label(self, info: Info, id: strawberry.ID) -> DeletedIdPayload:
        def run():
            profile.industry_label_delete(**who(info), industry_label_id=decode_id(id, "IndustryLabel"))
            return id

        return attempt(DeletedIdPayload, "deleted_id", run)

    @strawberry_django.mutation(description="Create or replace a saved fieldworker list (staff).")
    def save_fieldworker_list(self, info: Info, input: SaveFieldworkerListInput) -> FieldworkerListPayload:
        return attempt(FieldworkerListPayload, "fieldworker_list", lambda: profile.saved_list_save(
            **who(info), name=input.name, filters=_filters(input.filters),
            list_id=decode_optional(input.id, "FieldworkerList", "id")))

    @strawberry_django.mutation(description="Delete a saved fieldworker list (staff).")
    def delete_fieldworker_list(self, info: Info, id: strawberry.ID) -> DeletedIdPayload:
        def run():
            profile.saved_list_delete(**who(info), list_id=decode_id(id, "FieldworkerList"))
            return id

        return attempt(DeletedIdPayload, "deleted_id", run)

    @strawberry_django.mutation(description="Whether fieldworkers' own profile edits wait for approval (staff).")
    def update_fieldworker_profile_settings(self, info: Info, profile_edits_need_approval: bool
                                            ) -> ProfileSettingsPayload:
        def run():
            row = profile.profile_settings_update(**who(info), profile_edits_need_approval=profile_edits_need_approval)
            return ProfileSettingsType(profile_edits_need_approval=row.profile_edits_need_approval)

        return attempt(ProfileSettingsPayload, "settings", run)

    @strawberry_django.mutation(description="Store a fieldworker's bank details, encrypted (staff, or the "
                                            "fieldworker themself); the answer is masked unless you may read them.")
    def set_bank_details(self, info: Info, input: SetBankDetailsInput) -> BankDetailsPayload:
        return attempt(BankDetailsPayload, "bank_details", lambda: _bank(bank.bank_details_set(
            **who(info), fieldworker_id=decode_id(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            account_name=input.account_name, bank_name=input.bank_name, branch_code=input.branch_code,
            account_number=input.account_number)))

    @strawberry_django.mutation(description="Send the e-mail verification link again (staff).")
    def resend_fieldworker_verification(self, info: Info, fieldworker_id: strawberry.ID
                                        ) -> FieldworkerMessagesPayload:
        return attempt(FieldworkerMessagesPayload, "messages", lambda: [messaging.fieldworker_verification_resend(
            **who(info), fieldworker_id=decode_id(fieldworker_id, "Fieldworker", "fieldworkerId"))])

    @strawberry_django.mutation(description="Send a failed (or lost: queued or sending with no task left to "
                                            "finish it) message to a fieldworker again (staff).")
    def retry_fieldworker_message(self, info: Info, id: strawberry.ID) -> FieldworkerMessagePayload:
        def work():
            message = messaging.fieldworker_message_retry(**who(info), message_id=decode_id(id, "FieldworkerMessage"))
            message.refresh_from_db()  # a task run on commit may have sent it already
            return message

        return attempt(FieldworkerMessagePayload, "message", work)

    @strawberry_django.mutation(description="Message one fieldworker or everyone on a saved list (blocked ones "
                                            "left out) by e-mail, SMS or chat, about a booking or not (staff).")
    def send_fieldworker_message(self, info: Info, input: SendFieldworkerMessageInput) -> FieldworkerMessagesPayload:
        return attempt(FieldworkerMessagesPayload, "messages", lambda: messaging.fieldworker_message_send(
            **who(info), medium=input.medium.value, body=input.body, subject=input.subject,
            fieldworker_id=decode_optional(input.fieldworker_id, "Fieldworker", "fieldworkerId"),
            saved_list_id=decode_optional(input.saved_list_id, "FieldworkerList", "savedListId"),
            booking_id=decode_optional(input.booking_id, "Booking", "bookingId")))

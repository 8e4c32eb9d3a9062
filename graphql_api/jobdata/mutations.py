from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from core.errors import ValidationFailed
from core.jobdata import profiles, services
from core.jobdata.selectors import values_for

from ..errors import UserError, attempt
from ..ids import decode_id, decode_many, decode_optional
from ..payloads import UNSET, given, who
from .types import (
    TARGET_OF_TYPE,
    CustomFieldData,
    CustomFieldGroupNode,
    CustomFieldNode,
    CustomFieldTargetEnum,
    CustomFieldTypeEnum,
    CustomFieldValueType,
    ProfileFieldSetting,
    ProfileKindEnum,
)


@strawberry.input(name="CustomFieldOptionInput")
class CustomFieldOptionInput:
    value: str
    label: str = ""


@strawberry.input(name="CustomFieldDataInput", description="A typed value: set the member of the field's type "
                                                            "(text for text and single-choice fields), or none "
                                                            "of them to clear it.")
class CustomFieldDataInput:
    text: str | None = None
    number: Decimal | None = None
    date: date | None = None
    time: time | None = None
    boolean: bool | None = None
    choices: list[str] | None = None
    signature: str | None = strawberry.field(default=None, description="A PNG as a data URL.")


@strawberry.input
class CreateCustomFieldInput:
    target: CustomFieldTargetEnum
    label: str
    field_type: CustomFieldTypeEnum  # type: ignore[valid-type]
    key: str = strawberry.field(default="", description="Blank: made from the label.")
    group_id: strawberry.ID | None = None
    service_id: strawberry.ID | None = strawberry.field(default=None, description="Bookings only.")
    help_text: str = ""
    required: bool = False
    default: CustomFieldDataInput | None = None
    options: list[CustomFieldOptionInput] | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    step: Decimal | None = None
    visible_to_customer: bool = False
    visible_to_fieldworker: bool = False


@strawberry.input(description="Change only what you send. Target, key and type stay.")
class UpdateCustomFieldInput:
    id: strawberry.ID
    label: str | None = UNSET
    group_id: strawberry.ID | None = UNSET
    service_id: strawberry.ID | None = UNSET
    help_text: str | None = UNSET
    required: bool | None = UNSET
    default: CustomFieldDataInput | None = UNSET
    options: list[CustomFieldOptionInput] | None = UNSET
    min_value: Decimal | None = UNSET
    max_value: Decimal | None = UNSET
    step: Decimal | None = UNSET
    visible_to_customer: bool | None = UNSET
    visible_to_fieldworker: bool | None = UNSET


@strawberry.input
class CustomFieldValueInput:
    key: str
    value: CustomFieldDataInput


@strawberry.input
class SetCustomFieldValuesInput:
    object_id: strawberry.ID = strawberry.field(description="A Booking, Customer, Property, Fieldworker or Quote id.")
    values: list[CustomFieldValueInput]


@strawberry.input
class ProfileFieldInput:
    builtin: str | None = strawberry.field(default=None, description="A built-in field's name (email, mobile...).")
    field_id: strawberry.ID | None = strawberry.field(default=None, description="Or a custom field of the profile.")
    shown: bool = True
    required: bool = False


@strawberry.type
class ProfileFieldsPayload:
    profile_fields: list[ProfileFieldSetting] | None = None
    errors: list[UserError]


@strawberry.type
class CustomFieldPayload:
    custom_field: CustomFieldNode | None = None
    errors: list[UserError]


@strawberry.type
class CustomFieldsPayload:
    custom_fields: list[CustomFieldNode] | None = None
    errors: list[UserError]


@strawberry.type
class CustomFieldGroupPayload:
    custom_field_group: CustomFieldGroupNode | None = None
    errors: list[UserError]


@strawberry.type
class CustomFieldGroupsPayload:
    custom_field_groups: list[CustomFieldGroupNode] | None = None
    errors: list[UserError]


@strawberry.type
class SetCustomFieldValuesPayload:
    custom_fields: list[CustomFieldValueType] | None = strawberry.field(
        default=None, description="The object's values you may read, after the change.")
    errors: list[UserError]


def raw_value(data: CustomFieldDataInput | None, where: str) -> Any:
    """The one member a client set (``None``: clear)."""
    if data is None:
        return None
    set_ = [(name, value) for name, value in vars(data).items() if value is not None]
    if len(set_) > 1:
        raise ValidationFailed(where, "Set one member of the value, or none to clear it.", code="one_value")
    return set_[0][1] if set_ else None


def _options(items: list[CustomFieldOptionInput] | None) -> list[dict[str, str]]:
    return [{"value": item.value, "label": item.label} for item in items or ()]


def _create(info: Info, data: CreateCustomFieldInput):
    return services.field_create(
        **who(info), target=data.target.value, label=data.label, field_type=data.field_type.value, key=data.key,
        group_id=decode_optional(data.group_id, "CustomFieldGroup", "groupId"),
        service_id=decode_optional(data.service_id, "Service", "serviceId"), help_text=data.help_text,
        required=data.required, default=raw_value(data.default, "default"), options=_options(data.options),
        min_value=data.min_value, max_value=data.max_value, step=data.step,
        visible_to_customer=data.visible_to_customer, visible_to_fieldworker=data.visible_to_fieldworker)


def _update(info: Info, data: UpdateCustomFieldInput):
    changes = given(label=data.label, help_text=data.help_text, required=data.required,
                    min_value=data.min_value, max_value=data.max_value, step=data.step,
                    visible_to_customer=data.visible_to_customer, visible_to_fieldworker=data.visible_to_fieldworker)
    for flag in ("required", "visible_to_customer", "visible_to_fieldworker"):
        if flag in changes and changes[flag] is None:
            changes.pop(flag)
    if "help_text" in changes and changes["help_text"] is None:
        changes["help_text"] = ""
    if data.group_id is not UNSET:
        changes["group_id"] = decode_optional(data.group_id, "CustomFieldGroup", "groupId")
    if data.service_id is not UNSET:
        changes["service_id"] = decode_optional(data.service_id, "Service", "serviceId")
    if data.default is not UNSET:
        changes["default"] = raw_value(data.default, "default")
    if data.options is not UNSET:
        changes["options"] = _options(data.options)
    return services.field_update(**who(info), field_id=decode_id(data.id, "CustomField"), **changes)


def _profile_fields(info: Info, profile: ProfileKindEnum, fields: list[ProfileFieldInput]):
    entries = [{"builtin": item.builtin or "", "shown": item.shown, "required": item.required,
                "field_id": decode_optional(item.field_id, "CustomField", f"fields.{index}.fieldId")}
               for index, item in enumerate(fields)]
    layout = profiles.profile_fields_set(**who(info), profile=profile.value, entries=entries)
    return [ProfileFieldSetting.of(entry) for entry in layout]


def _object(object_id: str) -> tuple[str, int]:
    try:
        type_name = relay.GlobalID.from_id(object_id).type_name
    except Exception:
        type_name = ""
    target = TARGET_OF_TYPE.get(type_name)
    if target is None:
        raise ValidationFailed("objectId", "Expected a Booking, Customer, Property, Fieldworker or Quote id.",
                               code="invalid_id")
    return target, decode_id(object_id, type_name, "objectId")


def values_given(items: list[CustomFieldValueInput], field: str = "values") -> dict[str, Any]:
    """key -> raw value of a list of ``CustomFieldValueInput`` (a key given twice is refused)."""
    values: dict[str, Any] = {}
    for index, item in enumerate(items):
        if item.key in values:
            raise ValidationFailed(f"{field}.{index}.key", "A key is given twice.", code="duplicate")
        values[item.key] = raw_value(item.value, f"{field}.{index}.value")
    return values


def _set_values(info: Info, data: SetCustomFieldValuesInput) -> list[CustomFieldValueType]:
    target, pk = _object(data.object_id)
    values = values_given(data.values)
    context = who(info)
    services.values_set(**context, target=target, object_id=pk, values=values)
    shown = values_for(context["actor"], target, [pk]).get(pk, [])
    return [CustomFieldValueType(field=item.field, key=item.field.key,  # type: ignore[arg-type]
                                 value=CustomFieldData.of(item.field, item.value))  # type: ignore[arg-type]
            for item in shown]


@strawberry.type
class JobDataMutation:
    @strawberry_django.mutation(description="Add a custom field to a target's forms (staff).")
    def create_custom_field(self, info: Info, input: CreateCustomFieldInput) -> CustomFieldPayload:
        return attempt(CustomFieldPayload, "custom_field", lambda: _create(info, input))

    @strawberry_django.mutation(description="Change a custom field (staff).")
    def update_custom_field(self, info: Info, input: UpdateCustomFieldInput) -> CustomFieldPayload:
        return attempt(CustomFieldPayload, "custom_field", lambda: _update(info, input))

    @strawberry_django.mutation(description="Stop asking a custom field; its values are kept (staff).")
    def archive_custom_field(self, info: Info, id: strawberry.ID) -> CustomFieldPayload:
        return attempt(CustomFieldPayload, "custom_field", lambda: services.field_archive(
            **who(info), field_id=decode_id(id, "CustomField")))

    @strawberry_django.mutation(description="Order the fields of one group (or of none) of a target (staff).")
    def reorder_custom_fields(self, info: Info, target: CustomFieldTargetEnum, group_id: strawberry.ID | None,
                              field_ids: list[strawberry.ID]) -> CustomFieldsPayload:
        return attempt(CustomFieldsPayload, "custom_fields", lambda: services.field_reorder(
            **who(info), target=target.value, group_id=decode_optional(group_id, "CustomFieldGroup", "groupId"),
            field_ids=decode_many(list(field_ids), "CustomField", "fieldIds") or []))

    @strawberry_django.mutation(description="Add a named group to a target's forms (staff).")
    def create_custom_field_group(self, info: Info, target: CustomFieldTargetEnum,
                                  name: str) -> CustomFieldGroupPayload:
        return attempt(CustomFieldGroupPayload, "custom_field_group", lambda: services.group_create(
            **who(info), target=target.value, name=name))

    @strawberry_django.mutation(description="Rename a group (staff).")
    def update_custom_field_group(self, info: Info, id: strawberry.ID, name: str) -> CustomFieldGroupPayload:
        return attempt(CustomFieldGroupPayload, "custom_field_group", lambda: services.group_update(
            **who(info), group_id=decode_id(id, "CustomFieldGroup"), name=name))

    @strawberry_django.mutation(description="Remove an empty group from the forms (staff).")
    def archive_custom_field_group(self, info: Info, id: strawberry.ID) -> CustomFieldGroupPayload:
        return attempt(CustomFieldGroupPayload, "custom_field_group", lambda: services.group_archive(
            **who(info), group_id=decode_id(id, "CustomFieldGroup")))

    @strawberry_django.mutation(description="Order a target's groups (staff).")
    def reorder_custom_field_groups(self, info: Info, target: CustomFieldTargetEnum,
                                    group_ids: list[strawberry.ID]) -> CustomFieldGroupsPayload:
        return attempt(CustomFieldGroupsPayload, "custom_field_groups", lambda: services.group_reorder(
            **who(info), target=target.value,
            group_ids=decode_many(list(group_ids), "CustomFieldGroup", "groupIds") or []))

    @strawberry_django.mutation(description="Set custom field values of one object: staff any; a fieldworker the "
                                            "fields meant for them on jobs they accepted and their own profile; a "
                                            "customer the fields meant for them on their own bookings, properties "
                                            "and profile; quotes are staff's. All or nothing.")
    def set_custom_field_values(self, info: Info, input: SetCustomFieldValuesInput) -> SetCustomFieldValuesPayload:
        return attempt(SetCustomFieldValuesPayload, "custom_fields", lambda: _set_values(info, input))

    @strawberry_django.mutation(description="Set which built-in and custom fields a profile shows and requires "
                                            "(staff). Fields not named keep their setting.")
    def set_profile_fields(self, info: Info, profile: ProfileKindEnum,
                           fields: list[ProfileFieldInput]) -> ProfileFieldsPayload:
        return attempt(ProfileFieldsPayload, "profile_fields", lambda: _profile_fields(info, profile, fields))

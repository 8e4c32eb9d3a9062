"""Writes of custom field definitions, groups and values (house rule 1): keyword-only, ``actor``
and ``channel``, guards first, a history row and its event for every change."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

from . import log
from . import values as typed
from .events import CustomFieldChanged, CustomFieldGroupChanged, CustomFieldValuesSet
from .models import (
    CHOICE_TYPES,
    VALUE_ONLY_TARGETS,
    CustomField,
    CustomFieldChoice,
    CustomFieldGroup,
    CustomFieldValue,
    FieldType,
    Target,
)
from .profiles import custom_overrides
from .selectors import applies, booking_service_ids, readable_fields, visible_objects, writable_objects

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_OPTIONS = 100
MAX_FIELDS_PER_TARGET = 200
UPDATABLE = {"label", "help_text", "required", "default", "options", "min_value", "max_value", "step",
             "visible_to_customer", "visible_to_fieldworker", "group_id", "service_id"}


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff may change custom fields.")


# what a portal form can ask without a script: every type but the signature (it needs a drawing pad)
REQUEST_TYPES = frozenset(FieldType.values) - {FieldType.SIGNATURE}


def _target(value: str) -> str:
    if value not in Target.values or value in VALUE_ONLY_TARGETS:
        raise ValidationFailed("target", "Unknown target.", code="invalid_target")
    return value


def _label(value: Any, field: str = "label", limit: int = 120) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationFailed(field, "Expected text.", code="wrong_type")
    if not text:
        raise ValidationFailed(field, "A name is required.", code="required")
    if len(text) > limit:
        raise ValidationFailed(field, f"At most {limit} characters.", code="too_long")
    return text


def _options(kind: str, raw: Any) -> list[dict[str, str]]:
    raw = list(raw or [])
    if kind not in CHOICE_TYPES:
        if raw:
            raise ValidationFailed("options", "Only choice fields have options.", code="not_allowed")
        return []
    if not raw:
        raise ValidationFailed("options", "A choice field needs at least one option.", code="required")
    if len(raw) > MAX_OPTIONS:
        raise ValidationFailed("options", f"At most {MAX_OPTIONS} options.", code="too_many")
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"options.{index}"
        if isinstance(item, str):
            item = {"value": item, "label": item}
        if not isinstance(item, Mapping):
            raise ValidationFailed(where, "An option is a value and a label.", code="wrong_type")
        value = _label(item.get("value"), where, 100)
        label = _label(item.get("label") or value, where, 120)
        if value in seen:
            raise ValidationFailed(where, f"The option '{value}' is given twice.", code="duplicate")
        seen.add(value)
        out.append({"value": value, "label": label})
    return out


def _limits(kind: str, values: dict[str, Any]) -> None:
    given = {name: values.get(name) for name in ("min_value", "max_value", "step")}
    if kind != FieldType.INCREMENT:
        for name, value in given.items():
            if value is not None:
                raise ValidationFailed(_camel(name), "Only increment/decrement fields have limits.",
                                       code="not_allowed")
        return
    for name, value in given.items():
        if value is not None:
            values[name] = typed.parse_number(value, _camel(name))
    low, high, step = values.get("min_value"), values.get("max_value"), values.get("step")
    if low is not None and high is not None and low >= high:
        raise ValidationFailed("maxValue", "The maximum must be above the minimum.", code="out_of_range")
    if step is not None and step <= 0:
        raise ValidationFailed("step", "The step must be above zero.", code="out_of_range")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _group(group_id: int | None, target: str) -> CustomFieldGroup | None:
    if group_id is None:
        return None
    group = CustomFieldGroup.objects.filter(pk=group_id, archived_at__isnull=True).first()
    if group is None:
        raise NotFound("group", field="groupId")
    if group.target != target:
        raise ValidationFailed("groupId", "That group belongs to another target.", code="wrong_target")
    return group


def _service(service_id: int | None, target: str) -> None:
    if service_id is None:
        return
    if target != Target.BOOKING:
        raise ValidationFailed("serviceId", "Only booking fields are asked per service.", code="not_allowed")
    from core.catalog.models import Service

    if not Service.objects.filter(pk=service_id).exists():
        raise NotFound("service", field="serviceId")


def _default(field: CustomField, raw: Any) -> Any:
    """Check ``raw`` as a value of ``field``; the JSON to store."""
    if raw is None:
        return None
    if field.field_type == FieldType.SIGNATURE:
        raise ValidationFailed("default", "A signature has no default.", code="not_allowed")
    return typed.as_json(field, typed.clean(field, raw, "default").value)


def _next_position(model, **where: Any) -> int:
    top = model.objects.filter(archived_at__isnull=True, **where).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def _definition(field: CustomField) -> dict[str, Any]:
    return {name: getattr(field, name) for name in (
        "key", "label", "help_text", "field_type", "group_id", "service_id", "required", "default", "options",
        "min_value", "max_value", "step", "visible_to_customer", "visible_to_fieldworker")}


def field_create(*, actor: Actor, channel: Channel, target: str, label: str, field_type: str, key: str = "",
                 group_id: int | None = None, service_id: int | None = None, help_text: str = "",
                 required: bool = False, default: Any = None, options: Iterable[Any] = (),
                 min_value: Any = None, max_value: Any = None, step: Any = None,
                 visible_to_customer: bool = False, visible_to_fieldworker: bool = False) -> CustomField:
    _require_staff(actor)
    target = _target(target)
    label = _label(label)
    if field_type not in FieldType.values:
        raise ValidationFailed("fieldType", "Unknown field type.", code="invalid_type")
    key = (key or "").strip() or slugify(label).replace("-", "_")[:60]
    if not KEY_RE.match(key):
        raise ValidationFailed("key", "Lower-case letters, digits and _, starting with a letter.", code="invalid_key")
    help_text = (help_text or "").strip()
    if len(help_text) > 300:
        raise ValidationFailed("helpText", "At most 300 characters.", code="too_long")
    limits = {"min_value": min_value, "max_value": max_value, "step": step}
    _limits(field_type, limits)
    field = CustomField(target=target, key=key, label=label, help_text=help_text, field_type=field_type,
                        group_id=group_id, service_id=service_id, required=bool(required),
                        options=_options(field_type, options), visible_to_customer=bool(visible_to_customer),
                        visible_to_fieldworker=bool(visible_to_fieldworker), **limits)
    field.default = _default(field, default)
    with transaction.atomic():
        _group(group_id, target)
        _service(service_id, target)
        if CustomField.objects.filter(target=target, key=key).exists():
            raise DomainError("duplicate", "A field with that key exists for this target.", field="key")
        if CustomField.objects.filter(target=target, archived_at__isnull=True).count() >= MAX_FIELDS_PER_TARGET:
            raise DomainError("too_many", f"At most {MAX_FIELDS_PER_TARGET} fields per target.", field="target")
        field.position = _next_position(CustomField, target=target, group_id=group_id)
        field.save()
        log.record(actor=actor, channel=channel, action="field_created", event=CustomFieldChanged,
                   field_id=field.pk, target=target, change="created",
                   changes={name: (None, value) for name, value in _definition(field).items()
                            if value not in (None, "", [], False)})
    return field


def _locked_field(field_id: int) -> CustomField:
    field = CustomField.objects.select_for_update().filter(pk=field_id, archived_at__isnull=True).first()
    if field is None:
        raise NotFound("custom field")
    return field


def field_update(*, actor: Actor, channel: Channel, field_id: int, **changes: Any) -> CustomField:
    """Change what a field asks. Its target, key and type stay (values are stored by type)."""
    _require_staff(actor)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed(_camel(sorted(unknown)[0]), "This cannot be changed.", code="immutable")
    with transaction.atomic():
        field = _locked_field(field_id)
        before = _definition(field)
        kind = field.field_type
        if "label" in changes:
            field.label = _label(changes["label"])
        if "help_text" in changes:
            field.help_text = (changes["help_text"] or "").strip()
            if len(field.help_text) > 300:
                raise ValidationFailed("helpText", "At most 300 characters.", code="too_long")
        for flag in ("required", "visible_to_customer", "visible_to_fieldworker"):
            if flag in changes:
                setattr(field, flag, bool(changes[flag]))
        if {"min_value", "max_value", "step"} & set(changes):
            limits = {name: changes.get(name, getattr(field, name)) for name in ("min_value", "max_value", "step")}
            _limits(kind, limits)
            for name, value in limits.items():
                setattr(field, name, value)
        if "options" in changes:
            options = _options(kind, changes["options"])
            kept = {option["value"] for option in options}
            in_use = (CustomFieldValue.objects.filter(field=field, text__isnull=False).exclude(text__in=kept).exists()
                      or CustomFieldChoice.objects.filter(field=field).exclude(choice__in=kept).exists())
            if in_use:
                raise DomainError("option_in_use", "Values use an option you removed; keep it or change them first.",
                                  field="options")
            field.options = options
        if "group_id" in changes:
            _group(changes["group_id"], field.target)
            if changes["group_id"] != field.group_id:
                field.group_id = changes["group_id"]
                field.position = _next_position(CustomField, target=field.target, group_id=field.group_id)
        if "service_id" in changes:
            _service(changes["service_id"], field.target)
            field.service_id = changes["service_id"]
        if "default" in changes or {"options", "min_value", "max_value", "step"} & set(changes):
            raw_default = changes.get("default", field.default)
            field.default = _default(field, raw_default)
        after = _definition(field)
        diff = {name: (before[name], after[name]) for name in after if before[name] != after[name]}
        if diff:
            field.save()
            log.record(actor=actor, channel=channel, action="field_updated", event=CustomFieldChanged,
                       field_id=field.pk, target=field.target, change="updated", changes=diff)
    return field


def field_archive(*, actor: Actor, channel: Channel, field_id: int) -> CustomField:
    """Stop asking a field. Its values stay stored (and unread) so that nothing is lost."""
    _require_staff(actor)
    with transaction.atomic():
        field = _locked_field(field_id)
        field.archived_at = timezone.now()
        field.save(update_fields=["archived_at"])
        from .models import ProfileField

        ProfileField.objects.filter(field=field).delete()
        log.record(actor=actor, channel=channel, action="field_archived", event=CustomFieldChanged,
                   field_id=field.pk, target=field.target, change="archived",
                   changes={"archived_at": (None, field.archived_at)})
    return field


def _check_order(given: list[int], current: list[int], what: str, where: str) -> None:
    if len(set(given)) != len(given) or set(given) != set(current):
        raise ValidationFailed(where, f"Name every active {what} of it exactly once.", code="mismatch")


def field_reorder(*, actor: Actor, channel: Channel, target: str, group_id: int | None,
                  field_ids: list[int]) -> list[CustomField]:
    """Order the fields of one group (or of no group) of a target: ``field_ids`` first to last."""
    _require_staff(actor)
    target = _target(target)
    with transaction.atomic():
        _group(group_id, target)
        fields = {field.pk: field for field in CustomField.objects.select_for_update().filter(
            target=target, group_id=group_id, archived_at__isnull=True)}
        _check_order(list(field_ids), list(fields), "field", "fieldIds")
        moved = []
        for position, pk in enumerate(field_ids):
            field = fields[pk]
            if field.position != position:
                moved.append((pk, field.position, position))
                field.position = position
                field.save(update_fields=["position"])
        if moved:
            log.record(actor=actor, channel=channel, action="fields_reordered", event=CustomFieldChanged,
                       field_id=moved[0][0], group_id=group_id, target=target, change="reordered",
                       changes={str(pk): (before, after) for pk, before, after in moved})
    return [fields[pk] for pk in field_ids]


def group_create(*, actor: Actor, channel: Channel, target: str, name: str) -> CustomFieldGroup:
    _require_staff(actor)
    target = _target(target)
    name = _label(name, "name", 80)
    with transaction.atomic():
        if CustomFieldGroup.objects.filter(target=target, name__iexact=name, archived_at__isnull=True).exists():
            raise DomainError("duplicate", "A group with that name exists for this target.", field="name")
        group = CustomFieldGroup.objects.create(target=target, name=name,
                                                position=_next_position(CustomFieldGroup, target=target))
        log.record(actor=actor, channel=channel, action="group_created", event=CustomFieldGroupChanged,
                   group_id=group.pk, target=target, change="created", changes={"name": (None, name)})
    return group


def _locked_group(group_id: int) -> CustomFieldGroup:
    group = CustomFieldGroup.objects.select_for_update().filter(pk=group_id, archived_at__isnull=True).first()
    if group is None:
        raise NotFound("group")
    return group


def group_update(*, actor: Actor, channel: Channel, group_id: int, name: str) -> CustomFieldGroup:
    _require_staff(actor)
    name = _label(name, "name", 80)
    with transaction.atomic():
        group = _locked_group(group_id)
        if CustomFieldGroup.objects.filter(target=group.target, name__iexact=name, archived_at__isnull=True
                                           ).exclude(pk=group.pk).exists():
            raise DomainError("duplicate", "A group with that name exists for this target.", field="name")
        if group.name != name:
            before, group.name = group.name, name
            group.save(update_fields=["name"])
            log.record(actor=actor, channel=channel, action="group_updated", event=CustomFieldGroupChanged,
                       group_id=group.pk, target=group.target, change="updated", changes={"name": (before, name)})
    return group


def group_archive(*, actor: Actor, channel: Channel, group_id: int) -> CustomFieldGroup:
    """Remove a group from the forms. Only an empty one: move or archive its fields first."""
    _require_staff(actor)
    with transaction.atomic():
        group = _locked_group(group_id)
        if CustomField.objects.filter(group=group, archived_at__isnull=True).exists():
            raise DomainError("group_not_empty", "Move or archive the group's fields first.", field="id")
        group.archived_at = timezone.now()
        group.save(update_fields=["archived_at"])
        log.record(actor=actor, channel=channel, action="group_archived", event=CustomFieldGroupChanged,
                   group_id=group.pk, target=group.target, change="archived",
                   changes={"archived_at": (None, group.archived_at)})
    return group


def group_reorder(*, actor: Actor, channel: Channel, target: str, group_ids: list[int]) -> list[CustomFieldGroup]:
    _require_staff(actor)
    target = _target(target)
    with transaction.atomic():
        groups = {group.pk: group for group in CustomFieldGroup.objects.select_for_update().filter(
            target=target, archived_at__isnull=True)}
        _check_order(list(group_ids), list(groups), "group", "groupIds")
        moved = []
        for position, pk in enumerate(group_ids):
            group = groups[pk]
            if group.position != position:
                moved.append((pk, group.position, position))
                group.position = position
                group.save(update_fields=["position"])
        if moved:
            log.record(actor=actor, channel=channel, action="groups_reordered", event=CustomFieldGroupChanged,
                       group_id=moved[0][0], target=target, change="reordered",
                       changes={str(pk): (before, after) for pk, before, after in moved})
    return [groups[pk] for pk in group_ids]


# --- values ----------------------------------------------------------------------------------------


def _shown(field: CustomField, value: Any) -> Any:
    """How a value appears in a history row: a signature is only said to be there."""
    if field.field_type == FieldType.SIGNATURE and value is not None:
        return "(signed)"
    return log.plain(value)


def _locked_object(actor: Actor, target: str, object_id: int):
    model = visible_objects(actor, target).model
    if not visible_objects(actor, target).filter(pk=object_id).exists():
        raise NotFound(target, field="objectId")
    if not writable_objects(actor, target).filter(pk=object_id).exists():
        raise PermissionDenied("You may not change this one's fields.")
    return model.objects.select_for_update().get(pk=object_id)


def values_set(*, actor: Actor, channel: Channel, target: str, object_id: int,
               values: Mapping[str, Any]) -> dict[str, Any]:
    """Set custom field values of one object (``values``: key -> value, ``None`` clears it).

    Every given value is checked against its field's type; afterwards every required field the
    actor fills must hold a value (a missing one takes the field's default when it has one). Keys
    the actor may not read are refused as unknown. Returns the changed keys' new values.
    """
    target = _target(target)
    if not actor.is_authenticated:
        raise NotFound(target, field="objectId")
    with transaction.atomic():
        obj = _locked_object(actor, target, object_id)
        services = booking_service_ids([object_id]).get(object_id, set()) if target == Target.BOOKING else None
        fields = {field.key: field for field in readable_fields(actor, target)}
        changes, result = _apply_values(target, object_id, fields, services, values,
                                        overrides=custom_overrides(target))
        if changes:
            if target == Target.BOOKING:
                from core.bookings import history

                history.record(obj, actor=actor, channel=channel, action="custom_fields_set", changes=changes)
            elif target == Target.QUOTE:  # the quote's own history, as a booking's timeline (decision 0942)
                from core.sales import quote_history

                quote_history.record(obj, actor=actor, channel=channel, action="custom_fields_set", changes=changes)
            else:
                log.record(actor=actor, channel=channel, action="values_set", event=CustomFieldValuesSet,
                           target=target, object_id=object_id, changes=changes, keys=tuple(sorted(changes)))
    return result


def booking_create_with_values(*, actor: Actor, channel: Channel, values: Mapping[str, Any],
                               **booking: Any) -> Any:
    """Create a booking (``core.bookings.services.booking_create`` with ``booking``) and set its custom
    field values (``values_set``) in one transaction: a refused value leaves no booking behind."""
    from core.bookings import services as booking_services

    with transaction.atomic():
        created = booking_services.booking_create(actor=actor, channel=channel, **booking)
        values_set(actor=actor, channel=channel, target=Target.BOOKING, object_id=created.pk, values=values)
    return created


def values_discard(*, target: str, object_id: int) -> int:
    """Remove every value of an object being deleted (a draft quote), in the caller's transaction, whose
    history row stands for them; nothing else names the object once it is gone. Returns how many."""
    rows = CustomFieldValue.objects.filter(target=target, object_id=object_id)
    count = rows.count()
    if count:
        rows.delete()  # the chosen options go with them
    return count


def request_values_set(*, actor: Actor, channel: Channel, request_id: int,
                       values: Mapping[str, Any]) -> dict[str, Any]:
    """The booking fields a customer answers when asking for an appointment (which is not a booking
    yet, decision 0608): checked exactly like a booking's values, for the request's service, and
    kept with the request (target ``booking_request``) until staff book it."""
    from core.outreach.models import BookingRequest

    with transaction.atomic():
        request = BookingRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or not (actor.is_staff or (actor.is_customer and actor.customer_id == request.customer_id)):
            raise NotFound("appointment request", field="requestId")
        services = {request.service_id} if request.service_id else set()
        fields = {field.key: field for field in readable_fields(actor, Target.BOOKING)
                  if field.field_type in REQUEST_TYPES}
        changes, result = _apply_values(Target.BOOKING_REQUEST, request.pk, fields, services, values, overrides={})
        if changes:
            log.record(actor=actor, channel=channel, action="values_set", event=CustomFieldValuesSet,
                       target=Target.BOOKING_REQUEST, object_id=request.pk, changes=changes,
                       keys=tuple(sorted(changes)))
    return result


def request_values_carry(*, actor: Actor, channel: Channel, request_id: int, booking_id: int) -> dict[str, Any]:
    """When staff book an appointment request: the customer's answers go onto the booking, for the
    fields that apply to its services and that the booking does not hold yet (its timeline says so).
    Called by ``core.outreach.services.booking_request_resolve`` in its transaction."""
    from core.bookings.models import Booking

    if not actor.is_staff:
        raise PermissionDenied()
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("booking", field="bookingId")
    answers = {row.field.key: typed.read(row.field, row) for row in CustomFieldValue.objects.filter(
        target=Target.BOOKING_REQUEST, object_id=request_id, field__archived_at__isnull=True).select_related("field")}
    held = set(CustomFieldValue.objects.filter(target=Target.BOOKING, object_id=booking_id)
               .values_list("field__key", flat=True))
    services = booking_service_ids([booking_id]).get(booking_id, set())
    fields = {field.key: field for field in readable_fields(actor, Target.BOOKING)}
    values = {key: value for key, value in answers.items()
              if key in fields and key not in held and applies(fields[key], services)}
    changes, result = _apply_values(Target.BOOKING, booking_id, fields, services, values, overrides={},
                                    check_required=False)
    if changes:
        from core.bookings import history

        history.record(booking, actor=actor, channel=channel, action="custom_fields_set", changes=changes,
                       data={"from_request_id": request_id})
    return result


def _apply_values(target: str, object_id: int, fields: dict[str, CustomField], services: set[int] | None,
                  values: Mapping[str, Any], *, overrides: Mapping[int, Any], check_required: bool = True
                  ) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any]]:
    """Check ``values`` against ``fields`` (the ones the actor may fill), then the required ones,
    and write what changed: ({key: (before, after)} for the history row, {key: new value})."""
    asked = {key: field for key, field in fields.items() if applies(field, services)}
    clean: dict[str, typed.Typed] = {}
    for key, raw in values.items():
        field = fields.get(key)
        if field is None:
            raise ValidationFailed(f"values.{key}", "No such custom field.", code="unknown_field")
        if key not in asked:
            raise ValidationFailed(f"values.{key}", "This field is not asked for this booking's services.",
                                   code="not_applicable")
        clean[key] = typed.clean(field, raw, f"values.{key}")
    stored = {row.field_id: row for row in CustomFieldValue.objects.select_for_update().filter(
        target=target, object_id=object_id, field__in=list(asked.values()))}
    for key, field in asked.items() if check_required else ():
        if not (overrides[field.pk].required if field.pk in overrides else field.required):
            continue
        current = clean.get(key)
        if current is None and field.pk in stored:
            continue
        if current is None or current.empty:
            if field.default is not None and current is None:
                clean[key] = typed.Typed(typed.column_of(field.field_type), typed.from_json(field, field.default))
                continue
            raise ValidationFailed(f"values.{key}", f"{field.label} is required.", code="required")
    changes: dict[str, tuple[Any, Any]] = {}
    result: dict[str, Any] = {}
    for key, value in clean.items():
        field = asked[key]
        row = stored.get(field.pk)
        before = typed.read(field, row)
        if before == value.value:
            continue
        _write(field, target, object_id, row, value)
        changes[key] = (_shown(field, before), _shown(field, value.value))
        result[key] = value.value
    return changes, result


def _write(field: CustomField, target: str, object_id: int, row: CustomFieldValue | None,
           value: typed.Typed) -> None:
    if value.empty:
        if row is not None:
            row.delete()  # its chosen options go with it
        return
    if row is None:
        row = CustomFieldValue(field=field, target=target, object_id=object_id)
    for column in typed.COLUMNS:
        setattr(row, column, value.value if column == value.column else None)
    row.updated_at = timezone.now()
    row.save()
    if value.column == "choices":
        CustomFieldChoice.objects.filter(value=row).exclude(choice__in=value.value).delete()
        have = set(CustomFieldChoice.objects.filter(value=row).values_list("choice", flat=True))
        CustomFieldChoice.objects.bulk_create([
            CustomFieldChoice(value=row, field=field, target=target, object_id=object_id, choice=choice)
            for choice in value.value if choice not in have])

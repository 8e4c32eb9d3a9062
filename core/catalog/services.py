"""Writes for the catalogue: tax rates, services, categories, products, packages, volume tiers, price zones.

Each write checks first (``DomainError``), then changes, then appends a ``CatalogLog`` row whose
``CatalogChanged`` event leaves after commit (``core.catalog.catalog_log``). Staff only."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.managed_lists import clean_list_entry
from core.money import round_money

from . import catalog_log
from .models import (
    REBOOK_REMINDER_MAX_DAYS,
    AdjustmentKind,
    PackageItem,
    PriceZone,
    Product,
    Service,
    ServiceCategory,
    ServicePackage,
    TaxRate,
    TierKind,
    VolumeTier,
    ZoneKind,
)
from .pricing import MAX_PRICE, MAX_QUANTITY, decimal_in, normalise_postcode, plain

SERVICE_FIELDS = {"name", "description", "duration_minutes", "price", "tax_rate", "tax_rate_id", "active",
                  "category_id", "rebook_reminder_days"}


def _decimal(value: Any, field: str, *, lo: Decimal, hi: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field, "Not a number.")
    if not number.is_finite() or number < lo or number > hi:
        raise ValidationFailed(field, f"Must be between {lo} and {hi}.", code="out_of_range")
    return round_money(number)


def _rebook_days(value: Any) -> int:
    """Days after a completion to remind the customer to book again (decision 0625); None is no reminder."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("rebookReminderDays", "A whole number of days.", code="invalid")
    days = int(value)
    if not 1 <= days <= REBOOK_REMINDER_MAX_DAYS:
        raise ValidationFailed("rebookReminderDays", f"Between 1 and {REBOOK_REMINDER_MAX_DAYS} days, or empty for "
                                                     f"no reminder.", code="out_of_range")
    return days


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"] or len(out["name"]) > 120:
            raise ValidationFailed("name", "A name of 1 to 120 characters is required.")
    if "description" in out and len(out["description"] or "") > 5000:
        raise ValidationFailed("description", "At most 5,000 characters.", code="too_long")
    if "duration_minutes" in out and not 5 <= int(out["duration_minutes"]) <= 24 * 60:
        raise ValidationFailed("durationMinutes", "Between 5 minutes and 24 hours.", code="out_of_range")
    if "price" in out:
        out["price"] = _decimal(out["price"], "price", lo=Decimal("0"), hi=Decimal("99999999"))
    if out.get("rebook_reminder_days") is not None:
        out["rebook_reminder_days"] = _rebook_days(out["rebook_reminder_days"])
    if out.get("category_id") is not None and not ServiceCategory.objects.filter(pk=out["category_id"]).exists():
        raise NotFound("category", field="categoryId")
    return out


# --- tax rates (decisions 0870-0872) ---------------------------------------------------------------

TAX_RATE_FIELDS = {"name", "percent", "active", "position"}


def _clean_tax_rate(values: dict[str, Any], *, rate_id: int | None = None) -> dict[str, Any]:
    out = clean_list_entry(values)  # name 1..60 characters, position 0..32767, as every managed list
    if "percent" in out:
        if out["percent"] is None:
            raise ValidationFailed("percent", "A percent is required.", code="required")
        out["percent"] = _decimal(out["percent"], "percent", lo=Decimal("0"), hi=Decimal("100"))
    if "active" in out:
        out["active"] = bool(out["active"])
    if "name" in out and TaxRate.objects.filter(name__iexact=out["name"]).exclude(pk=rate_id).exists():
        raise DomainError("duplicate", "A tax rate with that name exists.", field="name")
    return out


def _locked_rate(tax_rate_id: int) -> TaxRate:
    rate = TaxRate.objects.select_for_update().filter(pk=tax_rate_id).first()
    if rate is None:
        raise NotFound("tax rate", field="id")
    return rate


def _make_default(rate: TaxRate) -> TaxRate | None:
    """``rate`` becomes the one default; returns the one it replaced."""
    before = TaxRate.objects.select_for_update().filter(is_default=True).exclude(pk=rate.pk).first()
    if before is not None:
        before.is_default = False
        before.save(update_fields=["is_default"])
    rate.is_default = True
    rate.save(update_fields=["is_default"])
    return before


def tax_rate_create(*, actor: Actor, channel: Channel, name: str, percent: Decimal, active: bool = True,
                    position: int = 0, is_default: bool = False) -> TaxRate:
    """Add a rate to the list (staff). The first rate of an empty list is the default."""
    _staff(actor)
    values = _clean_tax_rate({"name": name, "percent": percent, "active": active, "position": position})
    if is_default and not values["active"]:
        raise DomainError("default_tax_rate", "The default tax rate is active.", field="active")
    with transaction.atomic():
        first = not TaxRate.objects.exists()
        rate = TaxRate.objects.create(**values)
        if is_default or (first and rate.active):
            _make_default(rate)
        catalog_log.record("tax_rate", rate.pk, actor=actor, channel=channel, action="created",
                           changes={"name": (None, rate.name), "percent": (None, rate.percent)})
    return rate


def tax_rate_update(*, actor: Actor, channel: Channel, tax_rate_id: int, **changes: Any) -> TaxRate:
    """Rename, re-rate, reorder or (de)activate a rate. A new percent applies to what is priced from
    then on; lines already priced keep their percent and name (decision 0871). A rate in use may be
    deactivated (items keep it, it is not chosen anew); the default may not."""
    _staff(actor)
    _unknown(changes, TAX_RATE_FIELDS)
    with transaction.atomic():
        rate = _locked_rate(tax_rate_id)
        values = _clean_tax_rate(changes, rate_id=rate.pk)
        if values.get("active") is False and rate.is_default:
            raise DomainError("default_tax_rate", "The default tax rate stays active: make another the default "
                                                  "first.", field="active")
        _save_changes("tax_rate", rate, values, actor=actor, channel=channel)
    return rate


def _rate_users(rate: TaxRate) -> bool:
    return any(model.objects.filter(named_tax_rate=rate).exists() for model in (Service, Product, ServicePackage))


def tax_rate_delete(*, actor: Actor, channel: Channel, tax_rate_id: int) -> None:
    """Remove a rate nothing names; one in use is deactivated instead (``tax_rate_in_use``). Lines
    already priced keep its percent and name, so they do not hold it."""
    _staff(actor)
    with transaction.atomic():
        rate = _locked_rate(tax_rate_id)
        if rate.is_default:
            raise DomainError("default_tax_rate", "The default tax rate is not removed: make another the default "
                                                  "first.", field="id")
        if _rate_users(rate):
            raise DomainError("tax_rate_in_use", f"The tax rate {rate.name} is in use; deactivate it instead.",
                              field="id")
        catalog_log.record("tax_rate", rate.pk, actor=actor, channel=channel, action="deleted",
                           changes={"name": (rate.name, None), "percent": (rate.percent, None)})
        rate.delete()


def tax_rate_set_default(*, actor: Actor, channel: Channel, tax_rate_id: int) -> TaxRate:
    """``tax_rate_id`` becomes the default: the rate of every item that names none, from then on."""
    _staff(actor)
    with transaction.atomic():
        rate = _locked_rate(tax_rate_id)
        if not rate.active:
            raise DomainError("tax_rate_inactive", f"The tax rate {rate.name} is inactive.", field="id")
        if not rate.is_default:
            before = _make_default(rate)
            catalog_log.record("tax_rate", rate.pk, actor=actor, channel=channel, action="default_set",
                               changes={"default": (before.name if before else None, rate.name)})
    return rate


def _chosen_rate(tax_rate_id: int, *, current: int | None) -> TaxRate:
    rate = TaxRate.objects.filter(pk=tax_rate_id).first()
    if rate is None:
        raise NotFound("tax rate", field="taxRateId")
    if not rate.active and rate.pk != current:
        raise DomainError("tax_rate_inactive", f"The tax rate {rate.name} is no longer offered.", field="taxRateId")
    return rate


def _rate_of_percent(percent: Any, *, actor: Actor, channel: Channel) -> TaxRate:
    """The old percent input (kept for one release): the active rate of that percent (the default
    first), else a new rate "Tax <percent>%" on the list."""
    percent = _decimal(percent, "taxRate", lo=Decimal("0"), hi=Decimal("100"))
    found = (TaxRate.objects.filter(percent=percent, active=True).order_by("-is_default", "position", "name", "id")
             .first())
    if found is not None:
        return found
    return tax_rate_create(actor=actor, channel=channel, name=f"Tax {plain(percent)}%", percent=percent)


def _taxed(values: dict[str, Any], *, current: int | None, actor: Actor, channel: Channel) -> dict[str, Any]:
    """Turn ``tax_rate_id`` (a named rate, None: the default) or the old ``tax_rate`` (a percent) in
    ``values`` into the ``named_tax_rate_id`` to store; {} when neither is given."""
    rate_id = values.pop("tax_rate_id", None) if "tax_rate_id" in values else _UNSET
    percent = values.pop("tax_rate", None)
    if percent is not None and rate_id not in (None, _UNSET):
        raise ValidationFailed("taxRateId", "Name a tax rate or give a percent, not both.", code="ambiguous")
    if percent is not None:
        return {"named_tax_rate_id": _rate_of_percent(percent, actor=actor, channel=channel).pk}
    if rate_id is _UNSET:
        return {}
    if rate_id is None:
        return {"named_tax_rate_id": None}
    return {"named_tax_rate_id": _chosen_rate(rate_id, current=current).pk}


_UNSET: Any = object()


# --- services -------------------------------------------------------------------------------------


def service_create(*, actor: Actor, channel: Channel, name: str, price: Decimal, duration_minutes: int = 60,
                   tax_rate_id: int | None = None, tax_rate: Decimal | None = None, description: str = "",
                   category_id: int | None = None, active: bool = True,
                   rebook_reminder_days: int | None = None) -> Service:
    """``tax_rate_id``: a named rate (none: the default); ``tax_rate``, a percent, is the old input kept
    for one release (decision 0870)."""
    if not actor.is_staff:
        raise PermissionDenied()
    values = _clean({"name": name, "price": price, "duration_minutes": duration_minutes,
                     "description": description, "category_id": category_id, "active": active,
                     "rebook_reminder_days": rebook_reminder_days})
    with transaction.atomic():
        values.update(_taxed({"tax_rate_id": tax_rate_id, "tax_rate": tax_rate}, current=None, actor=actor,
                             channel=channel))
        service = Service.objects.create(**values)
        catalog_log.record("service", service.pk, actor=actor, channel=channel, action="created")
    return service


def service_update(*, actor: Actor, channel: Channel, service_id: int, **changes: Any) -> Service:
    if not actor.is_staff:
        raise PermissionDenied()
    unknown = set(changes) - SERVICE_FIELDS
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])
    with transaction.atomic():
        service = Service.objects.select_for_update().filter(pk=service_id).first()
        if service is None:
            raise NotFound("service")
        values = _clean(changes)
        values.update(_taxed(values, current=service.named_tax_rate_id, actor=actor, channel=channel))
        _save_changes("service", service, values, actor=actor, channel=channel)
    return service


def category_create(*, actor: Actor, channel: Channel, name: str, position: int = 0) -> ServiceCategory:
    if not actor.is_staff:
        raise PermissionDenied()
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed("name", "A name of 1 to 80 characters is required.")
    if ServiceCategory.objects.filter(name__iexact=name).exists():
        raise DomainError("duplicate", "A category with that name exists.", field="name")
    with transaction.atomic():
        category = ServiceCategory.objects.create(name=name, position=position)
        catalog_log.record("category", category.pk, actor=actor, channel=channel, action="created")
    return category


def category_update(*, actor: Actor, channel: Channel, category_id: int, name: str | None = None,
                    position: int | None = None) -> ServiceCategory:
    if not actor.is_staff:
        raise PermissionDenied()
    if name is not None:
        name = name.strip()
        if not name or len(name) > 80:
            raise ValidationFailed("name", "A name of 1 to 80 characters is required.")
    if position is not None and not 0 <= int(position) <= 2_147_483_647:
        raise ValidationFailed("position", "A position of 0 or more.", code="out_of_range")
    with transaction.atomic():
        category = ServiceCategory.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound("category")
        if name is not None and ServiceCategory.objects.filter(name__iexact=name).exclude(pk=category.pk).exists():
            raise DomainError("duplicate", "A category with that name exists.", field="name")
        values = {key: value for key, value in (("name", name), ("position", position)) if value is not None}
        _save_changes("category", category, values, actor=actor, channel=channel)
    return category


# --- shared ---------------------------------------------------------------------------------------


def _save_changes(entity: str, obj: Any, values: dict[str, Any], *, actor: Actor, channel: Channel,
                  extra: dict[str, tuple[Any, Any]] | None = None) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ, save only those columns, and log them; nothing when nothing changed."""
    diff = {key: (getattr(obj, key), value) for key, value in values.items() if getattr(obj, key) != value}
    for key, (_, value) in diff.items():
        setattr(obj, key, value)
    if diff:
        obj.save(update_fields=[obj._meta.get_field(key).name for key in diff])
    diff.update(extra or {})
    if diff:
        catalog_log.record(entity, obj.pk, actor=actor, channel=channel, action="updated", changes=diff)
    return diff


def _staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied()


def _unknown(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError("invalid", "Unknown field.", field=sorted(unknown)[0])


def _name(value: Any, *, limit: int = 120) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise ValidationFailed("name", f"A name of 1 to {limit} characters is required.")
    return value


def _priced(out: dict[str, Any]) -> dict[str, Any]:
    """Name, description, price and tax rate as every sold thing has them."""
    if "name" in out:
        out["name"] = _name(out["name"])
    if "description" in out:
        out["description"] = out["description"] or ""
        if len(out["description"]) > 5000:
            raise ValidationFailed("description", "At most 5,000 characters.", code="too_long")
    if "price" in out:
        out["price"] = _decimal(out["price"], "price", lo=Decimal("0"), hi=MAX_PRICE)
    if "active" in out:
        out["active"] = bool(out["active"])
    return out


# --- products -------------------------------------------------------------------------------------

PRODUCT_FIELDS = {"sku", "name", "description", "price", "tax_rate", "tax_rate_id", "active"}


def _clean_product(values: dict[str, Any], *, product_id: int | None = None) -> dict[str, Any]:
    out = _priced(dict(values))
    if "sku" in out:
        out["sku"] = (out["sku"] or "").strip()
        if not out["sku"] or len(out["sku"]) > 40 or any(char.isspace() for char in out["sku"]):
            raise ValidationFailed("sku", "A SKU of 1 to 40 characters without spaces is required.")
        if Product.objects.filter(sku__iexact=out["sku"]).exclude(pk=product_id).exists():
            raise DomainError("duplicate", "A product with that SKU exists.", field="sku")
    return out


def product_create(*, actor: Actor, channel: Channel, sku: str, name: str, price: Decimal,
                   tax_rate_id: int | None = None, tax_rate: Decimal | None = None, description: str = "",
                   active: bool = True) -> Product:
    _staff(actor)
    values = _clean_product({"sku": sku, "name": name, "price": price, "description": description,
                             "active": active})
    with transaction.atomic():
        values.update(_taxed({"tax_rate_id": tax_rate_id, "tax_rate": tax_rate}, current=None, actor=actor,
                             channel=channel))
        product = Product.objects.create(**values)
        catalog_log.record("product", product.pk, actor=actor, channel=channel, action="created")
    return product


def product_update(*, actor: Actor, channel: Channel, product_id: int, **changes: Any) -> Product:
    """Change the fields given. A product is never deleted (booking lines keep it): set ``active``."""
    _staff(actor)
    _unknown(changes, PRODUCT_FIELDS)
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound("product")
        values = _clean_product(changes, product_id=product.pk)
        values.update(_taxed(values, current=product.named_tax_rate_id, actor=actor, channel=channel))
        _save_changes("product", product, values, actor=actor, channel=channel)
    return product


# --- packages -------------------------------------------------------------------------------------

PACKAGE_FIELDS = {"name", "description", "price", "tax_rate", "tax_rate_id", "active"}
MAX_PACKAGE_ITEMS = 50


@dataclass(frozen=True)
class PackageItemInput:
    service_id: int | None = None
    product_id: int | None = None
    quantity: Decimal = Decimal("1")


def _package_items(items: Sequence[PackageItemInput]) -> list[PackageItem]:
    if not 1 <= len(items) <= MAX_PACKAGE_ITEMS:
        raise ValidationFailed("items", f"A package holds 1 to {MAX_PACKAGE_ITEMS} items.", code="out_of_range")
    services = set(Service.objects.filter(pk__in={i.service_id for i in items if i.service_id}).values_list(
        "pk", flat=True))
    products = set(Product.objects.filter(pk__in={i.product_id for i in items if i.product_id}).values_list(
        "pk", flat=True))
    built = []
    for position, item in enumerate(items):
        field = f"items.{position}"
        if (item.service_id is None) == (item.product_id is None):
            raise ValidationFailed(field, "Name either a service or a product.", code="invalid")
        if item.service_id is not None and item.service_id not in services:
            raise NotFound("service", field=f"{field}.serviceId")
        if item.product_id is not None and item.product_id not in products:
            raise NotFound("product", field=f"{field}.productId")
        quantity = decimal_in(item.quantity, f"{field}.quantity", lo=Decimal("0.01"), hi=MAX_QUANTITY,
                              code="invalid_quantity")
        built.append(PackageItem(service_id=item.service_id, product_id=item.product_id, quantity=quantity,
                                 position=position))
    return built


def _item_summary(item: PackageItem) -> str:
    return f"{item.quantity} x {'service' if item.service_id else 'product'} {item.service_id or item.product_id}"


def package_create(*, actor: Actor, channel: Channel, name: str, price: Decimal,
                   items: Sequence[PackageItemInput], tax_rate_id: int | None = None,
                   tax_rate: Decimal | None = None, description: str = "", active: bool = True) -> ServicePackage:
    _staff(actor)
    values = _priced({"name": name, "price": price, "description": description, "active": active})
    built = _package_items(items)
    with transaction.atomic():
        values.update(_taxed({"tax_rate_id": tax_rate_id, "tax_rate": tax_rate}, current=None, actor=actor,
                             channel=channel))
        package = ServicePackage.objects.create(**values)
        for item in built:
            item.package = package
        PackageItem.objects.bulk_create(built)
        catalog_log.record("package", package.pk, actor=actor, channel=channel, action="created",
                       changes={"items": ([], [_item_summary(item) for item in built])})
    return package


def package_update(*, actor: Actor, channel: Channel, package_id: int,
                   items: Sequence[PackageItemInput] | None = None, **changes: Any) -> ServicePackage:
    """Change the fields given; ``items``, when given, replaces the contents."""
    _staff(actor)
    _unknown(changes, PACKAGE_FIELDS)
    values = _priced(dict(changes))
    built = _package_items(items) if items is not None else None
    with transaction.atomic():
        package = ServicePackage.objects.select_for_update().filter(pk=package_id).first()
        if package is None:
            raise NotFound("package")
        values.update(_taxed(values, current=package.named_tax_rate_id, actor=actor, channel=channel))
        extra = {}
        if built is not None:
            before = [_item_summary(item) for item in package.items.all()]
            after = [_item_summary(item) for item in built]
            if before != after:
                extra["items"] = (before, after)
                package.items.all().delete()
                for item in built:
                    item.package = package
                PackageItem.objects.bulk_create(built)
        _save_changes("package", package, values, actor=actor, channel=channel, extra=extra)
    return package


# --- volume tiers ---------------------------------------------------------------------------------

MAX_TIERS = 20


@dataclass(frozen=True)
class TierInput:
    min_quantity: Decimal
    kind: str
    value: Decimal
    max_quantity: Decimal | None = None


def _tier_rows(tiers: Sequence[TierInput]) -> list[VolumeTier]:
    if len(tiers) > MAX_TIERS:
        raise ValidationFailed("tiers", f"At most {MAX_TIERS} bands.", code="too_many")
    rows = []
    for index, tier in enumerate(tiers):
        field = f"tiers.{index}"
        low = decimal_in(tier.min_quantity, f"{field}.minQuantity", lo=Decimal("0.01"), hi=MAX_QUANTITY)
        high = None
        if tier.max_quantity is not None:
            high = decimal_in(tier.max_quantity, f"{field}.maxQuantity", lo=low, hi=MAX_QUANTITY)
        if tier.kind not in TierKind.values:
            raise ValidationFailed(f"{field}.kind", "Unknown kind of tier.")
        top = Decimal("100") if tier.kind == TierKind.PERCENT_OFF else MAX_PRICE
        value = decimal_in(tier.value, f"{field}.value", lo=Decimal("0"), hi=top)
        rows.append((index, VolumeTier(min_quantity=low, max_quantity=high, kind=tier.kind, value=value)))
    rows.sort(key=lambda pair: pair[1].min_quantity)
    for (_, before), (index, after) in itertools.pairwise(rows):
        if before.max_quantity is None or before.max_quantity >= after.min_quantity:
            raise DomainError("tiers_overlap", f"The band from {after.min_quantity} overlaps the band from "
                              f"{before.min_quantity}.", field=f"tiers.{index}")
    return [row for _, row in rows]


def _tier_summary(row: VolumeTier) -> str:
    return f"{row.min_quantity}-{row.max_quantity if row.max_quantity is not None else ''} {row.kind} {row.value}"


def tiers_set(*, actor: Actor, channel: Channel, tiers: Sequence[TierInput], service_id: int | None = None,
              product_id: int | None = None) -> list[VolumeTier]:
    """Replace the volume tiers of one service or product with ``tiers`` (none: no bulk discount).
    Bands are inclusive at both ends and may not overlap; a quantity in no band pays the base price."""
    _staff(actor)
    if (service_id is None) == (product_id is None):
        raise ValidationFailed("itemId", "Name either a service or a product.", code="invalid")
    rows = _tier_rows(tiers)
    with transaction.atomic():
        model, key, pk = (Service, "service", service_id) if service_id is not None else (
            Product, "product", product_id)
        item = model.objects.select_for_update().filter(pk=pk).first()
        if item is None:
            raise NotFound(key, field="itemId")
        current = list(VolumeTier.objects.filter(**{key: item}).order_by("min_quantity"))
        before = [_tier_summary(row) for row in current]
        after = [_tier_summary(row) for row in rows]
        if before == after:
            return current
        VolumeTier.objects.filter(**{key: item}).delete()
        for row in rows:
            setattr(row, key, item)
        VolumeTier.objects.bulk_create(rows)
        catalog_log.record(key, item.pk, actor=actor, channel=channel, action="tiers_set",
                       changes={"tiers": (before, after)})
    return rows


# --- price zones ----------------------------------------------------------------------------------

ZONE_FIELDS = {"name", "kind", "postcodes", "latitude", "longitude", "radius_km", "adjustment_kind", "adjustment",
               "priority", "active"}
MAX_POSTCODES = 2000


def _float_in(value: Any, field: str, lo: float, hi: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(field, f"A number between {lo} and {hi} is required.", code="out_of_range")
    if not lo <= number <= hi:  # NaN fails too
        raise ValidationFailed(field, f"A number between {lo} and {hi} is required.", code="out_of_range")
    return number


def _clean_zone(values: dict[str, Any], *, zone_id: int | None = None) -> dict[str, Any]:
    """The whole zone as it will be stored: the fields of the kind it has, the others cleared."""
    out = dict(values)
    out["name"] = _name(out.get("name"), limit=80)
    if PriceZone.objects.filter(name__iexact=out["name"]).exclude(pk=zone_id).exists():
        raise DomainError("duplicate", "A zone with that name exists.", field="name")
    if out.get("kind") not in ZoneKind.values:
        raise ValidationFailed("kind", "Unknown kind of zone.")
    if out["kind"] == ZoneKind.POSTCODES:
        codes = []
        for index, code in enumerate(out.get("postcodes") or ()):
            code = normalise_postcode(str(code))
            if not 1 <= len(code) <= 12 or not all(char.isalnum() or char == "-" for char in code):
                raise ValidationFailed(f"postcodes.{index}", "Not a postcode.")
            if code not in codes:
                codes.append(code)
        if not 1 <= len(codes) <= MAX_POSTCODES:
            raise ValidationFailed("postcodes", f"A postcode zone lists 1 to {MAX_POSTCODES} postcodes.",
                                   code="required")
        out.update(postcodes=codes, latitude=None, longitude=None, radius_km=None)
    else:
        if out.get("latitude") is None or out.get("longitude") is None or out.get("radius_km") is None:
            raise ValidationFailed("radiusKm", "A radius zone needs a centre and a radius.", code="required")
        out["latitude"] = _float_in(out["latitude"], "latitude", -90, 90)
        out["longitude"] = _float_in(out["longitude"], "longitude", -180, 180)
        out["radius_km"] = decimal_in(out["radius_km"], "radiusKm", lo=Decimal("0.01"), hi=Decimal("20000"))
        out["postcodes"] = []
    if out.get("adjustment_kind") not in AdjustmentKind.values:
        raise ValidationFailed("adjustmentKind", "Unknown kind of adjustment.")
    if out["adjustment_kind"] == AdjustmentKind.PERCENT:
        out["adjustment"] = decimal_in(out.get("adjustment"), "adjustment", lo=Decimal("-100"), hi=Decimal("1000"))
    else:
        out["adjustment"] = decimal_in(out.get("adjustment"), "adjustment", lo=-MAX_PRICE, hi=MAX_PRICE)
    priority = out.get("priority", 100)
    if not isinstance(priority, int) or not 0 <= priority <= 1_000_000:
        raise ValidationFailed("priority", "A priority from 0 to 1,000,000.", code="out_of_range")
    out["active"] = bool(out.get("active", True))
    return out


def zone_create(*, actor: Actor, channel: Channel, name: str, kind: str, adjustment_kind: str,
                adjustment: Decimal, postcodes: Sequence[str] = (), latitude: float | None = None,
                longitude: float | None = None, radius_km: Decimal | None = None, priority: int = 100,
                active: bool = True) -> PriceZone:
    _staff(actor)
    values = _clean_zone({"name": name, "kind": kind, "postcodes": list(postcodes), "latitude": latitude,
                          "longitude": longitude, "radius_km": radius_km, "adjustment_kind": adjustment_kind,
                          "adjustment": adjustment, "priority": priority, "active": active})
    with transaction.atomic():
        zone = PriceZone.objects.create(**values)
        catalog_log.record("zone", zone.pk, actor=actor, channel=channel, action="created")
    return zone


def zone_update(*, actor: Actor, channel: Channel, zone_id: int, **changes: Any) -> PriceZone:
    """Change the fields given; the zone as a whole is checked again (a kind change needs its fields)."""
    _staff(actor)
    _unknown(changes, ZONE_FIELDS)
    with transaction.atomic():
        zone = PriceZone.objects.select_for_update().filter(pk=zone_id).first()
        if zone is None:
            raise NotFound("zone")
        merged = {key: getattr(zone, key) for key in ZONE_FIELDS}
        merged.update(changes)
        _save_changes("zone", zone, _clean_zone(merged, zone_id=zone.pk), actor=actor, channel=channel)
    return zone


def zone_delete(*, actor: Actor, channel: Channel, zone_id: int) -> None:
    """Lines already priced keep their prices; the zone's name stays in their explanation."""
    _staff(actor)
    with transaction.atomic():
        zone = PriceZone.objects.select_for_update().filter(pk=zone_id).first()
        if zone is None:
            raise NotFound("zone")
        catalog_log.record("zone", zone.pk, actor=actor, channel=channel, action="deleted",
                       changes={"name": (zone.name, None)})
        zone.delete()

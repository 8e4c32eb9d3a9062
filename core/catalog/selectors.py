"""Reads of the tax rate list (decisions 0870-0872). Anyone signed in reads the list (a customer sees
the rate on a price); only staff change it (``core.catalog.services``).

The list is never empty when priced from: the first read that finds no rate at all (a fresh or flushed
database) adds "Tax 10%" as the default, the percent every item had before rates were named (the way
the complaint lists refill, decision 0934). A list whose rates are all inactive is left alone."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from core.actors import Actor

from .models import Product, Service, ServicePackage, TaxRate

FIRST_RATE = {"name": "Tax 10%", "percent": Decimal("10.00")}


def tax_rates(actor: Actor, *, active_only: bool = False) -> QuerySet[TaxRate]:
    if not actor.is_authenticated:
        return TaxRate.objects.none()
    rows = TaxRate.objects.all()
    return rows.filter(active=True) if active_only else rows


def default_rate() -> TaxRate:
    """The default rate: one query; a second and a write only when the list is empty."""
    found = TaxRate.objects.filter(is_default=True).first()
    if found is not None:
        return found
    found = TaxRate.objects.order_by("-active", "position", "name", "id").first()
    if found is not None:  # rates but no default (only by hand in the database): the first one
        return found
    try:
        with transaction.atomic():
            return TaxRate.objects.create(**FIRST_RATE, is_default=True)
    except IntegrityError:  # added by a concurrent first read
        return TaxRate.objects.get(is_default=True)


def rate_in_force(obj: Service | Product | ServicePackage, default: TaxRate | None = None) -> TaxRate:
    """The rate an item is priced at: its own, else the default (``default`` when the caller has it)."""
    if obj.named_tax_rate_id is not None:
        return obj.named_tax_rate
    return default if default is not None else default_rate()


def name_for_percent(rates: Iterable[TaxRate], percent: Decimal) -> str:
    """The name of the active rate of ``percent`` (the default first, then by list order); "" if none."""
    matching = [rate for rate in rates if rate.active and rate.percent == percent]
    matching.sort(key=lambda rate: (not rate.is_default, rate.position, rate.name.lower(), rate.pk))
    return matching[0].name if matching else ""

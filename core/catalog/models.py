from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.append_only import AppendOnly


class TaxRate(models.Model):
    """A named tax rate of the business ("GST 10%", "GST-free 0%"): a managed list (decision 0870).
    Services, products and packages point at one (none: the default); quote, invoice and booking lines
    copy its percent and name when priced, so changing a rate changes what is priced from then on only."""

    name = models.CharField(max_length=60)
    percent = models.DecimalField(max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
                                  help_text="Percent.")
    active = models.BooleanField(default=True, help_text="Inactive: kept where set, not chosen anew.")
    is_default = models.BooleanField(default=False, help_text="Used by items that name no rate; exactly one.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="catalog_tax_rate_name_ci"),
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="catalog_one_default_tax_rate"),
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="catalog_tax_rate_percent"),
        ]

    def __str__(self) -> str:
        return self.name


def _rate_field() -> models.ForeignKey:
    return models.ForeignKey(TaxRate, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="tax rate", help_text="Blank: the default tax rate.")


class ServiceCategory(models.Model):
    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "service categories"

    def __str__(self) -> str:
        return self.name


REBOOK_REMINDER_MAX_DAYS = 1095  # three years


class Service(models.Model):
    category = models.ForeignKey(ServiceCategory, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="services")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(5),
                                                                           MaxValueValidator(24 * 60)])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    named_tax_rate = _rate_field()
    active = models.BooleanField(default=True)
    rebook_reminder_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(REBOOK_REMINDER_MAX_DAYS)],
        help_text="Days after a completed job of this service to remind the customer to book again; "
                  "empty: no reminder (decision 0625).")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _one_item(prefix: str) -> models.CheckConstraint:
    """Exactly one of ``service`` and ``product`` is set."""
    return models.CheckConstraint(
        condition=(Q(service__isnull=False, product__isnull=True) | Q(service__isnull=True, product__isnull=False)),
        name=f"{prefix}_one_item")


MONEY: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}
PERCENT_HELP = "Percent."


class Product(models.Model):
    """Something sold by the unit beside the services (Settings > Products List)."""

    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    named_tax_rate = _rate_field()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class ServicePackage(models.Model):
    """Services and products sold together at one package price."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    named_tax_rate = _rate_field()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative")]

    def __str__(self) -> str:
        return self.name


class PackageItem(models.Model):
    package = models.ForeignKey(ServicePackage, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["package_id", "position", "id"]
        constraints = [_one_item("package_item"),
                       models.CheckConstraint(condition=Q(quantity__gt=0), name="package_item_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.service or self.product}"


class TierKind(models.TextChoices):
    PERCENT_OFF = "percent_off", "Percent off the base price"
    UNIT_PRICE = "unit_price", "Unit price for the band"


class VolumeTier(models.Model):
    """A bulk discount: a quantity band of one service or product. Bands of one item never overlap
    (``core.catalog.services.tiers_set`` replaces them as a whole)."""

    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="tiers")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.DecimalField(max_digits=8, decimal_places=2)
    max_quantity = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True,
                                       help_text="Inclusive; blank: no upper end.")
    kind = models.CharField(max_length=12, choices=TierKind.choices)
    value = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["service_id", "product_id", "min_quantity"]
        constraints = [_one_item("volume_tier"),
                       models.CheckConstraint(condition=Q(min_quantity__gt=0), name="volume_tier_min_positive"),
                       models.CheckConstraint(condition=Q(value__gte=0), name="volume_tier_value_not_negative")]

    def __str__(self) -> str:
        return f"{self.min_quantity}-{self.max_quantity or ''}: {self.kind} {self.value}"


class ZoneKind(models.TextChoices):
    POSTCODES = "postcodes", "A list of postcodes"
    RADIUS = "radius", "A radius around a point"


class AdjustmentKind(models.TextChoices):
    PERCENT = "percent", "Percent of the price"
    AMOUNT = "amount", "Amount per unit"


class PriceZone(models.Model):
    """A geographical adjustment of every price (Geographical Pricing). A property in several zones
    gets the one with the lowest ``priority`` (decision 0803); outside every zone, the base price."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=ZoneKind.choices)
    postcodes = models.JSONField(default=list, blank=True, help_text="Postcodes, upper case, no spaces.")
    latitude = models.FloatField(null=True, blank=True,
                                 validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(null=True, blank=True,
                                  validators=[MinValueValidator(-180), MaxValueValidator(180)])
    radius_km = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    adjustment_kind = models.CharField(max_length=10, choices=AdjustmentKind.choices)
    adjustment = models.DecimalField(**MONEY, help_text="Signed: negative lowers the price.")
    priority = models.PositiveIntegerField(default=100, help_text="Lower wins when zones overlap.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class CatalogLog(AppendOnly):
    """Append-only history of the catalogue: what was created or changed, by whom, through what.
    Written with its event by ``core.catalog.catalog_log.record`` only."""

    at = models.DateTimeField(default=timezone.now)
    entity = models.CharField(max_length=20)  # service, category, product, package, tiers, zone
    entity_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12)
    changes = models.JSONField(default=dict, blank=True, help_text="field: [before, after]")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["entity", "entity_id", "at"], name="catalog_log_entity_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id} {self.action} via {self.channel}"

    refused = "The catalogue log is append-only."

from django.contrib import admin
from django.db.models import Count

from core.service_admin import CHANNEL, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, service_action

from . import services
from .models import (
    CatalogLog,
    PackageItem,
    PriceZone,
    Product,
    Service,
    ServiceCategory,
    ServicePackage,
    TaxRate,
    VolumeTier,
)

SERVICE_FIELDS = ["name", "category", "description", "duration_minutes", "price", "named_tax_rate", "active",
                  "rebook_reminder_days"]
TAX_RATE_FIELDS = ["name", "percent", "active", "position"]


@admin.register(TaxRate)
class TaxRateAdmin(ServiceAdmin):
    """Settings > Tax Rates (decision 0870); written by the services. The default is chosen with the
    action; a rate in use is deactivated, not deleted."""

    list_display = ["name", "percent", "is_default", "active", "position"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = TAX_RATE_FIELDS
    actions = ["make_default", "delete_rates"]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.tax_rate_create(actor=actor, channel=CHANNEL, **{key: data[key] for key in TAX_RATE_FIELDS})
        return services.tax_rate_update(actor=actor, channel=CHANNEL, tax_rate_id=pk,
                                        **{key: data[key] for key in changed if key in TAX_RATE_FIELDS})

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Make the selected rate the default")
    def make_default(self, request, queryset):
        service_action(request, queryset[:1], lambda actor, pk: services.tax_rate_set_default(
            actor=actor, channel=CHANNEL, tax_rate_id=pk), "default set", admin_obj=self)

    @admin.action(description="Delete the selected rates (a rate in use is deactivated instead)")
    def delete_rates(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.tax_rate_delete(
            actor=actor, channel=CHANNEL, tax_rate_id=pk), "tax rates deleted", admin_obj=self)


def _rate_values(data: dict, keys) -> dict:
    """The form's ``named_tax_rate`` (a TaxRate or empty: the default) as the services' ``tax_rate_id``."""
    values = {key: data[key] for key in keys if key not in ("named_tax_rate", "category")}
    if "named_tax_rate" in keys:
        values["tax_rate_id"] = data["named_tax_rate"].pk if data["named_tax_rate"] else None
    return values


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(ServiceAdmin):
    list_display = ["name", "position", "service_count"]
    search_fields = ["name"]
    fields = ["name", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description="services", ordering="service_count")
    def service_count(self, obj: ServiceCategory) -> int:
        return obj.service_count

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.category_create(actor=actor, channel=CHANNEL, name=data["name"],
                                            position=data["position"])
        return services.category_update(actor=actor, channel=CHANNEL, category_id=pk,
                                        **{key: data[key] for key in changed if key in ("name", "position")})


class TierInline(ReadOnlyInline):
    """Volume tiers are set as a whole (``tiers_set``: no overlaps), through GraphQL ``setVolumeTiers``."""

    model = VolumeTier
    fields = ["min_quantity", "max_quantity", "kind", "value"]
    readonly_fields = fields


@admin.register(Service)
class CatalogServiceAdmin(ServiceAdmin):
    list_display = ["name", "category", "duration_minutes", "price", "named_tax_rate", "rebook_reminder_days",
                    "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "description"]
    list_select_related = ["category", "named_tax_rate"]
    fields = SERVICE_FIELDS
    inlines = [TierInline]

    @staticmethod
    def _values(data: dict, keys) -> dict:
        values = _rate_values(data, keys)
        if "category" in keys:
            values["category_id"] = data["category"].pk if data["category"] else None
        return values

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.service_create(actor=actor, channel=CHANNEL, **self._values(data, SERVICE_FIELDS))
        return services.service_update(actor=actor, channel=CHANNEL, service_id=pk,
                                       **self._values(data, [key for key in changed if key in SERVICE_FIELDS]))


PRODUCT_FIELDS = ["sku", "name", "description", "price", "named_tax_rate", "active"]


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    list_display = ["sku", "name", "price", "named_tax_rate", "active"]
    list_filter = ["active"]
    search_fields = ["sku", "name"]
    list_select_related = ["named_tax_rate"]
    fields = PRODUCT_FIELDS
    inlines = [TierInline]

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.product_create(actor=actor, channel=CHANNEL, **_rate_values(data, PRODUCT_FIELDS))
        return services.product_update(actor=actor, channel=CHANNEL, product_id=pk,
                                       **_rate_values(data, [key for key in changed if key in PRODUCT_FIELDS]))


class PackageItemInline(ReadOnlyInline):
    model = PackageItem
    fields = ["service", "product", "quantity"]
    readonly_fields = fields


PACKAGE_FIELDS = ["name", "description", "price", "named_tax_rate", "active"]


@admin.register(ServicePackage)
class ServicePackageAdmin(ServiceAdmin):
    """Name, price, tax and active here; a package's contents are given with it through GraphQL
    (``createServicePackage`` / ``updateServicePackage``), so a package is not added here."""

    list_display = ["name", "price", "named_tax_rate", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    list_select_related = ["named_tax_rate"]
    fields = PACKAGE_FIELDS
    inlines = [PackageItemInline]

    def has_add_permission(self, request) -> bool:
        return False

    def write(self, request, *, actor, pk, data, changed):
        return services.package_update(actor=actor, channel=CHANNEL, package_id=pk,
                                       **_rate_values(data, [key for key in changed if key in PACKAGE_FIELDS]))


ZONE_FIELDS = ["name", "kind", "postcodes", "latitude", "longitude", "radius_km", "adjustment_kind", "adjustment",
               "priority", "active"]


@admin.register(PriceZone)
class PriceZoneAdmin(ServiceAdmin):
    list_display = ["name", "kind", "adjustment_kind", "adjustment", "priority", "active"]
    list_filter = ["active", "kind"]
    search_fields = ["name"]
    fields = ZONE_FIELDS
    actions = ["delete_zones"]

    def write(self, request, *, actor, pk, data, changed):
        values = {key: data[key] for key in ZONE_FIELDS}
        values["postcodes"] = values["postcodes"] or []
        if pk is None:
            return services.zone_create(actor=actor, channel=CHANNEL, **values)
        return services.zone_update(actor=actor, channel=CHANNEL, zone_id=pk,
                                    **{key: values[key] for key in changed if key in ZONE_FIELDS})

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete the selected zones (lines already priced keep their prices)")
    def delete_zones(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.zone_delete(
            actor=actor, channel=CHANNEL, zone_id=pk), "zones deleted", admin_obj=self)


@admin.register(CatalogLog)
class CatalogLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "entity", "entity_id", "action", "actor_label", "channel"]
    list_filter = ["entity", "action", "channel"]

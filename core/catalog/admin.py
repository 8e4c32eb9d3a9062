from django.contrib import admin
from django.db.models import Count

from core.service_admin import CHANNEL, ServiceAdmin

from . import services
from .models import Service, ServiceCategory

SERVICE_FIELDS = ["name", "category", "description", "duration_minutes", "price", "tax_rate", "active"]


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


@admin.register(Service)
class CatalogServiceAdmin(ServiceAdmin):
    list_display = ["name", "category", "duration_minutes", "price", "tax_rate", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "description"]
    list_select_related = ["category"]
    fields = SERVICE_FIELDS

    @staticmethod
    def _values(data: dict, keys) -> dict:
        values = {key: data[key] for key in keys if key != "category"}
        if "category" in keys:
            values["category_id"] = data["category"].pk if data["category"] else None
        return values

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            return services.service_create(actor=actor, channel=CHANNEL, **self._values(data, SERVICE_FIELDS))
        return services.service_update(actor=actor, channel=CHANNEL, service_id=pk,
                                       **self._values(data, [key for key in changed if key in SERVICE_FIELDS]))

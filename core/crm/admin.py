from django.contrib import admin

from .models import Customer, Property, PropertyType


class PropertyInline(admin.TabularInline):
    model = Property
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "mobile", "automated_email_paused", "automated_sms_paused", "created_at"]
    search_fields = ["name", "email", "mobile"]
    list_filter = ["automated_email_paused", "automated_sms_paused"]
    inlines = [PropertyInline]


@admin.register(PropertyType)
class PropertyTypeAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "postcode", "city", "latitude", "longitude", "property_type"]
    search_fields = ["address", "postcode", "customer__name"]
    list_select_related = ["customer", "property_type"]

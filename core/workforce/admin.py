from django.contrib import admin

from .models import Fieldworker


@admin.register(Fieldworker)
class FieldworkerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "mobile", "status", "industry_label"]
    list_filter = ["status"]
    search_fields = ["name", "mobile", "user__email"]
    filter_horizontal = ["services"]

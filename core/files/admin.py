from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ServiceAdmin, service_action

from . import services
from .models import FileSettings, StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    """Files are shown, never opened from here (no public URL): staff download them through GraphQL's
    signed links. The action removes through the service (history, bytes after commit)."""

    list_display = ["created_at", "kind", "name", "booking", "customer", "quote", "size", "customer_visible",
                    "author_kind", "channel"]
    list_filter = ["kind", "customer_visible", "channel"]
    list_select_related = ["booking", "customer", "quote"]
    exclude = ["file", "thumbnail"]
    actions = ["remove"]

    @admin.action(description="Remove the selected files")
    def remove(self, request, queryset) -> None:
        service_action(request, queryset, lambda actor, pk: services.file_delete(
            actor=actor, channel=CHANNEL, file_id=pk), "file(s) removed", admin_obj=self)


@admin.register(FileSettings)
class FileSettingsAdmin(ServiceAdmin):
    fields = ["keep_image_metadata"]

    def has_add_permission(self, request) -> bool:
        return not FileSettings.objects.exists()

    def write(self, request, *, actor, pk, data, changed):
        return services.file_settings_update(actor=actor, channel=CHANNEL,
                                             keep_image_metadata=data["keep_image_metadata"])

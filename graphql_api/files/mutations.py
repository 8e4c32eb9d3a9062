from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.file_uploads import Upload
from strawberry.types import Info

from core.files import services

from ..errors import UserError, attempt
from ..ids import decode_id
from ..payloads import who
from .types import FileNode


@strawberry.type
class FilePayload:
    file: FileNode | None = None
    errors: list[UserError]


@strawberry.type
class DeleteFilePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError]


@strawberry.type(name="FileSettings")
class FileSettingsType:
    keep_image_metadata: bool


@strawberry.type
class FileSettingsPayload:
    file_settings: FileSettingsType | None = None
    errors: list[UserError]


def _name(upload) -> str:
    return getattr(upload, "name", "") or ""


@strawberry.type
class FilesMutation:
    @strawberry_django.mutation(description=(
        "Add a photo (PNG, JPEG, WebP) or a PDF to a booking (multipart request): staff, or a fieldworker who "
        "accepted the job. The type is found from the content; photos lose EXIF metadata unless the file "
        "settings keep it."))
    def upload_booking_file(self, info: Info, booking_id: strawberry.ID, file: Upload,
                            customer_visible: bool = False) -> FilePayload:
        return attempt(FilePayload, "file", lambda: services.file_upload_to_booking(
            **who(info), booking_id=decode_id(booking_id, "Booking", "bookingId"), upload=file, name=_name(file),
            customer_visible=customer_visible))

    @strawberry_django.mutation(description="Add a photo or PDF to a customer's record (staff; multipart request).")
    def upload_customer_file(self, info: Info, customer_id: strawberry.ID, file: Upload,
                             customer_visible: bool = False) -> FilePayload:
        return attempt(FilePayload, "file", lambda: services.file_upload_to_customer(
            **who(info), customer_id=decode_id(customer_id, "Customer", "customerId"), upload=file,
            name=_name(file), customer_visible=customer_visible))

    @strawberry_django.mutation(description=(
        "Attach a photo or PDF to a quote (staff; multipart request), in any state of the quote. One marked "
        "customerVisible shows on the quote's page for the customer once it is sent."))
    def upload_quote_file(self, info: Info, quote_id: strawberry.ID, file: Upload,
                          customer_visible: bool = False) -> FilePayload:
        return attempt(FilePayload, "file", lambda: services.file_upload_to_quote(
            **who(info), quote_id=decode_id(quote_id, "Quote", "quoteId"), upload=file, name=_name(file),
            customer_visible=customer_visible))

    @strawberry_django.mutation(description="Remove a file: staff, or the fieldworker who uploaded it.")
    def delete_file(self, info: Info, id: strawberry.ID) -> DeleteFilePayload:
        def work():
            services.file_delete(**who(info), file_id=decode_id(id, "File"))
            return id

        return attempt(DeleteFilePayload, "deleted_id", work)

    @strawberry_django.mutation(description="Whether photos keep their EXIF metadata, GPS included (staff).")
    def update_file_settings(self, info: Info, keep_image_metadata: bool) -> FileSettingsPayload:
        return attempt(FileSettingsPayload, "file_settings", lambda: FileSettingsType(
            keep_image_metadata=services.file_settings_update(
                **who(info), keep_image_metadata=keep_image_metadata).keep_image_metadata))

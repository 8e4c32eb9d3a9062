"""Files in GraphQL: ``File`` nodes, the ``files`` list of bookings, customers and quotes, signed links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry.types import Info

from core.files import links
from core.files.models import OWNERS, FileKind, Signature, StoredFile
from core.files.selectors import visible_files
from core.sales.quote_models import Quote

from ..context import actor_from_info
from ..nodes import PK

FileKindEnum = strawberry.enum(FileKind, name="FileKind")


@strawberry_django.type(Signature, name="Signature", description="Who signed, and when.")
class SignatureType:
    signer_name: str
    signer_kind: str
    signed_at: datetime


@strawberry_django.type(StoredFile, name="File",
                        description="A photo, PDF or drawn signature on a booking, a customer or a quote.")
class FileNode(relay.Node):
    _id_attr = PK
    kind: FileKindEnum  # type: ignore[valid-type]
    name: str = strawberry_django.field(description="The uploader's file name (shown; the stored name is ours).")
    content_type: str = strawberry_django.field(description="Found from the content, not the name.")
    size: int
    width: int | None
    height: int | None
    customer_visible: bool
    author_kind: str
    channel: str
    created_at: datetime

    @strawberry_django.field(only=["kind"], select_related=["signature"])
    def signature(self) -> SignatureType | None:
        return self.signature if self.kind == FileKind.SIGNATURE else None  # type: ignore[attr-defined,return-value]

    @strawberry_django.field(only=["id"], description=(
        "A download link made for you that works for a few minutes (FIELDOPS_FILE_LINK_SECONDS)."))
    def url(self, info: Info) -> str | None:
        return links.file_url(actor_from_info(info), self)  # type: ignore[arg-type]

    @strawberry_django.field(only=["id", "thumbnail"], description=(
        "A link of the image's thumbnail (JPEG, at most 320 pixels a side), null for PDFs and signatures."))
    def thumbnail_url(self, info: Info) -> str | None:
        return links.file_url(actor_from_info(info), self, "thumbnail")  # type: ignore[arg-type]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        actor = actor_from_info(info)
        return queryset if actor.is_staff else queryset.filter(pk__in=visible_files(actor).values("pk"))


def _prefetch(info: Info) -> Prefetch:
    rows = visible_files(actor_from_info(info)).select_related("signature").order_by("created_at", "id")
    return Prefetch("files", queryset=rows, to_attr="visible_files")


def files_field():
    """``files`` for Booking, Customer and Quote: the ones the caller may see, one query for a whole page."""

    @strawberry_django.field(prefetch_related=[_prefetch],
                             description="Files you may see (staff all; a customer those marked for them).")
    def files(self, info: Info) -> list[FileNode]:
        rows: Any = getattr(self, "visible_files", None)
        if rows is None:  # not reached through the optimiser (a mutation's payload)
            rows = list(visible_files(actor_from_info(info)).filter(**{_owner(self): self.pk})
                        .select_related("signature"))
        return rows

    return files


def _quote_prefetch(info: Info) -> Prefetch:
    rows = visible_files(actor_from_info(info)).select_related("signature").order_by("created_at", "id")
    return Prefetch("quotes", queryset=Quote.objects.only("id", "booking_id").prefetch_related(
        Prefetch("files", queryset=rows, to_attr="visible_files")), to_attr="source_quotes")


def quote_files_field():
    """``quoteFiles`` of a booking: the files of the quote it came from, as the caller may see them
    (decision 0944); two queries for a whole page."""

    @strawberry_django.field(prefetch_related=[_quote_prefetch], description=(
        "Files of the quote this booking was made from (site photos, drawings): staff all, the job's "
        "fieldworkers all, the customer those marked for them. Empty for a booking made otherwise."))
    def quote_files(self, info: Info) -> list[FileNode]:
        quotes: Any = getattr(self, "source_quotes", None)
        if quotes is None:  # not reached through the optimiser (a mutation's payload)
            return list(visible_files(actor_from_info(info)).filter(quote__booking_id=self.pk)  # type: ignore[attr-defined]
                        .select_related("signature").order_by("created_at", "id"))
        return [file for quote in quotes for file in quote.visible_files]

    return quote_files


def _owner(obj: Any) -> str:
    return f"{OWNERS[obj._meta.model_name]}_id"

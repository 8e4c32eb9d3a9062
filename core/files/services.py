"""Writes of files: uploads on bookings, customers and quotes, deletions, drawn signatures, the file settings.

Every check runs before a byte is written: who may (the owner is looked up through the actor's scope,
so someone else's booking is ``not_found``), the name, the content (``checks.inspect``). The bytes go
to the default storage under a name made here, then the row and its history are written; if that
fails, the new files are deleted again. A deleted file's bytes are removed after commit. A refusal
leaves the database and the storage as they were (decision 0921).
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
from collections.abc import Sequence
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import history
from core.bookings import policy as booking_policy
from core.bookings.models import Booking
from core.crm import customer_log
from core.crm.selectors import visible_customers
from core.errors import DomainError, NotFound, PermissionDenied
from core.sales import quote_history
from core.sales.quote_models import Quote
from core.sales.quote_selectors import visible_quotes

from . import checks
from .events import CustomerFileAdded, CustomerFileRemoved
from .models import FileKind, FileSettings, Signature, StoredFile
from .selectors import file_for, file_settings

MAX_SIGNER_NAME = 120


def _booking_for_writing(actor: Actor, booking_id: int) -> Booking:
    """The booking, if ``actor`` may add files to it: staff, or a fieldworker who accepted the job.
    One the actor cannot see is ``not_found``; one they see but may not write to, ``forbidden``."""
    booking = booking_policy.ensure_visible(Booking.objects.filter(pk=booking_id).first(), actor,
                                            booking_id=booking_id)
    if actor.is_staff or actor.is_system:
        return booking
    if actor.is_fieldworker:
        if not booking_policy.is_assigned(booking, actor, accepted_only=True):
            raise DomainError("not_accepted", "Accept the job first.")
        return booking
    raise PermissionDenied("Only staff and the job's fieldworkers add files.")


def _customer_for_writing(actor: Actor, customer_id: int) -> int:
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound("customer")
    if not actor.is_staff:
        raise PermissionDenied("Only staff add files to a customer.")
    return customer_id


def _quote_for_writing(actor: Actor, quote_id: int) -> Quote:
    """The quote, if ``actor`` may attach files to it: staff only. A quote the actor cannot see (a
    fieldworker any, a customer a draft or another's) is ``not_found``; their own sent one, ``forbidden``."""
    quote = visible_quotes(actor).filter(pk=quote_id).first()
    if quote is None:
        raise NotFound("quote", field="quoteId")
    if not (actor.is_staff or actor.is_system):
        raise PermissionDenied("Only staff add files to a quote.")
    return quote


def _storage_names(owner_kind: str, owner_id: int, extension: str) -> tuple[str, str]:
    stem = f"files/{owner_kind}s/{owner_id}/{secrets.token_hex(16)}"
    return f"{stem}.{extension}", f"{stem}.thumb.jpg"


def _save(name: str, data: bytes) -> str:
    return default_storage.save(name, ContentFile(data))


def _delete_quietly(*names: str) -> None:
    for name in names:
        if name:
            with contextlib.suppress(OSError):
                default_storage.delete(name)


def _store(*, actor: Actor, channel: Channel | str, owner_kind: str, owner_id: int, checked: checks.Checked,
           data: bytes, thumbnail: bytes | None, name: str, customer_visible: bool,
           signer_name: str = "", recorded: bool = True) -> StoredFile:
    """Write the bytes, then the row and its history in one transaction (the bytes go if it fails)."""
    file_name, thumb_name = _storage_names(owner_kind, owner_id, checked.extension)
    saved = _save(file_name, data)
    saved_thumb = _save(thumb_name, thumbnail) if thumbnail else ""
    try:
        with transaction.atomic():
            stored = StoredFile.objects.create(
                booking_id=owner_id if owner_kind == "booking" else None,
                customer_id=owner_id if owner_kind == "customer" else None,
                quote_id=owner_id if owner_kind == "quote" else None,
                kind=checked.kind, file=saved, thumbnail=saved_thumb, name=name, content_type=checked.content_type,
                size=len(data), width=checked.width, height=checked.height, customer_visible=customer_visible,
                uploaded_by=actor.user, author_kind=actor.kind, channel=str(channel))
            facts = {"file_id": stored.pk, "name": name, "kind": stored.kind, "size": stored.size,
                     "customer_visible": customer_visible}
            if checked.kind == FileKind.SIGNATURE:
                Signature.objects.create(file=stored, signer_name=signer_name, signer_kind=actor.kind,
                                         signed_at=stored.created_at)
                facts = {"file_id": stored.pk, "signer_name": signer_name}
            if not recorded:
                pass  # the caller's own history row stands for it (file_store_arrived)
            elif owner_kind == "booking":
                booking = Booking.objects.get(pk=owner_id)
                history.record(booking, actor=actor, channel=channel,
                               action="signed" if checked.kind == FileKind.SIGNATURE else "file_added", data=facts)
            elif owner_kind == "quote":
                quote_history.record(Quote.objects.get(pk=owner_id), actor=actor, channel=channel,
                                     action="file_added", data=facts)
            else:
                customer_log.record(owner_id, actor=actor, channel=channel, action="file_added",
                                    event=CustomerFileAdded, data=facts, file_id=stored.pk)
    except BaseException:
        _delete_quietly(saved, saved_thumb)
        raise
    return stored


@dataclasses.dataclass(frozen=True)
class Ready:
    """An upload that passed every check of its content and name: what will be stored, not yet written."""

    name: str
    checked: checks.Checked
    data: bytes
    thumbnail: bytes | None


def file_ready(*, upload: IO[bytes] | bytes, name: str | None) -> Ready:
    """Check an upload by its content and name and make what is stored (a photo without EXIF unless the
    company keeps it, its thumbnail); nothing is written. Raises ``DomainError`` as ``checks.inspect``."""
    name = checks.clean_name(name)
    checked = checks.inspect(upload)
    data, thumbnail = checked.data, None
    if checked.kind == FileKind.IMAGE:
        prepared = checks.prepare_image(checked, keep_metadata=file_settings().keep_image_metadata)
        data, thumbnail = prepared.data, prepared.thumbnail
        checked = dataclasses.replace(checked, width=prepared.width, height=prepared.height)
    return Ready(name=name, checked=checked, data=data, thumbnail=thumbnail)


def _upload(*, actor: Actor, channel: Channel | str, owner_kind: str, owner_id: int, upload: IO[bytes] | bytes,
            name: str | None, customer_visible: bool, recorded: bool = True) -> StoredFile:
    ready = file_ready(upload=upload, name=name)
    return _store(actor=actor, channel=channel, owner_kind=owner_kind, owner_id=owner_id, checked=ready.checked,
                  data=ready.data, thumbnail=ready.thumbnail, name=ready.name, customer_visible=customer_visible,
                  recorded=recorded)


def file_upload_to_booking(*, actor: Actor, channel: Channel | str, booking_id: int, upload: IO[bytes] | bytes,
                           name: str | None = None, customer_visible: bool = False) -> StoredFile:
    """A photo or PDF on a booking, by staff or a fieldworker who accepted the job."""
    booking = _booking_for_writing(actor, booking_id)
    return _upload(actor=actor, channel=channel, owner_kind="booking", owner_id=booking.pk, upload=upload,
                   name=name, customer_visible=customer_visible)


def file_upload_to_customer(*, actor: Actor, channel: Channel | str, customer_id: int, upload: IO[bytes] | bytes,
                            name: str | None = None, customer_visible: bool = False) -> StoredFile:
    """A photo or PDF on a customer's record, by staff."""
    _customer_for_writing(actor, customer_id)
    return _upload(actor=actor, channel=channel, owner_kind="customer", owner_id=customer_id, upload=upload,
                   name=name, customer_visible=customer_visible)


def file_upload_to_quote(*, actor: Actor, channel: Channel | str, quote_id: int, upload: IO[bytes] | bytes,
                         name: str | None = None, customer_visible: bool = False) -> StoredFile:
    """A photo or PDF attached to a quote, by staff, in any state of the quote (decision 0940); one marked
    customer-visible shows on the quote's page once the quote is sent."""
    quote = _quote_for_writing(actor, quote_id)
    return _upload(actor=actor, channel=channel, owner_kind="quote", owner_id=quote.pk, upload=upload, name=name,
                   customer_visible=customer_visible)


def quote_files_discard(*, quote_id: int) -> int:
    """The files of a draft quote being deleted (``core.sales.quotes.quote_delete``, in its transaction,
    whose history row stands for them): the rows now, the bytes after commit."""
    rows = list(StoredFile.objects.filter(quote_id=quote_id))
    names = [name for row in rows for name in (row.file.name, row.thumbnail.name)]
    StoredFile.objects.filter(pk__in=[row.pk for row in rows]).delete()
    if names:
        transaction.on_commit(lambda: _delete_quietly(*names))
    return len(rows)


def file_delete(*, actor: Actor, channel: Channel | str, file_id: int) -> int:
    """Remove a file: staff any; a fieldworker one they uploaded on a job they accepted. Signatures are
    staff's to remove. The bytes go after commit."""
    stored = file_for(actor, file_id)
    if stored is None:
        raise NotFound("file")
    own = (actor.is_fieldworker and stored.uploaded_by_id is not None and stored.uploaded_by_id == actor.user_id
           and stored.kind != FileKind.SIGNATURE)
    if not (actor.is_staff or own):
        raise PermissionDenied("Only staff, or who uploaded it, remove a file.")
    names = (stored.file.name, stored.thumbnail.name)
    with transaction.atomic():
        facts = {"file_id": stored.pk, "name": stored.name, "kind": stored.kind}
        if stored.booking_id is not None:
            booking = Booking.objects.get(pk=stored.booking_id)
            history.record(booking, actor=actor, channel=channel, action="file_removed", data=facts)
        elif stored.quote_id is not None:
            quote_history.record(Quote.objects.get(pk=stored.quote_id), actor=actor, channel=channel,
                                 action="file_removed", data=facts)
        else:
            customer_log.record(stored.customer_id, actor=actor, channel=channel, action="file_removed",
                                event=CustomerFileRemoved, data=facts, file_id=stored.pk)
        stored.delete()
        transaction.on_commit(lambda: _delete_quietly(*names))
    return file_id


def signature_add(*, actor: Actor, channel: Channel | str, booking_id: int, png: bytes,
                  signer_name: str) -> StoredFile:
    """A signature drawn on a booking (the portal for its customer; a signing link for a fieldworker who
    accepted the job; staff). Stored as a PNG with the signer's name and the time; customer-visible."""
    booking = booking_policy.ensure_visible(Booking.objects.filter(pk=booking_id).first(), actor,
                                            booking_id=booking_id)
    if actor.is_fieldworker and not booking_policy.is_assigned(booking, actor, accepted_only=True):
        raise DomainError("not_accepted", "Accept the job first.")
    if not (actor.is_staff or actor.is_fieldworker or actor.is_customer):
        raise NotFound("booking")
    signer_name = " ".join((signer_name or "").split())
    if not signer_name:
        raise DomainError("required", "Type the signer's name.", field="signer_name")
    if len(signer_name) > MAX_SIGNER_NAME:
        raise DomainError("too_long", f"At most {MAX_SIGNER_NAME} characters.", field="signer_name")
    checked = checks.check_signature(png)
    name = f"signature-{booking.number}-{timezone.now():%Y%m%d-%H%M}.png"
    return _store(actor=actor, channel=channel, owner_kind="booking", owner_id=booking.pk, checked=checked,
                  data=checked.data, thumbnail=None, name=name, customer_visible=True, signer_name=signer_name)


def file_settings_update(*, actor: Actor, channel: Channel | str, keep_image_metadata: bool) -> FileSettings:
    """Whether photos keep their EXIF metadata (location included). Staff only; applies to new uploads."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff change the file settings.")
    with transaction.atomic():
        row = FileSettings.objects.select_for_update().order_by("pk").first() or FileSettings()
        row.keep_image_metadata = bool(keep_image_metadata)
        row.save()
    return row


def file_bytes_discard(*, files: Sequence[StoredFile]) -> None:
    """The bytes of files whose rows went with the caller's own transaction when it rolled back (the
    writes of ``_store`` itself delete theirs when they fail)."""
    _delete_quietly(*(name for stored in files for name in (stored.file.name, stored.thumbnail.name)))


def file_store_arrived(*, actor: Actor, channel: Channel | str, booking_id: int, ready: Ready,
                       customer_visible: bool) -> StoredFile:
    """A file that came with a message recorded by its own service, already checked (``file_ready``):
    a photo a fieldworker sent from the chat (``core.chat.services.attachment_fetch``, not
    customer-visible) or an attachment of the customer's e-mail to a booking's thread
    (``core.outreach.inbound``, customer-visible; decision 0616). ``actor`` is who sent it; the right to
    send and the timeline row are the caller's (``attachment_added``, ``email_attachments``)."""
    return _store(actor=actor, channel=channel, owner_kind="booking", owner_id=booking_id, checked=ready.checked,
                  data=ready.data, thumbnail=ready.thumbnail, name=ready.name, customer_visible=customer_visible,
                  recorded=False)

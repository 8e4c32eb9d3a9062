"""The file services: what is stored, who may, and refusals that leave the database and the disk alone."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from core.actors import Actor, Channel
from core.bookings.models import BookingEvent
from core.crm.models import CustomerLog
from core.files import services
from core.files.models import FileKind, Signature, StoredFile
from core.files.selectors import visible_files
from tests import factories
from tests.core.support import assert_refused
from tests.media import stored_files

from .conftest import accepted_job, bomb_png, jpeg_with_gps, pdf_bytes, signature_png

G = Channel.GRAPHQL


def refused(media, call, code, **kwargs):
    """``call`` is refused with ``code``: no row changed (the whole database compared), no file on disk."""
    before = stored_files(media)
    error = assert_refused(call, code, **kwargs)
    assert stored_files(media) == before
    return error


def test_staff_upload_a_photo_it_is_stored_under_our_name_without_gps_with_a_thumbnail(db, media, published):
    staff = factories.staff_actor()
    booking = factories.booking()
    stored = services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk, upload=jpeg_with_gps(),
                                             name="kitchen.jpg")
    assert (stored.kind, stored.content_type, stored.name, stored.width, stored.height) == (
        FileKind.IMAGE, "image/jpeg", "kitchen.jpg", 400, 300)
    assert stored_files(media) == sorted([stored.file.name, stored.thumbnail.name])
    assert "kitchen" not in stored.file.name and stored.file.name.startswith(f"files/bookings/{booking.pk}/")
    with default_storage.open(stored.file.name) as handle:
        kept = handle.read()
    original = jpeg_with_gps()
    assert kept.endswith(original[original.index(b"\xff\xda"):])  # the compressed image itself, not re-encoded
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif() and "exif" not in image.info
        assert image.size == (400, 300)
    with default_storage.open(stored.thumbnail.name) as handle, Image.open(handle) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 320
    row = BookingEvent.objects.filter(booking=booking, action="file_added").get()
    assert row.data["file_id"] == stored.pk and row.channel == "graphql"
    assert "TimelineNoted" in published.names


def test_the_company_may_keep_photo_metadata(db, media):
    staff = factories.staff_actor()
    services.file_settings_update(actor=staff, channel=G, keep_image_metadata=True)
    photo = jpeg_with_gps()
    stored = services.file_upload_to_booking(actor=staff, channel=G, booking_id=factories.booking().pk,
                                             upload=photo, name="a.jpg")
    with default_storage.open(stored.file.name) as handle:
        assert handle.read() == photo  # as uploaded, GPS and all


def test_a_sideways_photo_is_turned_upright_when_its_exif_goes(db, media):
    stored = services.file_upload_to_booking(actor=factories.staff_actor(), channel=G,
                                             booking_id=factories.booking().pk,
                                             upload=jpeg_with_gps(400, 300, orientation=6), name="side.jpg")
    with default_storage.open(stored.file.name) as handle, Image.open(handle) as image:
        assert image.size == (300, 400) and not image.getexif()
    assert (stored.width, stored.height) == (300, 400)


def test_a_pdf_is_found_by_content_whatever_its_name(db, media):
    stored = services.file_upload_to_customer(actor=factories.staff_actor(), channel=G,
                                              customer_id=factories.customer().pk, upload=pdf_bytes(),
                                              name="notes.txt", customer_visible=True)
    assert (stored.kind, stored.content_type, stored.thumbnail.name) == (FileKind.PDF, "application/pdf", "")
    assert stored.file.name.endswith(".pdf")
    assert CustomerLog.objects.filter(customer_id=stored.customer_id, action="file_added").count() == 1


SCRIPT = b"<script>alert(document.cookie)</script>\n" + b"x" * 200


@pytest.mark.parametrize("content, name, code", [
    (SCRIPT, "photo.jpg", "file_type_refused"),  # a script disguised as a JPEG
    (b"\xff\xd8\xff\xe0" + SCRIPT, "photo.jpg", "file_type_refused"),  # with a JPEG's first bytes
    (b"GIF89a" + b"\x00" * 40, "a.gif", "file_type_refused"),
    (b"", "empty.jpg", "file_empty"),
    (jpeg_with_gps(), "../../etc/passwd.jpg", "file_name_invalid"),  # a path in the file name
    (jpeg_with_gps(), "C:\\photos\\a.jpg", "file_name_invalid"),
    (jpeg_with_gps(), "a\x00.jpg", "file_name_invalid"),
    (b"%PDF-1.4\n<< truncated", "a.pdf", "file_type_refused"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(db, media, content, name, code):
    booking = factories.booking()
    staff = factories.staff_actor()
    error = refused(media, lambda: services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk,
                                                                    upload=content, name=name), code)
    assert error.field == "file"


def test_an_oversized_file_is_refused_by_its_type_cap(db, media, settings):
    settings.FIELDOPS_FILE_MAX_BYTES = {"image": 20_000, "pdf": 50_000, "signature": 200_000}
    staff = factories.staff_actor()
    booking = factories.booking()
    big = jpeg_with_gps(1600, 1200) + b"\x00" * 20_000
    error = refused(media, lambda: services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk,
                                                                    upload=big, name="big.jpg"), "file_over_cap")
    assert error.data == {"maxBytes": 20_000}
    pdf = pdf_bytes()[:-7] + b"0" * 30_000 + b"\n%%EOF\n"  # over the image cap, inside the PDF cap
    assert services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk, upload=pdf,
                                           name="a.pdf").kind == FileKind.PDF


def test_a_decompression_bomb_is_refused_without_decoding(db, media, settings):
    bomb = bomb_png()
    assert len(bomb) < 200_000  # small on the wire, 144 megapixels once decoded
    staff = factories.staff_actor()
    booking = factories.booking()
    refused(media, lambda: services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk,
                                                            upload=bomb, name="bomb.png"), "image_too_many_pixels")
    settings.FIELDOPS_IMAGE_MAX_PIXELS = 100_000  # our own cap, below Pillow's warning
    refused(media, lambda: services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk,
                                                            upload=jpeg_with_gps(400, 300), name="a.jpg"),
            "image_too_many_pixels")


def test_who_may_upload_to_a_booking(db, media):
    booking, fieldworker = accepted_job()
    worker = Actor.for_fieldworker(fieldworker)
    assert services.file_upload_to_booking(actor=worker, channel=Channel.TELEGRAM, booking_id=booking.pk,
                                           upload=jpeg_with_gps(), name="done.jpg").uploaded_by_id == fieldworker.user_id
    stranger = Actor.for_fieldworker(factories.fieldworker())
    other = factories.booking()
    customer = Actor.for_customer(booking.customer)
    refused(media, lambda: services.file_upload_to_booking(actor=stranger, channel=G, booking_id=booking.pk,
                                                            upload=jpeg_with_gps(), name="a.jpg"), "not_found")
    refused(media, lambda: services.file_upload_to_booking(actor=customer, channel=G, booking_id=other.pk,
                                                            upload=jpeg_with_gps(), name="a.jpg"), "not_found")
    refused(media, lambda: services.file_upload_to_booking(actor=customer, channel=G, booking_id=booking.pk,
                                                            upload=jpeg_with_gps(), name="a.jpg"), "forbidden")
    refused(media, lambda: services.file_upload_to_booking(actor=worker, channel=G, booking_id=booking.pk + 999,
                                                            upload=jpeg_with_gps(), name="a.jpg"), "not_found")


def test_an_offered_fieldworker_must_accept_first(db, media):
    from core.bookings import services as booking_services

    fieldworker = factories.fieldworker()
    booking = factories.booking()
    booking_services.booking_assign(actor=factories.staff_actor(), channel=G, booking_id=booking.pk,
                                    fieldworker_id=fieldworker.pk, override_availability=True)
    refused(media, lambda: services.file_upload_to_booking(
        actor=Actor.for_fieldworker(fieldworker), channel=G, booking_id=booking.pk, upload=jpeg_with_gps(),
        name="a.jpg"), "not_accepted")
    assert not StoredFile.objects.exists()


def test_who_sees_which_files(db, media):
    booking, fieldworker = accepted_job()
    staff = factories.staff_actor()
    internal = services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk, upload=pdf_bytes(),
                                               name="internal.pdf")
    shared = services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk, upload=pdf_bytes(),
                                             name="shared.pdf", customer_visible=True)
    on_customer = services.file_upload_to_customer(actor=staff, channel=G, customer_id=booking.customer_id,
                                                   upload=pdf_bytes(), name="c.pdf", customer_visible=True)
    ids = lambda actor: set(visible_files(actor).values_list("pk", flat=True))  # noqa: E731
    assert ids(staff) == {internal.pk, shared.pk, on_customer.pk}
    assert ids(Actor.for_fieldworker(fieldworker)) == {internal.pk, shared.pk}
    assert ids(Actor.for_customer(booking.customer)) == {shared.pk, on_customer.pk}
    assert ids(Actor.for_customer(factories.customer())) == set()
    assert ids(Actor.for_fieldworker(factories.fieldworker())) == set()
    assert ids(Actor.anonymous()) == set()


def test_delete_removes_the_row_then_the_bytes_after_commit(db, media, django_capture_on_commit_callbacks):
    booking, fieldworker = accepted_job()
    worker = Actor.for_fieldworker(fieldworker)
    staff = factories.staff_actor()
    mine = services.file_upload_to_booking(actor=worker, channel=G, booking_id=booking.pk, upload=jpeg_with_gps(),
                                           name="a.jpg")
    theirs = services.file_upload_to_booking(actor=staff, channel=G, booking_id=booking.pk, upload=pdf_bytes(),
                                             name="b.pdf")
    refused(media, lambda: services.file_delete(actor=worker, channel=G, file_id=theirs.pk), "forbidden")
    refused(media, lambda: services.file_delete(actor=Actor.for_customer(booking.customer), channel=G,
                                                file_id=theirs.pk), "not_found")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_delete(actor=worker, channel=G, file_id=mine.pk)
    assert not StoredFile.objects.filter(pk=mine.pk).exists()
    assert stored_files(media) == [theirs.file.name]
    assert BookingEvent.objects.filter(booking=booking, action="file_removed").count() == 1


def test_a_signature_is_a_png_with_a_name_and_a_time(db, media):
    booking = factories.booking()
    customer = Actor.for_customer(booking.customer)
    stored = services.signature_add(actor=customer, channel=Channel.PORTAL, booking_id=booking.pk,
                                    png=signature_png(), signer_name="  Ada   Lovelace ")
    signature = Signature.objects.get(file=stored)
    assert (stored.kind, stored.customer_visible, signature.signer_name, signature.signer_kind) == (
        FileKind.SIGNATURE, True, "Ada Lovelace", "customer")
    assert BookingEvent.objects.get(booking=booking, action="signed").data == {
        "file_id": stored.pk, "signer_name": "Ada Lovelace"}


@pytest.mark.parametrize("png, name, code", [
    (signature_png(ink=False), "Ada", "signature_blank"),
    (b"", "Ada", "signature_blank"),
    (SCRIPT, "Ada", "file_type_refused"),
    (jpeg_with_gps(), "Ada", "file_type_refused"),
    (signature_png(), "   ", "required"),
])
def test_bad_signatures_are_refused(db, media, png, name, code):
    booking = factories.booking()
    refused(media, lambda: services.signature_add(actor=Actor.for_customer(booking.customer), channel=Channel.PORTAL,
                                                  booking_id=booking.pk, png=png, signer_name=name), code)
    assert not Signature.objects.exists() and not StoredFile.objects.exists()


def test_someone_elses_booking_cannot_be_signed(db, media):
    booking = factories.booking()
    stranger = Actor.for_customer(factories.customer())
    refused(media, lambda: services.signature_add(actor=stranger, channel=Channel.PORTAL, booking_id=booking.pk,
                                                  png=signature_png(), signer_name="Eve"), "not_found")

    assert not Signature.objects.exists() and not StoredFile.objects.exists()

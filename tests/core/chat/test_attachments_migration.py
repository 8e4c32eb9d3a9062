"""Migration chat.0003 on a database that holds chat photos: each stored photo becomes a file of its
booking naming the same bytes; pending and failed ones stay as they were (decision 0926)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.migrations import migrate_to

BEFORE = [("chat", "0002_drop_indexes_covered_by_composites"), ("files", "0001_initial")]
AFTER = [("chat", "0003_attachments_are_stored_files")]


@pytest.mark.django_db(transaction=True)
def test_stored_chat_photos_become_files_of_their_booking(back_to_the_latest):
    from tests import factories

    booking = factories.booking()
    old = migrate_to(BEFORE)
    try:
        Attachment = old.get_model("chat", "BookingAttachment")
        common = {"booking_id": booking.pk, "author_kind": "fieldworker", "channel": "telegram",
                  "created_at": timezone.now()}
        stored = Attachment.objects.create(file=f"bookings/{booking.pk}/UNIQ1.jpg", content_type="image/jpeg",
                                           size=1234, status="stored", telegram_file_unique_id="UNIQ1", **common)
        pending = Attachment.objects.create(status="pending", telegram_file_unique_id="UNIQ2", **common)
    finally:
        new = migrate_to(AFTER)
    Attachment, StoredFile = new.get_model("chat", "BookingAttachment"), new.get_model("files", "StoredFile")
    row = StoredFile.objects.get()
    assert (row.booking_id, row.kind, row.file.name, row.name, row.size, row.customer_visible, row.channel) == (
        booking.pk, "image", f"bookings/{booking.pk}/UNIQ1.jpg", "UNIQ1.jpg", 1234, False, "telegram")
    assert Attachment.objects.get(pk=stored.pk).stored_file_id == row.pk
    assert Attachment.objects.get(pk=pending.pk).stored_file_id is None

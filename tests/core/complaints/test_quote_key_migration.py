"""Migration complaints.0003 on a database whose complaints hold plain quote ids: each id naming a quote
becomes the foreign key's value; one naming no quote is dropped only from a complaint that names a
booking too (decision 0943)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.migrations import migrate_to

BEFORE = [("complaints", "0002_seed_lists")]
AFTER = [("complaints", "0003_quote_foreign_key")]


@pytest.mark.django_db(transaction=True)
def test_plain_quote_ids_become_the_foreign_key(back_to_the_latest):
    from core.actors import Actor, Channel
    from core.sales import quotes
    from tests import factories

    booking = factories.booking()
    staff = Actor.from_user(factories.staff_user())
    quote = quotes.quote_create(actor=staff, channel=Channel.SYSTEM, customer_id=booking.customer_id)
    old = migrate_to(BEFORE)
    try:
        Complaint, Status = old.get_model("complaints", "Complaint"), old.get_model("complaints", "ComplaintStatus")
        common = {"customer_id": booking.customer_id, "status": Status.objects.filter(is_resolved=False).first(),
                  "raised_by_kind": "staff", "channel": "graphql", "created_at": timezone.now()}
        on_quote = Complaint.objects.create(quote_id=quote.pk, description="on the quote", **common)
        on_both = Complaint.objects.create(booking_id=booking.pk, quote_id=quote.pk, description="both", **common)
        dangling = Complaint.objects.create(booking_id=booking.pk, quote_id=987654, description="gone", **common)
    finally:
        new = migrate_to(AFTER)
    Complaint = new.get_model("complaints", "Complaint")
    assert {row.pk: (row.booking_id, row.quote_id) for row in Complaint.objects.all()} == {
        on_quote.pk: (None, quote.pk), on_both.pk: (booking.pk, quote.pk), dangling.pk: (booking.pk, None)}

"""Migration crm.0006 on an inbox that already holds inquiries: the open/resolved status is kept,
the stage is contacted where staff replied (else new), the lead source follows the channel, and a
stranger's number or address becomes the prospect's (decision 0160)."""

from __future__ import annotations

import pytest

from tests.migrations import migrate_to

BEFORE = [("crm", "0005_customer_mobile_e164")]
AFTER = [("crm", "0006_leads_and_lead_sources")]


@pytest.mark.django_db(transaction=True)
def test_existing_inquiries_are_mapped_and_keep_their_status(back_to_the_latest):
    old = migrate_to(BEFORE)
    try:
        Inquiry, Entry, Customer = (old.get_model("crm", name) for name in ("Inquiry", "InquiryEntry", "Customer"))
        customer = Customer.objects.create(name="Known", email="known@example.com", mobile="+61400000001")

        def make(channel, contact, status="open", customer=None, replied=False):
            row = Inquiry.objects.create(channel=channel, contact=contact, status=status, body="x", customer=customer)
            Entry.objects.create(inquiry=row, action="opened", actor_kind="system", channel=channel)
            if replied:
                Entry.objects.create(inquiry=row, action="replied", actor_kind="staff", channel="graphql")
            return row.pk

        sms = make("sms", "0499 111 222", replied=True)
        mailed = make("email_link", "Sam@Example.com", status="resolved")
        known = make("sms", "+61400000001", customer=customer)
        odd = make("telegram", "not a number", status="resolved")
    finally:
        new = migrate_to(AFTER)
    rows = {row.pk: row for row in new.get_model("crm", "Inquiry").objects.select_related("lead_source")}
    sources = {s.door: s.name for s in new.get_model("crm", "LeadSource").objects.all()}
    assert sources == {"website": "Website form", "portal": "Customer portal", "sms": "SMS",
                       "staff": "Entered by staff"}

    def seen(pk):
        row = rows[pk]
        return (row.status, row.lead_status, row.lead_source.door if row.lead_source else None, row.prospect_mobile,
                row.prospect_email)

    assert seen(sms) == ("open", "contacted", "sms", "+61499111222", "")
    assert seen(mailed) == ("resolved", "new", "portal", "", "sam@example.com")
    assert seen(known) == ("open", "new", "sms", "", "")  # a customer's: no prospect
    assert seen(odd) == ("resolved", "new", None, "", "")

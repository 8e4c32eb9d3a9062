"""Business e-mail authentication from the outside (decisions 0640-0642): staff add a sending domain
over GraphQL and read the records to publish; a DNS server on 127.0.0.1 serves them and
``checkEmailDomain`` verifies; a booking confirmation then goes through the signing SMTP backend to
an SMTP server on 127.0.0.1 from the business's own address with a DKIM-Signature that ``dkim.verify``
accepts with the key the DNS server gives. Records gone: the daily job marks the domain failing
(staff told once) and mail leaves unsigned from the default address. Bad input changes nothing; the
private key shows nowhere."""

from __future__ import annotations

import email
import logging
from email import policy
from pathlib import Path

import dkim
import pytest
from django.core import mail

from core.actors import Actor, Channel
from core.company.models import TradingName
from core.outreach import mailauth, tasks
from core.outreach.models import EmailDomain
from core.sales import invoices
from tests import factories
from tests.core.outreach.support import db_state, deliver, set_company
from tests.core.sales.support import completed_booking
from tests.dns_server import SPF_INCLUDE, FakeDns
from tests.graphql_api.conftest import gid
from tests.graphql_api.over_http import gql, sign_in

pytestmark = pytest.mark.django_db

RECORDS = "records { purpose name type value strings required ok found error }"
DOMAIN_FIELDS = f"id domain status selector nextSelector retiredSelector checkedAt tradingName {{ name }} {RECORDS}"
ERRORS = "errors { code field message }"
ADD = f"""mutation($input: AddEmailDomainInput!) {{ addEmailDomain(input: $input) {{
  emailDomain {{ {DOMAIN_FIELDS} }} {ERRORS} }} }}"""
CHECK = f"""mutation($id: ID!) {{ checkEmailDomain(id: $id) {{ emailDomain {{ {DOMAIN_FIELDS} }} {ERRORS} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ rotateEmailDomainKey(id: $id) {{ emailDomain {{ {DOMAIN_FIELDS} }} {ERRORS} }} }}"""
REMOVE = f"""mutation($id: ID!) {{ removeEmailDomain(id: $id) {{ deletedId {ERRORS} }} }}"""
LIST = f"""{{ emailDomains {{ edges {{ node {{ {DOMAIN_FIELDS} }} }} }} }}"""


@pytest.fixture
def signing_smtp(smtp_server, settings):
    settings.EMAIL_BACKEND = "core.outreach.mailer.SmtpBackend"
    return smtp_server


@pytest.fixture
def staff_user():
    user = factories.staff_user()
    set_company(name="Sparkle Cleaning", email="office@sparkle.example")
    return user


def add(user, domain: str, **extra) -> dict:
    return gql(user, ADD, input={"domain": domain, **extra})["addEmailDomain"]


def verified_domain(user, server: FakeDns) -> dict:
    added = add(user, "Sparkle.Example.")
    assert added["errors"] == []
    server.publish(added["emailDomain"]["records"])
    checked = gql(user, CHECK, id=added["emailDomain"]["id"])["checkEmailDomain"]
    assert checked["errors"] == [] and checked["emailDomain"]["status"] == "VERIFIED", checked
    return checked["emailDomain"]


def received(server) -> tuple[str, bytes, email.message.EmailMessage]:
    assert len(server.received) == 1
    mail_from, _rcpt, raw = server.received.pop()
    return mail_from, raw, email.message_from_bytes(raw, policy=policy.default)


def test_add_publish_check_then_a_confirmation_leaves_signed_and_verifies(staff_user, dns_server, signing_smtp):
    added = add(staff_user, "Sparkle.Example.")
    assert added["errors"] == []
    domain = added["emailDomain"]
    assert (domain["domain"], domain["status"], domain["checkedAt"]) == ("sparkle.example", "PENDING", None)
    by_purpose = {record["purpose"]: record for record in domain["records"]}
    assert set(by_purpose) == {"dkim", "spf", "dmarc"}
    dkim_record = by_purpose["dkim"]
    assert dkim_record["name"] == f"{domain['selector']}._domainkey.sparkle.example"
    assert dkim_record["value"].startswith("v=DKIM1; k=rsa; p=")
    assert len(dkim_record["strings"]) == 2 and all(len(part) <= 255 for part in dkim_record["strings"])
    assert "".join(dkim_record["strings"]) == dkim_record["value"]
    assert by_purpose["spf"] == {
        **by_purpose["spf"],
        "name": "sparkle.example",
        "value": f"v=spf1 include:{SPF_INCLUDE} ~all",
        "ok": None,
    }
    assert by_purpose["dmarc"]["name"] == "_dmarc.sparkle.example"

    # not published yet: the check finds nothing and the domain stays pending; mail is as before
    pending = gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]["emailDomain"]
    assert pending["status"] == "PENDING" and {r["purpose"]: r["ok"] for r in pending["records"]} == {
        "dkim": False,
        "spf": False,
        "dmarc": False,
    }

    dns_server.publish(domain["records"])
    checked = gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]["emailDomain"]
    assert checked["status"] == "VERIFIED" and all(record["ok"] for record in checked["records"])
    assert (f"{domain['selector']}._domainkey.sparkle.example.", "TXT") in dns_server.queries

    booking = factories.booking()
    deliver()
    mail_from, raw, parsed = received(signing_smtp)
    assert parsed["From"] == "Sparkle Cleaning <office@sparkle.example>" and mail_from == "office@sparkle.example"
    assert f"s={domain['selector']}" in parsed["DKIM-Signature"] and "d=sparkle.example" in parsed["DKIM-Signature"]
    assert booking.number and str(booking.number) in parsed["Subject"]
    assert dkim.verify(raw, dnsfunc=dns_server.dkim_lookup)
    # the check can fail: a changed body, or a key the DNS does not hold, does not verify
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    word = text.split()[0].encode()
    assert word in raw.split(b"\r\n\r\n", 1)[1]
    head, body = raw.split(b"\r\n\r\n", 1)
    assert not dkim.verify(head + b"\r\n\r\n" + body.replace(word, word + b"x", 1), dnsfunc=dns_server.dkim_lookup)
    dns_server.clear()
    assert not dkim.verify(raw, dnsfunc=dns_server.dkim_lookup)


def test_an_invoice_with_its_pdf_is_signed_too(staff_user, dns_server, signing_smtp, settings):
    """The backend signs whatever passes through it: a multipart message with a PDF attached."""
    verified_domain(staff_user, dns_server)
    mail.EmailMessage(
        "Invoice INV-1001",
        "Attached.",
        "Sparkle Cleaning <office@sparkle.example>",
        ["dana@example.com"],
        attachments=[("invoice.pdf", b"%PDF-1.7 fake", "application/pdf")],
    ).send()
    _from, raw, parsed = received(signing_smtp)
    assert parsed.get_content_type() == "multipart/mixed" and "DKIM-Signature" in parsed
    assert dkim.verify(raw, dnsfunc=dns_server.dkim_lookup)
    # another domain's From is sent as before, unsigned
    mail.EmailMessage("Hello", "Hi", "someone@elsewhere.example", ["dana@example.com"]).send()
    _from, raw, parsed = received(signing_smtp)
    assert "DKIM-Signature" not in parsed


def test_records_gone_the_daily_job_marks_failing_tells_staff_once_and_mail_goes_unsigned(
    staff_user, dns_server, signing_smtp, settings
):
    domain = verified_domain(staff_user, dns_server)
    dns_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.check_email_domains.call() == 1
    deliver()  # the notice task queued with the change
    row = EmailDomain.objects.get(domain="sparkle.example")
    assert row.status == "failing" and row.failing_since is not None and row.failing_notice_at is not None
    assert [m.to for m in mail.outbox] == [[staff_user.email]]
    assert "sparkle.example" in mail.outbox[0].subject and "dkim" in mail.outbox[0].body
    # the next day's run, still failing: no second notice
    assert tasks.check_email_domains.call() == 1
    deliver()
    assert len(mail.outbox) == 1
    listed = gql(staff_user, LIST)["emailDomains"]["edges"][0]["node"]
    assert listed["status"] == "FAILING" and not any(record["ok"] for record in listed["records"])

    settings.EMAIL_BACKEND = "core.outreach.mailer.SmtpBackend"
    factories.booking()
    deliver()
    _from, raw, parsed = received(signing_smtp)
    assert parsed["From"] == "Sparkle <bookings@sparkle.example>"  # DEFAULT_FROM_EMAIL, as before
    assert "DKIM-Signature" not in parsed

    # published again: verified again by staff, signed again
    dns_server.publish(domain["records"])
    again = gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]["emailDomain"]
    assert again["status"] == "VERIFIED"
    factories.booking()
    deliver()
    _from, raw, parsed = received(signing_smtp)
    assert parsed["From"] == "Sparkle Cleaning <office@sparkle.example>"
    assert dkim.verify(raw, dnsfunc=dns_server.dkim_lookup)


def test_dns_not_answering_changes_no_status(staff_user, dns_server, settings):
    domain = verified_domain(staff_user, dns_server)
    dns_server.stop()
    settings.EMAIL_DNS_TIMEOUT = 0.3
    tasks.check_email_domains.call()
    row = EmailDomain.objects.get(pk=EmailDomain.objects.get().pk)
    assert row.status == "verified" and row.results["dkim"]["error"]
    assert row.results["dmarc"]["error"].startswith("not asked")  # one wait, not one per record
    assert gql(staff_user, LIST)["emailDomains"]["edges"][0]["node"]["id"] == domain["id"]


def test_key_rotation_publishes_a_new_selector_and_switches_once_it_is_found(staff_user, dns_server, signing_smtp):
    domain = verified_domain(staff_user, dns_server)
    rotated = gql(staff_user, ROTATE, id=domain["id"])["rotateEmailDomainKey"]
    assert rotated["errors"] == []
    new = rotated["emailDomain"]
    assert new["nextSelector"] and new["nextSelector"] != domain["selector"] and new["selector"] == domain["selector"]
    next_record = next(r for r in new["records"] if r["purpose"] == "next_dkim")
    assert next_record["required"] is False and next_record["ok"] is None
    again = gql(staff_user, ROTATE, id=domain["id"])["rotateEmailDomainKey"]
    assert [e["code"] for e in again["errors"]] == ["rotation_pending"]

    # its record not out yet: still signing with the old key
    still = gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]["emailDomain"]
    assert (still["status"], still["selector"]) == ("VERIFIED", domain["selector"])
    dns_server.txt(next_record["name"], *next_record["strings"])
    switched = gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]["emailDomain"]
    assert (switched["selector"], switched["nextSelector"], switched["retiredSelector"]) == (
        new["nextSelector"],
        "",
        domain["selector"],
    )
    assert {r["purpose"] for r in switched["records"]} == {"dkim", "spf", "dmarc"}

    factories.booking()
    deliver()
    _from, raw, parsed = received(signing_smtp)
    assert f"s={new['nextSelector']}" in parsed["DKIM-Signature"]
    assert dkim.verify(raw, dnsfunc=dns_server.dkim_lookup)


def test_a_trading_names_domain_signs_its_invoices_with_the_pdf_from_its_address(staff_user, dns_server, signing_smtp):
    invoice = draft_invoice()
    TradingName.objects.filter(pk=invoice.trading_name_id).update(sender_name="Brand", email="accounts@brand.example")
    added = add(staff_user, "brand.example", tradingNameId=gid("TradingName", invoice.trading_name_id))
    assert added["errors"] == [] and added["emailDomain"]["tradingName"]["name"] == invoice.trading_name.name
    dns_server.publish(added["emailDomain"]["records"])
    assert gql(staff_user, CHECK, id=added["emailDomain"]["id"])["checkEmailDomain"]["emailDomain"]["status"] == (
        "VERIFIED"
    )
    deliver()
    signing_smtp.received.clear()
    invoices.invoice_issue(actor=Actor.from_user(staff_user), channel=Channel.GRAPHQL, invoice_id=invoice.pk)
    deliver()
    _from, raw, parsed = received(signing_smtp)
    assert parsed["From"] == "Brand <accounts@brand.example>" and "d=brand.example" in parsed["DKIM-Signature"]
    assert [part.get_filename() for part in parsed.iter_attachments()] == [f"invoice-{invoice.number}.pdf"]
    assert dkim.verify(raw, dnsfunc=dns_server.dkim_lookup)


def draft_invoice():
    booking = completed_booking(price="80.00")
    return invoices.invoice_create_from_booking(
        actor=factories.staff_actor(), channel=Channel.GRAPHQL, booking_id=booking.pk
    )


def test_bad_input_is_refused_and_changes_nothing(staff_user, dns_server):
    domain = add(staff_user, "sparkle.example")["emailDomain"]
    outsiders = (factories.customer(with_login=True).user, factories.fieldworker().user)
    sign_in(*outsiders)
    before = db_state()
    cases = [
        (ADD, {"input": {"domain": "not a domain"}}, "addEmailDomain", "invalid_domain", "domain"),
        (ADD, {"input": {"domain": "localhost"}}, "addEmailDomain", "invalid_domain", "domain"),
        (ADD, {"input": {"domain": "-bad-.example"}}, "addEmailDomain", "invalid_domain", "domain"),
        (ADD, {"input": {"domain": "SPARKLE.example."}}, "addEmailDomain", "duplicate", "domain"),
        (
            ADD,
            {"input": {"domain": "ok.example", "tradingNameId": gid("TradingName", 99999)}},
            "addEmailDomain",
            "not_found",
            "tradingNameId",
        ),
        (CHECK, {"id": gid("EmailDomain", 99999)}, "checkEmailDomain", "not_found", "id"),
        (CHECK, {"id": gid("Booking", 1)}, "checkEmailDomain", "invalid_id", "id"),
        (ROTATE, {"id": domain["id"]}, "rotateEmailDomainKey", "domain_not_verified", None),
        (ROTATE, {"id": gid("EmailDomain", 99999)}, "rotateEmailDomainKey", "not_found", "id"),
        (REMOVE, {"id": gid("EmailDomain", 99999)}, "removeEmailDomain", "not_found", "id"),
    ]
    for document, variables, name, code, field in cases:
        payload = gql(staff_user, document, **variables)[name]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], (variables, payload)
        assert db_state() == before

    # a customer or a fieldworker: refused, and the list is closed to them
    for outsider in outsiders:
        payload = gql(outsider, ADD, input={"domain": "mine.example"})["addEmailDomain"]
        assert [e["code"] for e in payload["errors"]] == ["forbidden"]
        payload = gql(outsider, REMOVE, id=domain["id"])["removeEmailDomain"]
        assert [e["code"] for e in payload["errors"]] == ["forbidden"]
        assert db_state() == before


def test_check_now_is_rate_limited(staff_user, dns_server, settings):
    settings.EMAIL_DOMAIN_CHECK_RATE = "2/3600"
    domain = add(staff_user, "sparkle.example")["emailDomain"]  # signed in by now
    for _ in range(2):
        assert gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]["errors"] == []
    before = db_state()
    payload = gql(staff_user, CHECK, id=domain["id"])["checkEmailDomain"]
    assert [e["code"] for e in payload["errors"]] == ["check_rate_limited"] and payload["emailDomain"] is None
    assert db_state() == before


def test_remove_forgets_the_domain_and_mail_falls_back(staff_user, dns_server, signing_smtp):
    domain = verified_domain(staff_user, dns_server)
    assert gql(staff_user, REMOVE, id=domain["id"])["removeEmailDomain"] == {"deletedId": domain["id"], "errors": []}
    assert not EmailDomain.objects.exists()
    factories.booking()
    deliver()
    _from, _raw, parsed = received(signing_smtp)
    assert parsed["From"] == "Sparkle <bookings@sparkle.example>" and "DKIM-Signature" not in parsed


def test_no_key_configured_refuses_to_add(staff_user, dns_server, settings):
    settings.FIELDOPS_EMAIL_KEYS = ""
    sign_in(staff_user)
    before = db_state()
    payload = add(staff_user, "sparkle.example")
    assert [e["code"] for e in payload["errors"]] == ["email_key_missing"] and db_state() == before


def test_the_private_key_shows_nowhere(staff_user, dns_server, signing_smtp, caplog, admin_client, settings):
    caplog.set_level(logging.DEBUG)
    domain = verified_domain(staff_user, dns_server)
    gql(staff_user, ROTATE, id=domain["id"])
    row = EmailDomain.objects.get()
    fernet = mailauth._fernet()
    secrets_ = []
    for token in (row.private_key, row.next_private_key):
        pem = fernet.decrypt(token.encode()).decode()
        assert "PRIVATE KEY" in pem
        body = "".join(pem.strip().splitlines()[1:-1])
        secrets_ += [body[i : i + 40] for i in range(0, len(body) - 40, 200)]  # pieces of the key
    assert "PRIVATE" not in row.private_key  # stored as a token, not the PEM

    factories.booking()
    deliver()
    _from, raw, _parsed = received(signing_smtp)
    seen = [
        str(gql(staff_user, LIST)),
        Path(settings.BASE_DIR, "schema.graphql").read_text(),
        admin_client.get("/admin/outreach/emaildomain/").content.decode(),
        admin_client.get(f"/admin/outreach/emaildomain/{row.pk}/change/").content.decode(),
        caplog.text,
        raw.decode("ascii", "replace"),
    ]
    assert "sparkle.example" in seen[3] and row.selector in seen[3]  # the change page shows the records
    for text in seen:
        assert "PRIVATE KEY" not in text and not any(piece in text for piece in secrets_)
        assert row.private_key not in text and row.next_private_key not in text
        assert "privateKey" not in text

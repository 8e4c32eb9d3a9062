"""Sending domains in the services (decisions 0640-0642): names, the records and how each is judged
against a DNS server on 127.0.0.1, the notice told once, keys at rest and their rotation."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core import mail

from core.actors import Actor, Channel
from core.errors import DomainError
from core.outreach import mailauth, services
from core.outreach.models import EmailDomain
from tests import factories
from tests.dns_server import SPF_INCLUDE

from .support import db_state

pytestmark = pytest.mark.django_db
A = Channel.ADMIN


@pytest.fixture
def staff():
    return factories.staff_actor()


def publish_all(server, row: EmailDomain) -> None:
    for record in mailauth.records(row):
        if record.type == "TXT":
            server.txt(record.name, *record.strings)
        else:
            server.cname(record.name, record.value)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Example.COM.", "example.com"),
        ("  mail.example.co.uk ", "mail.example.co.uk"),
        ("office@sparkle.example", "sparkle.example"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_domain_names_are_stored_plain(raw, stored):
    assert mailauth.normalise_domain(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "localhost",
        "a..example",
        "-a.example",
        "a-.example",
        "1.2.3.4",
        "exa mple.com",
        "a_b.example",
        "x" * 64 + ".example",
        "example.com/path",
    ],
)
def test_what_is_not_a_domain_name_is_refused(raw):
    with pytest.raises(DomainError) as caught:
        mailauth.normalise_domain(raw)
    assert (caught.value.code, caught.value.field) == ("invalid_domain", "domain")


def test_txt_values_are_split_in_strings_of_255():
    value = "v=DKIM1; k=rsa; p=" + "A" * 392
    parts = mailauth.split_txt(value)
    assert [len(part) for part in parts] == [255, 155] and "".join(parts) == value


def test_each_record_is_judged_on_what_dns_holds(staff, dns_server, settings):
    settings.EMAIL_RETURN_PATH_HOST = "bounces.mailer.example"
    row = services.email_domain_add(actor=staff, channel=A, domain="sparkle.example")
    names = {record.purpose: (record.name, record.type, record.value) for record in mailauth.records(row)}
    assert names["return_path"] == ("bounces.sparkle.example", "CNAME", "bounces.mailer.example")
    dkim_record = next(record for record in mailauth.records(row) if record.purpose == "dkim")

    # a key that is not ours, two SPF records, an SPF without the include, no DMARC, a wrong CNAME
    dns_server.txt(dkim_record.name, "v=DKIM1; k=rsa; p=AAAA")
    dns_server.txt("sparkle.example", f"v=spf1 include:{SPF_INCLUDE} ~all")
    dns_server.txt("sparkle.example", "v=spf1 mx -all")
    dns_server.cname("bounces.sparkle.example", "elsewhere.example")
    row = services.email_domain_check(actor=staff, channel=A, domain_id=row.pk)
    assert row.status == "pending"
    assert {key: item["ok"] for key, item in row.results.items()} == {
        "dkim": False,
        "spf": False,
        "dmarc": False,
        "return_path": False,
    }
    assert sorted(row.results["spf"]["found"]) == [f"v=spf1 include:{SPF_INCLUDE} ~all", "v=spf1 mx -all"]

    dns_server.clear()
    # the key's strings split elsewhere and spaced: the same key; the business's own SPF with our include
    value = dkim_record.value
    dns_server.txt(dkim_record.name, value[:100], " " + value[100:300], value[300:])
    dns_server.txt("sparkle.example", f"v=spf1 ip4:192.0.2.1 include:{SPF_INCLUDE.upper()} -all")
    dns_server.txt("_dmarc.sparkle.example", "v=DMARC1; p=quarantine")
    dns_server.cname("bounces.sparkle.example", "bounces.mailer.example.")
    dns_server.txt("sparkle.example", "google-site-verification=abc")  # other TXT records do not matter
    row = services.email_domain_check(actor=staff, channel=A, domain_id=row.pk)
    assert row.status == "verified" and all(item["ok"] for item in row.results.values()), row.results
    assert row.verified_at == row.checked_at


def test_failing_is_told_to_staff_once_per_failure(staff, dns_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    factories.fieldworker()  # not staff: not told
    row = services.email_domain_add(actor=staff, channel=A, domain="sparkle.example")
    publish_all(dns_server, row)
    services.email_domain_check(actor=staff, channel=A, domain_id=row.pk)
    dns_server.clear()
    system = Actor.system()
    assert services.email_domains_check_all(actor=system, channel=Channel.SYSTEM) == 1
    assert mailauth.notify_domain_failing.call(row.pk) == 1
    assert mailauth.notify_domain_failing.call(row.pk) == 0  # a task run twice: told once
    assert [m.to for m in mail.outbox] == [[staff.user.email]]
    # back, then gone again: a new failure, told again
    publish_all(dns_server, EmailDomain.objects.get(pk=row.pk))
    assert services.email_domain_check(actor=system, channel=Channel.SYSTEM, domain_id=row.pk).status == "verified"
    dns_server.clear()
    assert services.email_domain_check(actor=system, channel=Channel.SYSTEM, domain_id=row.pk).status == "failing"
    assert mailauth.notify_domain_failing.call(row.pk) == 1 and len(mail.outbox) == 2


def test_the_daily_job_leaves_pending_domains_alone(staff, dns_server):
    services.email_domain_add(actor=staff, channel=A, domain="sparkle.example")
    assert services.email_domains_check_all(actor=Actor.system(), channel=Channel.SYSTEM) == 0
    assert dns_server.queries == []


def test_only_staff_write_and_only_the_system_runs_the_daily_check(staff, dns_server):
    row = services.email_domain_add(actor=staff, channel=A, domain="sparkle.example")
    customer = Actor.from_user(factories.customer(with_login=True).user)
    before = db_state()
    for actor in (customer, Actor.system()):
        for call in (
            lambda a: services.email_domain_add(actor=a, channel=A, domain="x.example"),
            lambda a: services.email_domain_rotate_key(actor=a, channel=A, domain_id=row.pk),
            lambda a: services.email_domain_remove(actor=a, channel=A, domain_id=row.pk),
        ):
            with pytest.raises(DomainError) as caught:
                call(actor)
            assert caught.value.code == "forbidden"
    with pytest.raises(DomainError) as caught:
        services.email_domains_check_all(actor=staff, channel=A)
    assert caught.value.code == "forbidden" and db_state() == before


def test_keys_are_kept_encrypted_and_rotate_to_a_new_key(staff, dns_server, settings):
    row = services.email_domain_add(actor=staff, channel=A, domain="sparkle.example")
    assert "PRIVATE" not in row.private_key and len(row.public_key) > 300
    old_key = settings.FIELDOPS_EMAIL_KEYS
    new_key = Fernet.generate_key().decode()
    settings.FIELDOPS_EMAIL_KEYS = f"{new_key},{old_key}"
    assert mailauth.rotate_stored_keys() == 1
    settings.FIELDOPS_EMAIL_KEYS = new_key  # the old key dropped: the row still reads
    stored = EmailDomain.objects.get(pk=row.pk)
    assert b"PRIVATE KEY" in Fernet(new_key).decrypt(stored.private_key.encode())


def test_a_key_that_cannot_be_read_sends_unsigned_and_logs_no_key(staff, dns_server, settings, caplog):
    row = services.email_domain_add(actor=staff, channel=A, domain="sparkle.example")
    publish_all(dns_server, row)
    services.email_domain_check(actor=staff, channel=A, domain_id=row.pk)
    assert mailauth.signing_key("Sparkle <office@sparkle.example>") is not None
    assert "PRIVATE" not in repr(mailauth.signing_key("office@sparkle.example"))
    settings.FIELDOPS_EMAIL_KEYS = Fernet.generate_key().decode()  # the key it was kept with is gone
    caplog.set_level(logging.WARNING)
    assert mailauth.signing_key("office@sparkle.example") is None
    assert "sparkle.example" in caplog.text and row.private_key not in caplog.text
    assert mailauth.signing_key("office@other.example") is None


def test_the_admin_adds_through_the_service_and_checks_with_an_action(admin_client, dns_server):
    response = admin_client.post("/admin/outreach/emaildomain/add/", {"domain": "not a domain", "trading_name": ""})
    assert response.status_code == 200 and "Not a domain name" in response.content.decode()
    assert not EmailDomain.objects.exists()
    response = admin_client.post("/admin/outreach/emaildomain/add/", {"domain": "Sparkle.Example", "trading_name": ""})
    assert response.status_code == 302
    row = EmailDomain.objects.get()
    assert row.domain == "sparkle.example" and row.selector
    publish_all(dns_server, row)
    admin_client.post("/admin/outreach/emaildomain/", {"action": "check_now", "_selected_action": [row.pk]})
    assert EmailDomain.objects.get().status == "verified"
    admin_client.post("/admin/outreach/emaildomain/", {"action": "remove", "_selected_action": [row.pk]})
    assert not EmailDomain.objects.exists()

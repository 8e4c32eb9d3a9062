"""Business e-mail authentication: DKIM keys, the DNS records to publish, their check, and signing
(decisions 0640-0642).

A lower module of the outreach app: ``services`` (the writes), ``sending`` (From) and ``mailer``
(the SMTP backend that signs) import it; it imports none of them.

- **Keys.** RSA 2048 pairs made here; the private key is PEM kept as a MultiFernet token under
  ``FIELDOPS_EMAIL_KEYS`` (comma separated, newest first), as bank details are (0184). The clear key
  exists only in :func:`signing_key`'s answer, for one signature; it is never logged or shown.
- **Records** (:func:`records`): the DKIM TXT ``v=DKIM1; k=rsa; p=...`` split into strings of at most
  255 characters, the SPF include of ``EMAIL_SPF_INCLUDE``, a suggested DMARC record, and, when
  ``EMAIL_RETURN_PATH_HOST`` is set, the return-path CNAME.
- **Checks** (:func:`lookup`) go through dnspython's resolver with the nameservers of
  ``EMAIL_DNS_NAMESERVERS`` (the system's when empty), so tests point it at a DNS server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass, field
from email.utils import getaddresses

import dkim
import dns.exception
import dns.resolver
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from core.accounts.models import Role, User
from core.errors import DomainError

from .models import EmailDomain, EmailDomainStatus

logger = logging.getLogger(__name__)

KEY_BITS = 2048
TXT_CHUNK = 255  # the longest character-string a TXT record holds
DMARC_POLICY = "v=DMARC1; p=none"


# --- keys ---------------------------------------------------------------------------------------


def _fernet() -> MultiFernet:
    raw = [key.strip() for key in (getattr(settings, "FIELDOPS_EMAIL_KEYS", "") or "").split(",") if key.strip()]
    if not raw:  # a refusal the caller sees: the deployment has not set up sending domains
        raise DomainError("email_key_missing", "Sending domains cannot be set up: no key is configured.")
    try:
        return MultiFernet([Fernet(key) for key in raw])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELDOPS_EMAIL_KEYS holds a key that is not a Fernet key: {exc}") from exc


def new_key_pair() -> tuple[str, str]:
    """(the private key as a token, the public key as the record's base64). Refused without a key."""
    fernet = _fernet()
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return fernet.encrypt(pem).decode(), base64.b64encode(public).decode()


def new_selector() -> str:
    """A selector no earlier key of the domain had: the month and a random part (``fo202612a3f9``)."""
    return f"fo{timezone.now():%Y%m}{secrets.token_hex(2)}"


def rotate_stored_keys() -> int:
    """Re-encrypt every stored private key under the first key of ``FIELDOPS_EMAIL_KEYS``."""
    fernet = _fernet()
    done = 0
    for row in EmailDomain.objects.order_by("pk"):
        values = {"private_key": fernet.rotate(row.private_key.encode()).decode()}
        if row.next_private_key:
            values["next_private_key"] = fernet.rotate(row.next_private_key.encode()).decode()
        EmailDomain.objects.filter(pk=row.pk).update(**values)
        done += 1
    return done


# --- domain names ---------------------------------------------------------------------------------


def normalise_domain(raw: str) -> str:
    """``Mail.Example.COM.`` -> ``mail.example.com``; refuses what is not a host name of two labels or
    more (letters, digits, hyphens; an internationalised name in its ASCII form)."""
    text = (raw or "").strip().lower().rstrip(".")
    if "@" in text:
        text = text.rpartition("@")[2]
    try:
        text = text.encode("idna").decode("ascii") if text and not text.isascii() else text
    except UnicodeError:
        text = ""
    labels = text.split(".")
    ok = (
        len(labels) >= 2
        and len(text) <= 253
        and not labels[-1].isdigit()
        and all(
            0 < len(label) <= 63
            and label[0] != "-"
            and label[-1] != "-"
            and all((ch.isalnum() and ch.isascii()) or ch == "-" for ch in label)
            for label in labels
        )
    )
    if not ok:
        raise DomainError("invalid_domain", "Not a domain name (like example.com).", field="domain")
    return text


def domain_of(address: str) -> str:
    """The domain of the (first) address in a From value, lower case; '' when there is none."""
    found = [addr for _, addr in getaddresses([address or ""]) if "@" in addr]
    return found[0].rpartition("@")[2].strip().lower().rstrip(".") if found else ""


# --- the records to publish ---------------------------------------------------------------------


def dkim_value(public_key: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_key}"


def split_txt(value: str) -> list[str]:
    """A TXT value as the character-strings DNS needs (each at most 255 characters)."""
    return [value[start : start + TXT_CHUNK] for start in range(0, len(value), TXT_CHUNK)] or [""]


def spf_include() -> str:
    return (getattr(settings, "EMAIL_SPF_INCLUDE", "") or "").strip().lower()


def return_path_host() -> str:
    return (getattr(settings, "EMAIL_RETURN_PATH_HOST", "") or "").strip().lower().rstrip(".")


def return_path_name(domain: str) -> str:
    return f"{getattr(settings, 'EMAIL_RETURN_PATH_LABEL', 'bounces') or 'bounces'}.{domain}"


@dataclass(frozen=True)
class Record:
    """One DNS record the business publishes, and what the last check found for it."""

    purpose: str  # dkim, next_dkim, spf, dmarc, return_path
    name: str
    type: str
    value: str
    strings: tuple[str, ...]
    required: bool = True
    ok: bool | None = None  # None: not checked yet
    found: tuple[str, ...] = ()
    error: str = ""


def records(row: EmailDomain) -> list[Record]:
    """What to publish for ``row``, each with the last check's result."""
    results = row.results or {}
    wanted = [("dkim", f"{row.selector}._domainkey.{row.domain}", "TXT", dkim_value(row.public_key), True)]
    if row.next_selector:
        wanted.append(
            ("next_dkim", f"{row.next_selector}._domainkey.{row.domain}", "TXT", dkim_value(row.next_public_key), False)
        )
    include = spf_include()
    wanted.append(("spf", row.domain, "TXT", f"v=spf1 include:{include} ~all" if include else "v=spf1 mx ~all", True))
    wanted.append(("dmarc", f"_dmarc.{row.domain}", "TXT", f"{DMARC_POLICY}; rua=mailto:dmarc@{row.domain}", True))
    if return_path_host():
        wanted.append(("return_path", return_path_name(row.domain), "CNAME", return_path_host(), True))
    out = []
    for purpose, name, kind, value, required in wanted:
        result = results.get(purpose) or {}
        strings = tuple(split_txt(value)) if kind == "TXT" else (value,)
        out.append(
            Record(
                purpose,
                name,
                kind,
                value,
                strings,
                required,
                result.get("ok"),
                tuple(result.get("found") or ()),
                result.get("error", ""),
            )
        )
    return out


# --- the check ---------------------------------------------------------------------------------------


def resolver() -> dns.resolver.Resolver:
    """dnspython's resolver on ``EMAIL_DNS_NAMESERVERS`` (``ip`` or ``ip:port``, comma separated), or
    on the system's configuration when that is empty."""
    configured = [
        item.strip() for item in (getattr(settings, "EMAIL_DNS_NAMESERVERS", "") or "").split(",") if item.strip()
    ]
    res = dns.resolver.Resolver(configure=not configured)
    if configured:
        servers, ports = [], {}
        for item in configured:
            host, port = item, 53
            if item.count(":") == 1:
                host, _, text = item.partition(":")
                port = int(text)
            elif item.startswith("[") and "]:" in item:
                host, _, text = item[1:].partition("]:")
                port = int(text)
            servers.append(host)
            ports[host] = port
        res.nameservers = servers
        res.nameserver_ports = ports
    res.lifetime = float(getattr(settings, "EMAIL_DNS_TIMEOUT", 5))
    res.timeout = res.lifetime
    res.cache = None
    return res


class LookupFailed(Exception):
    """DNS could not answer (no server reached, a server failure): nothing is known of the record."""


def _query(res: dns.resolver.Resolver, name: str, kind: str) -> list[str]:
    try:
        answer = res.resolve(name, kind, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return []
    except (
        dns.exception.Timeout,
        dns.resolver.NoNameservers,
        dns.resolver.NoResolverConfiguration,
        dns.resolver.YXDOMAIN,
        OSError,
    ) as exc:
        raise LookupFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if answer.rrset is None:
        return []
    if kind == "TXT":
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
    return [rdata.to_text().lower().rstrip(".") for rdata in answer]


def _tags(value: str) -> dict[str, str]:
    out = {}
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep:
            out[key.strip().lower()] = "".join(val.split())
    return out


def _dkim_ok(found: list[str], public_key: str) -> bool:
    return any(_tags(text).get("p") == public_key and _tags(text).get("v", "DKIM1") == "DKIM1" for text in found)


def _spf_ok(found: list[str]) -> bool:
    spf = [text for text in found if text.lower().split(" ", 1)[0] == "v=spf1"]
    include = spf_include()
    if len(spf) != 1:  # none, or two (which receivers treat as an error)
        return False
    return not include or f"include:{include}" in spf[0].lower().split()


def _dmarc_ok(found: list[str]) -> bool:
    return any(_tags(text).get("v", "").upper() == "DMARC1" for text in found)


@dataclass
class Outcome:
    results: dict = field(default_factory=dict)
    complete: bool = True  # False: a lookup failed, so the status cannot be judged

    @property
    def verified(self) -> bool:
        return self.complete and all(item["ok"] for key, item in self.results.items() if key != "next_dkim")

    @property
    def next_ready(self) -> bool:
        return bool(self.results.get("next_dkim", {}).get("ok"))


def lookup(row: EmailDomain) -> Outcome:
    """Look up every record of ``row`` (network: run outside a transaction)."""
    res = resolver()
    outcome = Outcome()
    checks = [("dkim", f"{row.selector}._domainkey.{row.domain}", "TXT", lambda f: _dkim_ok(f, row.public_key))]
    if row.next_selector:
        checks.append(
            (
                "next_dkim",
                f"{row.next_selector}._domainkey.{row.domain}",
                "TXT",
                lambda f: _dkim_ok(f, row.next_public_key),
            )
        )
    checks += [("spf", row.domain, "TXT", _spf_ok), ("dmarc", f"_dmarc.{row.domain}", "TXT", _dmarc_ok)]
    if return_path_host():
        checks.append(("return_path", return_path_name(row.domain), "CNAME", lambda f: return_path_host() in f))
    failed = ""
    for purpose, name, kind, test in checks:
        if failed:  # DNS did not answer the last question: the others are not asked (one wait, not five)
            outcome.results[purpose] = {"ok": False, "found": [], "error": f"not asked: {failed}"}
            continue
        try:
            found = _query(res, name, kind)
        except LookupFailed as exc:
            outcome.complete, failed = False, str(exc)
            outcome.results[purpose] = {"ok": False, "found": [], "error": failed}
            continue
        outcome.results[purpose] = {"ok": bool(test(found)), "found": [text[:600] for text in found[:5]], "error": ""}
    return outcome


# --- From and signing ------------------------------------------------------------------------------


def verified_domain(address: str) -> bool:
    """Whether ``address`` is on a verified sending domain (mail may say it is from there)."""
    domain = domain_of(address)
    return bool(domain) and EmailDomain.objects.filter(domain=domain, status=EmailDomainStatus.VERIFIED).exists()


@dataclass(frozen=True)
class SigningKey:
    domain: str
    selector: str
    pem: bytes

    def __repr__(self) -> str:  # never the key itself, in a log or a traceback
        return f"SigningKey({self.domain}, {self.selector})"


def signing_key(from_value: str) -> SigningKey | None:
    """The key to sign mail whose From is ``from_value``; None (sent unsigned) unless its domain is
    verified and its key can be read."""
    domain = domain_of(from_value)
    if not domain:
        return None
    row = (
        EmailDomain.objects.filter(domain=domain, status=EmailDomainStatus.VERIFIED)
        .only("domain", "selector", "private_key")
        .first()
    )
    if row is None:
        return None
    try:
        pem = _fernet().decrypt(row.private_key.encode())
    except (InvalidToken, DomainError):
        logger.warning("sending domain %s: its key cannot be read (FIELDOPS_EMAIL_KEYS); sent unsigned", domain)
        return None
    return SigningKey(row.domain, row.selector, pem)


def sign(raw: bytes, key: SigningKey) -> bytes:
    """``raw`` (the message as sent, CRLF line ends) with its DKIM-Signature header first."""
    # relaxed/relaxed survives relays that re-fold headers; the headers signed are dkimpy's
    # recommended set, those of them the message has (From, To, Subject, Date, Message-ID, ...)
    header = dkim.sign(raw, key.selector.encode(), key.domain.encode(), key.pem, canonicalize=(b"relaxed", b"relaxed"))
    return header + raw


# --- telling staff -------------------------------------------------------------------------------------


@task()
def notify_domain_failing(domain_id: int) -> int:
    """Tell staff (active admins and staff with an address) that a verified domain's records went
    missing. Claimed once per failure (``failing_notice_at``), so a task run twice sends once."""
    now = timezone.now()
    claimed = EmailDomain.objects.filter(
        pk=domain_id, status=EmailDomainStatus.FAILING, failing_notice_at__isnull=True
    ).update(failing_notice_at=now)
    if not claimed:
        return 0
    row = EmailDomain.objects.get(pk=domain_id)
    missing = [purpose for purpose, item in (row.results or {}).items() if purpose != "next_dkim" and not item["ok"]]
    to = list(
        User.objects.filter(is_active=True, role__in=(Role.ADMIN, Role.STAFF))
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not to:
        return 0
    send_mail(
        subject=f"E-mail from {row.domain} is no longer signed",
        message=(
            f"The DNS records of {row.domain} were checked and these are missing or changed: "
            f"{', '.join(missing) or 'unknown'}. Until they are back, e-mails leave from the "
            f"default address, unsigned. Publish the records shown in the settings again and "
            f"check the domain."
        ),
        from_email=None,
        recipient_list=to,
    )
    return len(to)

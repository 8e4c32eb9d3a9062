"""A DNS server on 127.0.0.1 (UDP) answering from a dict, built with dnspython's own message classes,
for the sending-domain tests: ``EMAIL_DNS_NAMESERVERS`` points the application's resolver at it."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from cryptography.fernet import Fernet

from core.outreach import mailauth


class FakeDns:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}  # (name., TXT|CNAME) -> rdata texts
        self.queries: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    @staticmethod
    def _key(name: str) -> str:
        return name.lower().rstrip(".") + "."

    def txt(self, name: str, *strings: str) -> None:
        """Publish one TXT record made of ``strings`` (its character-strings, in order)."""
        text = " ".join('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"' for part in strings)
        with self.lock:
            self.records.setdefault((self._key(name), "TXT"), []).append(text)

    def cname(self, name: str, target: str) -> None:
        with self.lock:
            self.records[(self._key(name), "CNAME")] = [target.rstrip(".") + "."]

    def publish(self, records) -> None:
        """Every record of a GraphQL ``records`` list (name, type, value, strings) as the business would."""
        for record in records:
            if record["type"] == "TXT":
                self.txt(record["name"], *record["strings"])
            else:
                self.cname(record["name"], record["value"])

    def clear(self) -> None:
        with self.lock:
            self.records.clear()

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        name, kind = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
        with self.lock:
            self.queries.append((name, kind))
            texts = list(self.records.get((name, kind), []))
            known = any(key[0] == name for key in self.records)
        if texts:
            response.answer.append(dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, kind, texts))
        elif not known:
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                return  # closed
            if self._stopped.is_set():
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # a malformed query: dropped, as a server would
                continue
            try:
                wire = self._answer(query).to_wire(max_size=65535)
            except Exception:  # a record the test set up wrongly: a server failure, not a silence
                failure = dns.message.make_response(query)
                failure.set_rcode(dns.rcode.SERVFAIL)
                wire = failure.to_wire()
            self.sock.sendto(wire, peer)

    def start(self) -> FakeDns:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering: later queries time out, as with a server that is down."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as wake:  # ends the blocking receive
            wake.sendto(b"", ("127.0.0.1", self.port))
        self._thread.join(timeout=5)
        self.sock.close()

    def dkim_lookup(self, name: bytes, timeout: int = 5) -> bytes | None:
        """``dnsfunc`` for ``dkim.verify``: the TXT record at ``name``, asked of this server over UDP
        through the application's resolver (settings must point it here)."""
        found = mailauth._query(mailauth.resolver(), name.decode(), "TXT")
        return found[0].encode() if found else None


SPF_INCLUDE = "spf.mailer.example"


@pytest.fixture
def dns_server(settings):
    """The server running, the application's resolver pointed at it, a key to keep DKIM keys with and
    the mail provider's SPF include set."""
    server = FakeDns().start()
    settings.EMAIL_DNS_NAMESERVERS = server.nameserver
    settings.EMAIL_DNS_TIMEOUT = 2
    settings.EMAIL_SPF_INCLUDE = SPF_INCLUDE
    settings.EMAIL_RETURN_PATH_HOST = ""
    settings.FIELDOPS_EMAIL_KEYS = Fernet.generate_key().decode()
    try:
        yield server
    finally:
        server.stop()

"""Real server processes for the cross-process, browser and fan-out checks.

Each stack gets its own directory with a copy of one migrated and seeded SQLite file (made
once by ``python -m tests.realtime.live prepare``; WAL, shared by the stack's processes) and
N server processes (``manage.py serve``, what ``make serve`` runs) on loopback. With ``redis_url`` the processes share that Redis through the channel layer (under
a prefix of their own, so stacks never hear each other); without it each process has its
in-memory layer. The pytest database is not involved: the processes could not see it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-live-staff-123"
MARKER = "LIVE-STACK-DATA "
_template: dict[str, Any] = {}

_OWN_VARS = ("DATABASE_URL", "REDIS_URL", "FIELDOPS_CHANNEL_LAYER", "FIELDOPS_CHANNEL_PREFIX", "FIELDOPS_VAR_DIR",
             "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_env(directory: Path, *, redis_url: str | None = None, layer: str | None = None,
              debug: bool = True, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _OWN_VARS}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        "FIELDOPS_VAR_DIR": str(directory),
        "DEBUG": "1" if debug else "0",
        "SECRET_KEY": "live-stack-" + uuid.uuid4().hex,
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "FIELDOPS_SCHEDULER": "0",  # no periodic jobs writing to the shared file mid-test
    })
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["FIELDOPS_CHANNEL_PREFIX"] = "live" + uuid.uuid4().hex[:8]
        if layer:
            env["FIELDOPS_CHANNEL_LAYER"] = layer
    env.update(extra or {})
    return env


def prepared_template() -> tuple[Path, dict[str, Any]]:
    """A migrated and seeded database, made once per process and copied for every stack."""
    if "path" not in _template:
        directory = Path(tempfile.mkdtemp(prefix="fieldops-live-template-"))
        done = subprocess.run([sys.executable, "-m", "tests.realtime.live", "prepare"], cwd=ROOT,
                              env=stack_env(directory), check=True, capture_output=True, timeout=300)
        _template["path"] = directory / "db.sqlite3"
        # console e-mail/SMS backends print to stdout too: pick our line out by its marker
        [line] = [row for row in done.stdout.decode().splitlines() if row.startswith(MARKER)]
        _template["data"] = json.loads(line[len(MARKER):])
    return _template["path"], _template["data"]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_servers(env: dict[str, str], directory: Path, count: int) -> list[Server]:
    """Start ``count`` server processes at once and wait until each answers /healthz."""
    servers = []
    for _ in range(count):
        port = free_port()
        log = directory / f"server-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        servers.append(Server(port, process, log))
    deadline = time.monotonic() + 90
    for server in servers:
        while not _healthy(server):
            if server.process.poll() is not None or time.monotonic() > deadline:
                for other in servers:
                    other.stop()
                raise RuntimeError(f"The server did not start:\n{server.log.read_text()[-3000:]}")
            time.sleep(0.1)
    return servers


def _healthy(server: Server) -> bool:
    try:
        with urllib.request.urlopen(f"{server.http}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class Stack:
    directory: Path
    env: dict[str, str]
    data: dict[str, Any]
    servers: list[Server] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.env.get("FIELDOPS_CHANNEL_PREFIX", "asgi")

    def logs(self) -> str:
        return "\n".join(f"--- {s.log.name}\n{s.log.read_text()[-3000:]}" for s in self.servers)


@contextmanager
def live_stack(processes: int = 1, *, redis_url: str | None = None, layer: str | None = None,
               debug: bool = True, extra_env: dict[str, str] | None = None):
    directory = Path(tempfile.mkdtemp(prefix="fieldops-live-"))
    env = stack_env(directory, redis_url=redis_url, layer=layer, debug=debug, extra=extra_env)
    stack = None
    try:
        template, data = prepared_template()
        shutil.copy(template, directory / "db.sqlite3")
        stack = Stack(directory, env, dict(data))
        stack.servers.extend(start_servers(env, directory, processes))
        yield stack
    finally:
        for server in stack.servers if stack else ():
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def graphql(url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql/", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


ADD_COMMENT = """mutation Add($input: AddBookingCommentInput!) {
  addBookingComment(input: $input) { comment { id body } errors { code message } }
}"""


def _seed() -> dict[str, Any]:
    """Runs inside the stack's environment: people, tokens and one booking at noon today."""
    import zoneinfo
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from core.accounts.models import Role, User
    from core.accounts.services import token_create
    from core.actors import Actor, Channel
    from core.bookings import services as bookings
    from core.company.services import company_update
    from tests import factories

    # The board shows today's bookings in the company's zone and the seeded booking is at noon today:
    # a zone where it is about midday now keeps "today" the same day for the stack's whole life (a
    # suite passing midnight UTC otherwise seeds yesterday's booking for the tests run after it).
    offset = (12 - timezone.now().hour + 12) % 24 - 12  # hours from UTC to about noon, -12..11
    midday_zone = "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    staff = User.objects.create_user(email="office@example.com", password=PASSWORD, full_name="Olive Office",
                                     role=Role.STAFF)
    staff_actor = Actor.from_user(staff)
    company = company_update(actor=staff_actor, channel=Channel.SYSTEM, time_zone=midday_zone)
    customer = factories.customer(with_login=True, name="Carla Customer")
    fieldworker = factories.fieldworker(name="Felix Worker")
    zone = zoneinfo.ZoneInfo(company.time_zone)
    noon = datetime.combine(timezone.now().astimezone(zone).date(), time(12), tzinfo=zone)
    booking = factories.booking(cust=customer, actor=staff_actor, start=noon, hours=2)
    later = factories.booking(cust=customer, actor=staff_actor, start=noon + timedelta(days=3))
    bookings.booking_assign(actor=staff_actor, channel=Channel.SYSTEM, booking_id=booking.pk,
                            fieldworker_id=fieldworker.pk)

    def token(user: User) -> str:
        return token_create(actor=Actor.from_user(user), channel=Channel.SYSTEM).raw

    return {
        "staff_email": staff.email, "staff_password": PASSWORD, "staff_token": token(staff),
        "customer_token": token(customer.user), "fieldworker_token": token(fieldworker.user),
        "booking_id": booking.pk, "booking_number": booking.number, "later_booking_id": later.pk,
        "fieldworker_id": fieldworker.pk,
    }


if __name__ == "__main__":
    if sys.argv[1:] != ["prepare"]:
        raise SystemExit("usage: python -m tests.realtime.live prepare")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    data = _seed()
    # one write: task threads print console e-mails and SMS meanwhile, and print() writes the line
    # and its newline separately, so another thread's output could land between them
    sys.stdout.write("\n" + MARKER + json.dumps(data) + "\n")
    sys.stdout.flush()

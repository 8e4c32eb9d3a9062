"""Benchmark: saving a filled 40-question form, against an INSERT floor measured in the same run; then
``bench/uploads.py`` (a 5 MB photo uploaded end to end, against a storage-write floor).

    .venv/bin/python bench/forms.py [--postgres] [--runs 200]

Seeds a booking and a form of 40 questions (text, numbers, dates, times, toggles, choices, checklist
items), then times, alternately (a, b, c, a, b, c ...) so all see the same machine load:

- floor: one INSERT of the same 40 answers as a JSON row into a scratch table, committed (raw SQL);
- service: ``form_answers_save`` in process (checks every answer, writes the row and its log row);
- GraphQL: ``saveFormAnswers`` with the 40 answers over HTTP to ``manage.py serve``.

Each save alternates between two sets of answers, so every call changes all 40 and writes.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, server, summary, timed_interleaved

DB_NAME = "fieldops_bench_forms"
KINDS = ["short_text", "increment", "date", "time", "toggle", "dropdown", "checkbox_multi", "checklist"]

SAVE = """mutation($i: SaveFormAnswersInput!) { saveFormAnswers(input: $i) {
  bookingForm { status } errors { code field message } } }"""


def configure(postgres: bool) -> dict[str, str]:
    if postgres:
        url = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (DB_NAME,)).fetchone():
                conn.execute(f"CREATE DATABASE {DB_NAME}")
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_forms.sqlite3'}"
    env = {"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40), "SECURE_SSL_REDIRECT": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "ERROR", "GRAPHQL_INTROSPECTION": "0"}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def elements() -> list[dict]:
    out = []
    for n in range(40):
        kind = KINDS[n % len(KINDS)]
        element = {"kind": kind, "label": f"Question {n}", "key": f"q{n}"}
        if kind in ("dropdown", "checkbox_multi"):
            element["options"] = ["a", "b", "c"]
        if kind == "increment":
            element.update(min_value="0", max_value="1000", step="1")
        out.append(element)
    return out


def answers(flip: bool) -> dict[str, object]:
    """Python answers for the service; both sets differ in every answer."""
    values = {"short_text": ("left side gate", "right side gate"), "increment": (12, 13),
              "date": ("2026-05-01", "2026-05-02"), "time": ("09:30", "10:45"), "toggle": (True, False),
              "dropdown": ("a", "b"), "checkbox_multi": (["a", "c"], ["b"]), "checklist": (True, False)}
    return {f"q{n}": values[KINDS[n % len(KINDS)]][int(flip)] for n in range(40)}


def graphql_answers(flip: bool) -> list[dict]:
    member = {"short_text": "text", "increment": "number", "date": "date", "time": "time", "toggle": "boolean",
              "dropdown": "text", "checkbox_multi": "choices", "checklist": "boolean"}
    return [{"key": key, "value": {member[KINDS[int(key[1:]) % len(KINDS)]]: value}}
            for key, value in answers(flip).items()]


def seed() -> tuple[int, int, int]:
    """(booking id, template id for the service run, template id for the GraphQL run)."""
    from django.utils import timezone

    from core.accounts.models import Role, User
    from core.actors import Actor, Channel
    from core.bookings import services as booking_services
    from core.catalog.models import Service
    from core.crm.models import Customer, Property
    from core.jobdata import forms_services
    from core.jobdata.forms_models import FormTemplate

    user = User.objects.filter(email="bench-staff@bench.local").first() or User.objects.create_user(
        email="bench-staff@bench.local", password="bench-pass-123", role=Role.STAFF)
    staff, channel = Actor.from_user(user), Channel.SYSTEM
    found = FormTemplate.objects.filter(name__startswith="Bench form").order_by("pk")
    if found.count() == 2:
        first, second = found
        return first.booking_id, first.pk, second.pk
    service = Service.objects.create(name="Bench service", price=Decimal("100"), duration_minutes=60)
    customer = Customer.objects.create(name="Bench customer")
    place = Property.objects.create(customer=customer, address="1 Bench St")
    start = timezone.now() + timedelta(days=2)
    booking = booking_services.booking_create(
        actor=staff, channel=channel, customer_id=customer.pk, property_id=place.pk, scheduled_start=start,
        scheduled_end=start + timedelta(hours=1),
        lines=[booking_services.LineInput(service_id=service.pk, quantity=Decimal("1"))])
    ids = [forms_services.form_template_create(actor=staff, channel=channel, name=f"Bench form {n}",
                                               elements=elements(), booking_id=booking.pk).pk for n in (1, 2)]
    return booking.pk, ids[0], ids[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-upload", action="store_true", help="skip bench/uploads.py (the 5 MB photo)")
    args = parser.parse_args()
    env = configure(args.postgres)
    booking_id, service_template, graphql_template = seed()

    import httpx
    from django.db import connection, transaction

    from core.accounts.models import User
    from core.actors import Actor, Channel
    from core.jobdata import forms_services
    from graphql_api.ids import encode_id

    staff = Actor.from_user(User.objects.get(email="bench-staff@bench.local"))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_form_floor")
        cursor.execute("CREATE TABLE bench_form_floor (id integer PRIMARY KEY, answers text NOT NULL)")
    state = {"floor": 0, "service": False, "graphql": False}
    payloads = [json.dumps(answers(False)), json.dumps(answers(True))]

    def floor() -> None:
        state["floor"] += 1
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_form_floor (id, answers) VALUES (%s, %s)",
                           [state["floor"], payloads[state["floor"] % 2]])

    def service() -> None:
        state["service"] = not state["service"]
        forms_services.form_answers_save(actor=staff, channel=Channel.SYSTEM, booking_id=booking_id,
                                         template_id=service_template, answers=answers(state["service"]))

    bodies = [json.dumps({"query": SAVE, "variables": {"i": {
        "bookingId": encode_id("Booking", booking_id), "templateId": encode_id("FormTemplate", graphql_template),
        "answers": graphql_answers(flip)}}}) for flip in (False, True)]

    with server(env) as base:
        client = httpx.Client(base_url=base, timeout=30)
        login = ('mutation { login(email: "bench-staff@bench.local", password: "bench-pass-123") '
                 "{ result { token } errors { code } } }")
        token = client.post("/graphql/", json={"query": login}).json()["data"]["login"]["result"]["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def graphql() -> None:
            state["graphql"] = not state["graphql"]
            response = client.post("/graphql/", content=bodies[int(state["graphql"])], headers=headers)
            response.raise_for_status()
            body = response.json()
            assert body["data"]["saveFormAnswers"]["errors"] == [], response.text[:500]

        floor_ms, service_ms, graphql_ms = (summary(s) for s in timed_interleaved([floor, service, graphql],
                                                                                 args.runs))
    rows = [("INSERT of the 40 answers as one JSON row (floor)", floor_ms[0], floor_ms[1], 1.0),
            ("form_answers_save in process (check 40, write, log)", service_ms[0], service_ms[1],
             service_ms[0] / floor_ms[0]),
            ("saveFormAnswers over HTTP (GraphQL)", graphql_ms[0], graphql_ms[1], graphql_ms[0] / floor_ms[0])]
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nsaving a filled 40-question form, {db}, {args.runs} runs each (ms)\n")
    print_table(["subject", "p50 ms", "p95 ms", "p50 / floor"], rows)
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if not args.no_upload:  # the second figure: a 5 MB photo end to end (its own process and server)
        import subprocess

        subprocess.run([sys.executable, str(ROOT / "bench" / "uploads.py"), *(["--postgres"] if args.postgres else [])],
                       check=True)


if __name__ == "__main__":
    main()

"""Benchmark: the `bookings` GraphQL query against two floors measured in the same run.

    .venv/bin/python bench/graphql_bookings.py [--postgres] [--runs 60]

Seeds 10,000 bookings (once) into a separate benchmark database, then prints, for pages of 10 and 100
bookings with nested customer, property, lines and fieldworkers:
- SQL queries per request;
- p50/p95 of in-process execution (schema.execute_sync + JSON encoding), and the raw floor: the same
  data fetched with hand-written SQL and serialised with orjson;
- p50/p95 over HTTP against the server, and the HTTP floor: a plain Django JSON view of the same data.
Each subject is timed alternately with its floor (a, b, a, b, ...), so both see the same machine load.
Targets: query count constant in page size; HTTP at most 2x the plain view; in-process at most 40x raw.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, server, summary, timed_interleaved

QUERY = """
query Page($first: Int!) {
  bookings(first: $first) {
    edges { node {
      id number status scheduledStart scheduledEnd
      customer { name email mobile }
      property { address postcode }
      lines { description quantity unitPrice }
      assignments { status fieldworker { name } }
    } }
  }
}
"""
N_BOOKINGS = 10_000


def configure(postgres: bool) -> dict[str, str]:
    if postgres:
        url = "postgres://postgres@127.0.0.1:5432/fieldops_bench"
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_graphql.sqlite3'}"
    env = {"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40), "SECURE_SSL_REDIRECT": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "ERROR", "GRAPHQL_INTROSPECTION": "0"}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname='fieldops_bench'").fetchone():
                conn.execute("CREATE DATABASE fieldops_bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def seed() -> None:
    from django.db import transaction
    from django.utils import timezone

    from core.accounts.models import Role, User
    from core.bookings.models import Booking, BookingAssignment, BookingLine
    from core.catalog.models import Service
    from core.crm.models import Customer, Property
    from core.workforce.models import Fieldworker

    have = Booking.objects.count()
    if have >= N_BOOKINGS:
        return
    print(f"seeding {N_BOOKINGS} bookings ...", file=sys.stderr)
    with transaction.atomic():
        services = Service.objects.bulk_create(
            [Service(name=f"Service {i}", price=Decimal("100") + i, duration_minutes=60) for i in range(5)])
        customers = Customer.objects.bulk_create(
            [Customer(name=f"Customer {i}", email=f"c{i}@example.com", mobile=f"+6140{i:07d}") for i in range(1000)])
        props = Property.objects.bulk_create(
            [Property(customer=c, address=f"{i} Long Street", postcode=f"{2000 + i % 100}",
                      latitude=-33.8 + (i % 100) / 1000, longitude=151.2 + (i % 77) / 1000)
             for i, c in enumerate(customers)])
        users = User.objects.bulk_create(
            [User(email=f"fw{i}@bench.local", full_name=f"Worker {i}", role=Role.FIELDWORKER) for i in range(100)])
        workers = Fieldworker.objects.bulk_create([Fieldworker(user=u, name=u.full_name) for u in users])
        start = timezone.now().replace(minute=0, second=0, microsecond=0)
        bookings = Booking.objects.bulk_create([
            Booking(number=100_000 + i, customer=customers[i % 1000], property=props[i % 1000],
                    scheduled_start=start + timedelta(hours=i), scheduled_end=start + timedelta(hours=i, minutes=90),
                    time_zone="Australia/Sydney", status="confirmed")
            for i in range(N_BOOKINGS)], batch_size=2000)
        BookingLine.objects.bulk_create([
            BookingLine(booking=b, service=services[(b.number + k) % 5], description=f"Line {k}",
                        quantity=Decimal("1") + k, unit_price=Decimal("99.50"), tax_rate=Decimal("10"), position=k)
            for b in bookings for k in range(2)], batch_size=5000)
        BookingAssignment.objects.bulk_create([
            BookingAssignment(booking=b, fieldworker=workers[b.number % 100], status="accepted") for b in bookings],
            batch_size=5000)
        User.objects.create_user(email="bench-staff@bench.local", password="bench-pass-123", role=Role.STAFF)


def raw_floor(limit: int):
    import orjson
    from django.db import connection

    def run() -> bytes:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT b.id, b.number, b.status, b.scheduled_start, b.scheduled_end, c.name, c.email, c.mobile, "
                "p.address, p.postcode FROM bookings_booking b JOIN crm_customer c ON c.id = b.customer_id "
                "LEFT JOIN crm_property p ON p.id = b.property_id ORDER BY b.scheduled_start, b.id LIMIT %s",
                [limit])
            rows = cur.fetchall()
            ids = [r[0] for r in rows]
            marks = ",".join(["%s"] * len(ids))
            cur.execute(f"SELECT booking_id, description, quantity, unit_price FROM bookings_bookingline "
                        f"WHERE booking_id IN ({marks}) ORDER BY position, id", ids)
            lines: dict[int, list] = {}
            for bid, desc, qty, price in cur.fetchall():
                lines.setdefault(bid, []).append({"description": desc, "quantity": str(qty), "unitPrice": str(price)})
            cur.execute(f"SELECT a.booking_id, a.status, f.name FROM bookings_bookingassignment a "
                        f"JOIN workforce_fieldworker f ON f.id = a.fieldworker_id WHERE a.booking_id IN ({marks})", ids)
            assigns: dict[int, list] = {}
            for bid, status, name in cur.fetchall():
                assigns.setdefault(bid, []).append({"status": status, "fieldworker": {"name": name}})
        out = [{"id": r[0], "number": r[1], "status": r[2], "scheduledStart": str(r[3]), "scheduledEnd": str(r[4]),
                "customer": {"name": r[5], "email": r[6], "mobile": r[7]},
                "property": {"address": r[8], "postcode": r[9]}, "lines": lines.get(r[0], []),
                "assignments": assigns.get(r[0], [])} for r in rows]
        return orjson.dumps({"data": {"bookings": out}})

    return run


def in_process(limit: int):
    import orjson
    from django.test import RequestFactory
    from strawberry.django.context import StrawberryDjangoContext

    from core.accounts.models import User
    from core.actors import Actor
    from graphql_api.context import set_context_actor
    from graphql_api.schema import schema

    actor = Actor.from_user(User.objects.get(email="bench-staff@bench.local"))

    def run() -> bytes:
        context = StrawberryDjangoContext(request=RequestFactory().post("/graphql/"), response=None)
        set_context_actor(context, actor)
        result = schema.execute_sync(QUERY, variable_values={"first": limit}, context_value=context)
        assert result.errors is None, result.errors
        assert len(result.data["bookings"]["edges"]) == limit
        return orjson.dumps({"data": result.data})

    return run


def count_queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL (database fieldops_bench)")
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    env = configure(args.postgres)
    seed()

    import httpx

    rows = []
    with server(env) as base:
        client = httpx.Client(base_url=base, timeout=30)
        login_query = ('mutation { login(email: "bench-staff@bench.local", password: "bench-pass-123") '
                       "{ result { token } errors { code } } }")
        login = client.post("/graphql/", json={"query": login_query}).json()
        token = login["data"]["login"]["result"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for limit in (10, 100):
            raw = raw_floor(limit)
            gql = in_process(limit)
            q_raw, q_gql = count_queries(raw), count_queries(gql)
            raw_ms, gql_ms = (summary(s) for s in timed_interleaved([raw, gql], args.runs))

            def http_gql(limit=limit):
                r = client.post("/graphql/", json={"query": QUERY, "variables": {"first": limit}}, headers=headers)
                r.raise_for_status()
                assert "errors" not in r.json(), r.text[:500]

            def http_plain(limit=limit):
                client.get("/bench/bookings.json", params={"first": limit}).raise_for_status()

            http_ms, plain_ms = (summary(s) for s in timed_interleaved([http_gql, http_plain], args.runs))
            rows += [
                (limit, "raw SQL + orjson (floor)", q_raw, raw_ms[0], raw_ms[1], 1.0),
                (limit, "GraphQL in-process", q_gql, gql_ms[0], gql_ms[1], gql_ms[0] / raw_ms[0]),
                (limit, "plain Django JSON view, HTTP (floor)", "-", plain_ms[0], plain_ms[1], 1.0),
                (limit, "GraphQL over HTTP", "-", http_ms[0], http_ms[1], http_ms[0] / plain_ms[0]),
            ]
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nbookings query, {N_BOOKINGS} bookings seeded, {db}, {args.runs} runs each (ms)\n")
    print_table(["page", "what", "SQL queries", "p50 ms", "p95 ms", "p50 / floor"], rows)
    print("\ntargets: queries constant in page size; HTTP <= 2x plain view; in-process <= 40x raw floor")


if __name__ == "__main__":
    main()

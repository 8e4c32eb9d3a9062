"""Benchmark: the CSV import of 10,000 customers with a property each, against a floor measured in the
same run.

    .venv/bin/python bench/import.py [--postgres] [--runs 5] [--rows 10000]

- import: ``core.crm.imports.customers_import`` on the file's bytes (decode, parse, validate every row with
  the services' cleaning and E.164 phones, look up existing customers, insert customers, properties and
  their history rows, publish the events), into empty tables.
- floor: the same customer and property rows, already parsed and clean, inserted with ``bulk_create``
  alone: no validation, no history, no events.
- re-run: the same file again over the imported rows: every row matched, nothing written.
Each subject is timed alternately with its floor (a, b, a, b, ...), the tables emptied before each.
Target: the import under 10 s.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, summary

DB_NAME = "fieldops_bench_import"


def configure(postgres: bool) -> None:
    if postgres:
        url = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_import.sqlite3'}"
    os.environ.update({"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40),
                       "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "ERROR",
                       "DJANGO_SETTINGS_MODULE": "bench.settings"})
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [DB_NAME]).fetchone():
                conn.execute(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rows(count: int) -> list[dict[str, str]]:
    return [{"name": f"Customer {n}", "email": f"customer{n}@example.com", "mobile": f"04{n:08d}",
             "notes": "Imported" if n % 3 else "", "property_label": "Home", "address": f"{n} George Street",
             "postcode": f"{2000 + n % 800}", "city": "Sydney", "access_notes": "Side gate" if n % 2 else ""}
            for n in range(count)]


def csv_file(data: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(data[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    return out.getvalue().encode()


def empty() -> None:
    from django.db import transaction

    from core.crm.models import Customer, CustomerLog, Dependent, Property

    with transaction.atomic():
        for model in (CustomerLog, Dependent, Property, Customer):
            model.objects.all()._raw_delete(model.objects.db)  # no cascade collection: a reset, not a subject


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    configure(args.postgres)

    from django.db import transaction

    from core.accounts.models import Role, User
    from core.actors import Actor, Channel
    from core.crm.imports import customers_import
    from core.crm.models import Customer, Property
    from core.phones import normalise_phone

    user = User.objects.filter(email="bench-staff@bench.local").first() or User.objects.create_user(
        email="bench-staff@bench.local", password="bench-pass-123", role=Role.STAFF)
    staff = Actor.from_user(user)
    data = rows(args.rows)
    file = csv_file(data)
    clean = [({"name": r["name"], "email": r["email"], "mobile": normalise_phone(r["mobile"]), "notes": r["notes"]},
              {"label": r["property_label"], "address": r["address"], "postcode": r["postcode"], "city": r["city"],
               "access_notes": r["access_notes"]}) for r in data]

    def app() -> None:
        report = customers_import(actor=staff, channel=Channel.GRAPHQL, file=file)
        assert report.imported and report.created == report.properties_added == args.rows, report.errors[:3]

    def floor() -> None:
        with transaction.atomic():
            made = Customer.objects.bulk_create([Customer(**c) for c, _ in clean], batch_size=2000)
            Property.objects.bulk_create([Property(customer_id=m.pk, **p) for m, (_, p) in zip(made, clean,
                                                                                          strict=True)],
                                         batch_size=2000)

    def again() -> None:
        report = customers_import(actor=staff, channel=Channel.GRAPHQL, file=file)
        assert report.unchanged == args.rows, report

    app_ms: list[float] = []
    floor_ms: list[float] = []
    rerun_ms: list[float] = []
    for _ in range(args.runs):
        for fn, samples in ((app, app_ms), (floor, floor_ms)):
            empty()
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        empty()
        app()
        start = time.perf_counter()
        again()
        rerun_ms.append((time.perf_counter() - start) * 1000)
    empty()
    app_s, floor_s, rerun_s = summary(app_ms), summary(floor_ms), summary(rerun_ms)
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nimport of {args.rows:,} customers with a property each, {db}, {args.runs} runs (ms)\n")
    print_table(["subject", "p50 ms", "p95 ms", "p50 / floor"], [
        ("floor: bulk_create of the clean rows", floor_s[0], floor_s[1], 1.0),
        ("customers_import (validate, write, history, events)", app_s[0], app_s[1], app_s[0] / floor_s[0]),
        ("customers_import again (all matched, nothing written)", rerun_s[0], rerun_s[1], rerun_s[0] / floor_s[0]),
    ])
    verdict = "met" if app_s[0] < 10_000 else "MISSED"
    print(f"\ntarget: the import under 10 s: {verdict} (p50 {app_s[0] / 1000:.2f} s)")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

"""Benchmark: filtering bookings by a custom field value (decision 0901).

    .venv/bin/python bench/custom_fields.py [--postgres] [--scale 100000] [--runs 200]

Seeds a separate database with ``--scale`` bookings, each with a number value ("rooms", 1-20) and a
multi-choice value ("pets"), and prints p50/p95/p99 in milliseconds of:

- floor: one booking by primary key;
- typed: the first page (50) of bookings with rooms between 3 and 4, through ``filter_by_values``
  (the typed column and its (field, number) index), and its count;
- json: the same range read from a JSON document instead (what storing values only as JSON costs);
- contains: the first page of bookings whose pets contain "cat" (the choice rows and their index).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, summary, timed

DB_NAME = "fieldops_bench_jobdata"


def configure(postgres: bool) -> None:
    if postgres:
        url = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (DB_NAME,)).fetchone():
                conn.execute(f"CREATE DATABASE {DB_NAME}")
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_jobdata.sqlite3'}"
    os.environ.update({"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40),
                       "LOG_LEVEL": "ERROR", "SECURE_SSL_REDIRECT": "0"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(scale: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from core.actors import Actor, Channel
    from core.bookings.models import Booking
    from core.crm.models import Customer, Property
    from core.jobdata import services
    from core.jobdata.models import CustomField, CustomFieldChoice, CustomFieldValue

    if Booking.objects.count() >= scale:
        return
    staff = Actor(kind="staff")
    rooms = CustomField.objects.filter(key="rooms").first() or services.field_create(
        actor=staff, channel=Channel.SYSTEM, target="booking", label="Rooms", field_type="increment")
    pets = CustomField.objects.filter(key="pets").first() or services.field_create(
        actor=staff, channel=Channel.SYSTEM, target="booking", label="Pets", field_type="checkbox_multi",
        options=["dog", "cat", "bird", "fish"])
    customer = Customer.objects.create(name="Bench")
    place = Property.objects.create(customer=customer, address="1 Bench St")
    rng = random.Random(7)
    start = timezone.now()
    top = Booking.objects.order_by("-number").values_list("number", flat=True).first() or 0
    batch = 5000
    for offset in range(0, scale, batch):
        made = Booking.objects.bulk_create([
            Booking(number=top + offset + i + 1, customer=customer, property=place, time_zone="UTC",
                    scheduled_start=start + timedelta(hours=offset + i),
                    scheduled_end=start + timedelta(hours=offset + i, minutes=90))
            for i in range(min(batch, scale - offset))])
        values = []
        for booking in made:
            values.append(CustomFieldValue(field=rooms, target="booking", object_id=booking.pk,
                                           number=Decimal(rng.randint(1, 20)), choices={"n": rng.randint(1, 20)}))
        CustomFieldValue.objects.bulk_create(values)
        chosen = [CustomFieldValue(field=pets, target="booking", object_id=b.pk,
                                   choices=rng.sample(["dog", "cat", "bird", "fish"], rng.randint(1, 2)))
                  for b in made]
        CustomFieldValue.objects.bulk_create(chosen)
        CustomFieldChoice.objects.bulk_create([
            CustomFieldChoice(value=v, field=pets, target="booking", object_id=v.object_id, choice=c)
            for v in chosen for c in v.choices])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    configure(args.postgres)
    seed(args.scale)

    from django.db.models import DecimalField
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    from core.actors import Actor
    from core.bookings.models import Booking
    from core.jobdata.models import CustomFieldValue
    from core.jobdata.selectors import Condition, filter_by_values

    staff = Actor(kind="staff")
    first = Booking.objects.order_by("pk").values_list("pk", flat=True).first()
    bookings = Booking.objects.order_by("scheduled_start", "id")

    def floor():
        return list(Booking.objects.filter(pk=first).values_list("pk", flat=True))

    def typed_page():
        qs = filter_by_values(bookings, staff, "booking", [Condition(key="rooms", min="3", max="4")])
        return list(qs.values_list("pk", flat=True)[:50])

    def typed_count():
        return filter_by_values(bookings, staff, "booking", [Condition(key="rooms", min="3", max="4")]).count()

    def json_page():
        matching = (CustomFieldValue.objects.filter(field__key="rooms", field__target="booking")
                    .annotate(n=Cast(KeyTextTransform("n", "choices"), DecimalField(max_digits=14, decimal_places=4)))
                    .filter(n__gte=3, n__lte=4).values("object_id"))
        return list(bookings.filter(pk__in=matching).values_list("pk", flat=True)[:50])

    def contains_page():
        qs = filter_by_values(bookings, staff, "booking", [Condition(key="pets", contains="cat")])
        return list(qs.values_list("pk", flat=True)[:50])

    assert len(typed_page()) == len(json_page()) == 50
    rows = []
    for name, fn in (("floor (pk)", floor), ("typed range, page of 50", typed_page),
                     ("typed range, count", typed_count), ("json range, page of 50", json_page),
                     ("contains, page of 50", contains_page)):
        runs = args.runs if "count" not in name else max(20, args.runs // 10)
        p50, p95, p99 = summary(timed(fn, runs))
        rows.append((name, f"{p50:.2f}", f"{p95:.2f}", f"{p99:.2f}"))
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{engine}, {Booking.objects.count():,} bookings, {CustomFieldValue.objects.count():,} values")
    print_table(["query", "p50 ms", "p95 ms", "p99 ms"], rows)


if __name__ == "__main__":
    main()

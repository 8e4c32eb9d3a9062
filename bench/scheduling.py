"""Benchmark: the scheduling engine at scale.

    .venv/bin/python bench/scheduling.py [--postgres] [--runs 200] [--reseed]

Seeds (once) a separate benchmark database: 2,000 fieldworkers and 200,000 bookings on PostgreSQL,
a tenth of that on SQLite (``--scale`` overrides), around Sydney, with weekday hours, some leave and
non-overlapping assignments (30 min travel buffer). Then prints p50/p95/p99 in milliseconds of:

- floor: a bare indexed SELECT of one booking by primary key (what one round trip costs here);
- the availability finder (a 2-hour job, a random service, place and working hour): ids, reasons,
  distance and load, ranked; and the same plus loading the fieldworkers it returns (GraphQL's cost);
- the slot finder (one day, 20 slots);
- the nearby locator (5 km, one day): ids, starts and distances, nearest first; and the same plus
  loading the found bookings with their customer and property (what the GraphQL field does);
- the conflict check alone (the indexed overlap query run before every assignment), a plain insert of
  an assignment row, and a full ``booking_assign`` (check + insert + history + exclusion constraint);
  writes are rolled back so the data set does not drift.

Targets on PostgreSQL: availability p95 < 20 ms, nearby p95 < 5 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, summary

DB_NAME = "fieldops_bench_scheduling"
BOX = (-34.05, -33.65, 150.75, 151.30)  # Sydney-ish: min lat, max lat, min lng, max lng
DAYS = 360
SLOTS = [(8, 0), (10, 30), (13, 0), (15, 30)]  # 2-hour jobs, 30 minutes apart
BUFFER_MIN = 30


def configure(postgres: bool) -> None:
    if postgres:
        url = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_scheduling.sqlite3'}"
    os.environ.update({"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40),
                       "LOG_LEVEL": "ERROR", "SECURE_SSL_REDIRECT": "0"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (DB_NAME,)).fetchone():
                conn.execute(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(n_workers: int, n_bookings: int, rng: random.Random) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from core.accounts.models import Role, User
    from core.actors import Actor, Channel
    from core.bookings.models import Booking, BookingAssignment, BookingStatus
    from core.catalog.models import Service
    from core.company.models import Company
    from core.crm.models import Customer, Property
    from core.workforce.models import Fieldworker, SchedulingSettings, TimeOff, WorkingHours
    from core.workforce.services import service_area_save

    if Booking.objects.count() >= n_bookings and Fieldworker.objects.count() >= n_workers:
        return 0.0
    t0 = clock.perf_counter()
    print(f"seeding {n_workers:,} fieldworkers and {n_bookings:,} bookings ...", flush=True)
    Company.objects.update_or_create(pk=1, defaults={"time_zone": "Australia/Sydney"})
    SchedulingSettings.objects.update_or_create(pk=1, defaults={"travel_buffer_minutes": BUFFER_MIN})
    tz = Company.objects.get(pk=1).tz
    batch = 5000
    with transaction.atomic():
        services = Service.objects.bulk_create(
            Service(name=f"Service {i}", price=100, duration_minutes=120) for i in range(20))
        users = User.objects.bulk_create(
            (User(email=f"bench-fw{i}@example.com", full_name=f"Worker {i}", role=Role.FIELDWORKER,
                  password="!") for i in range(n_workers)), batch_size=batch)
        workers = Fieldworker.objects.bulk_create(
            (Fieldworker(user=u, name=u.full_name, home_latitude=rng.uniform(BOX[0], BOX[1]),
                         home_longitude=rng.uniform(BOX[2], BOX[3]), service_radius_km=rng.choice([15, 25, 40]))
             for u in users), batch_size=batch)
        through = Fieldworker.services.through
        through.objects.bulk_create(
            (through(fieldworker_id=w.pk, service_id=s.pk) for w in workers for s in rng.sample(services, 3)),
            batch_size=batch)
        WorkingHours.objects.bulk_create(
            (WorkingHours(fieldworker=w, weekday=d, start_time=time(7, 30), end_time=time(18, 0))
             for w in workers for d in range(5)), batch_size=batch)
        today = timezone.now().astimezone(tz).date()
        offs = []
        for w in rng.sample(workers, n_workers // 20):
            start = datetime.combine(today + timedelta(days=rng.randrange(-30, DAYS - 90)), time(0), tzinfo=tz)
            offs.append(TimeOff(fieldworker=w, starts_at=start, ends_at=start + timedelta(days=7)))
        TimeOff.objects.bulk_create(offs, batch_size=batch)
        service_area_save(actor=Actor.system(), channel=Channel.SYSTEM, name="CBD", postcodes=["2000", "2010"])
        n_customers = max(1, n_bookings // 10)
        customers = Customer.objects.bulk_create(
            (Customer(name=f"Customer {i}", email=f"bench-c{i}@example.com") for i in range(n_customers)),
            batch_size=batch)
        props = Property.objects.bulk_create(
            (Property(customer=c, address=f"{i} Bench St", postcode=str(2000 + i % 200),
                      latitude=rng.uniform(BOX[0], BOX[1]), longitude=rng.uniform(BOX[2], BOX[3]))
             for i, c in enumerate(customers)), batch_size=batch)
        taken: set[tuple[int, int, int]] = set()
        bookings, pairs = [], []
        first_day = today - timedelta(days=60)
        number = 100_000
        while len(bookings) < n_bookings:
            w = rng.randrange(len(workers))
            day = rng.randrange(DAYS)
            if (first_day + timedelta(days=day)).weekday() >= 5:
                continue
            slot = rng.randrange(len(SLOTS))
            if (w, day, slot) in taken:
                continue
            taken.add((w, day, slot))
            h, m = SLOTS[slot]
            start = datetime.combine(first_day + timedelta(days=day), time(h, m), tzinfo=tz)
            prop = props[rng.randrange(len(props))]
            number += 1
            bookings.append(Booking(number=number, customer_id=prop.customer_id, property=prop,
                                    latitude=prop.latitude, longitude=prop.longitude,  # bulk_create skips save()
                                    scheduled_start=start, scheduled_end=start + timedelta(hours=2),
                                    time_zone="Australia/Sydney", status=BookingStatus.CONFIRMED))
            pairs.append(workers[w].pk)
        Booking.objects.bulk_create(bookings, batch_size=batch)
        buffer = timedelta(minutes=BUFFER_MIN)
        BookingAssignment.objects.bulk_create(
            (BookingAssignment(booking=b, fieldworker_id=fw_id, status="accepted", busy_from=b.scheduled_start,
                               busy_until=b.scheduled_end + buffer) for b, fw_id in zip(bookings, pairs, strict=True)),
            batch_size=batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    took = clock.perf_counter() - t0
    print(f"seeded in {took:.1f} s", flush=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--scale", type=float, default=None, help="1.0 = 2,000 workers / 200,000 bookings")
    parser.add_argument("--reseed", action="store_true", help="drop the benchmark database first")
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else (1.0 if args.postgres else 0.1)
    n_workers, n_bookings = int(2000 * scale), int(200_000 * scale)
    if args.reseed:
        if args.postgres:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        else:
            (ROOT / "var" / "bench_scheduling.sqlite3").unlink(missing_ok=True)
    configure(args.postgres)

    from django.db import connection, transaction
    from django.utils import timezone

    from core.actors import Actor, Channel
    from core.bookings import conflicts
    from core.bookings import services as booking_services
    from core.bookings.models import Booking, BookingAssignment
    from core.bookings.nearby import load_bookings, nearby_bookings
    from core.catalog.models import Service
    from core.company.selectors import get_company
    from core.workforce.availability import Location, available_fieldworkers, available_slots, fieldworkers_for_ids
    from core.workforce.models import Fieldworker

    rng = random.Random(7)
    seed(n_workers, n_bookings, rng)
    actor = Actor.system()
    tz = get_company().tz
    today = timezone.now().astimezone(tz).date()
    service_ids = list(Service.objects.values_list("pk", flat=True))
    booking_ids = list(Booking.objects.values_list("pk", flat=True)[:50_000])
    worker_ids = list(Fieldworker.objects.values_list("pk", flat=True))
    n_bookings_now = Booking.objects.count()

    def future_day() -> datetime:
        while True:
            day = today + timedelta(days=rng.randrange(1, 200))
            if day.weekday() < 5:
                return datetime.combine(day, time(0), tzinfo=tz)

    def point() -> Location:
        return Location(rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3]), "")

    def floor():
        Booking.objects.filter(pk=rng.choice(booking_ids)).values_list("pk", "scheduled_start").first()

    found_counts: list[int] = []

    def availability():
        start = future_day() + timedelta(hours=rng.choice([8, 9, 10, 11, 13, 14]))
        found = available_fieldworkers(actor=actor, service_id=rng.choice(service_ids), start=start,
                                       end=start + timedelta(hours=2), location=point())
        found_counts.append(len(found))

    def availability_loaded():
        """What the GraphQL field does: the finder, then the fieldworkers it returns."""
        start = future_day() + timedelta(hours=rng.choice([8, 9, 10, 11, 13, 14]))
        found = available_fieldworkers(actor=actor, service_id=rng.choice(service_ids), start=start,
                                       end=start + timedelta(hours=2), location=point())
        fieldworkers_for_ids(c.fieldworker_id for c in found)

    def slots():
        day = future_day()
        available_slots(actor=actor, service_id=rng.choice(service_ids), location=point(), start=day,
                        end=day + timedelta(days=1), limit=20)

    nearby_counts: list[int] = []

    def nearby():
        day = future_day()
        p = point()
        nearby_counts.append(len(nearby_bookings(actor=actor, latitude=p.latitude, longitude=p.longitude,
                                                 radius_km=5, start=day, end=day + timedelta(days=1))))

    def nearby_loaded():
        """What the GraphQL field does: the locator, then the found bookings with customer and property."""
        day = future_day()
        p = point()
        found = nearby_bookings(actor=actor, latitude=p.latitude, longitude=p.longitude, radius_km=5, start=day,
                                end=day + timedelta(days=1))
        load_bookings(found, "customer", "property")

    def conflict_check():
        start = future_day() + timedelta(hours=rng.choice([8, 10, 13]))
        list(conflicts.overlapping([rng.choice(worker_ids)], start, start + timedelta(hours=2)).values_list("pk"))

    # writes: one booking per run, created outside the timing; each timed write is rolled back
    fresh = []
    for _ in range(args.runs + 5):
        start = future_day() + timedelta(hours=19)  # evening: outside the seeded slots
        b = Booking.objects.create(number=10_000_000 + len(fresh) + rng.randrange(10**6) * 100,
                                   customer_id=Booking.objects.values_list("customer_id", flat=True).first(),
                                   scheduled_start=start, scheduled_end=start + timedelta(hours=1),
                                   time_zone="Australia/Sydney")
        fresh.append(b)
    write_iter = iter(fresh)

    class Rollback(Exception):
        pass

    def rolled_back(fn):
        def run():
            try:
                with transaction.atomic():
                    fn()
                    raise Rollback
            except Rollback:
                pass
        return run

    def plain_insert():
        b = next(write_iter)
        BookingAssignment.objects.create(booking=b, fieldworker_id=rng.choice(worker_ids))

    def full_assign():
        b = next(write_iter)
        # evening jobs are outside the seeded hours: the hours check runs, the override lets the write go on
        booking_services.booking_assign(actor=actor, channel=Channel.SYSTEM, booking_id=b.pk,
                                        fieldworker_id=rng.choice(worker_ids), override_availability=True)

    runs = args.runs
    results = []

    def measure(name, fn, warmup=3):
        """Wall-clock p50/p95/p99 and this process's CPU p50 (what the machine's other load cannot inflate
        much: the difference is time spent waiting for the database and for a core)."""
        for _ in range(warmup):
            fn()
        wall, cpu = [], []
        for _ in range(runs):
            w0, c0 = clock.perf_counter(), clock.process_time()
            fn()
            wall.append((clock.perf_counter() - w0) * 1000)
            cpu.append((clock.process_time() - c0) * 1000)
        results.append((name, *summary(wall), statistics.median(cpu)))
    measure("floor: SELECT booking by pk", floor)
    measure("availability finder (2 h job)", availability)
    measure("availability + load its fieldworkers", availability_loaded)
    measure("slot finder (1 day, 20 slots)", slots)
    measure("nearby locator (5 km, 1 day)", nearby)
    measure("nearby + load its bookings", nearby_loaded)
    measure("conflict check query", conflict_check)
    write_iter = iter(fresh)
    measure("insert assignment, no check", rolled_back(plain_insert), warmup=2)
    write_iter = iter(fresh)
    measure("booking_assign (check+insert+log)", rolled_back(full_assign), warmup=2)
    Booking.objects.filter(pk__in=[b.pk for b in fresh]).delete()

    print()
    print(f"database: {connection.vendor}; fieldworkers {len(worker_ids):,}; bookings {n_bookings_now:,}; "
          f"runs {runs}; travel buffer {BUFFER_MIN} min")
    print(f"availability: {sum(found_counts) / max(1, len(found_counts)):.1f} candidates on average; "
          f"nearby: {sum(nearby_counts) / max(1, len(nearby_counts)):.1f} bookings on average")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    floor_p50 = results[0][1]
    print_table(["operation", "p50 ms", "p95 ms", "p99 ms", "client CPU p50 ms", "p50 / floor"],
                [(*row, row[1] / floor_p50) for row in results])
    if connection.vendor == "postgresql":
        verdict = {name: p95 for name, _p50, p95, _p99, _cpu in results}
        print()
        print(f"target availability p95 < 20 ms: {verdict['availability finder (2 h job)']:.2f} ms "
              f"{'OK' if verdict['availability finder (2 h job)'] < 20 else 'MISSED'}")
        print(f"target nearby p95 < 5 ms: {verdict['nearby locator (5 km, 1 day)']:.2f} ms "
              f"{'OK' if verdict['nearby locator (5 km, 1 day)'] < 5 else 'MISSED'}")


if __name__ == "__main__":
    main()

"""Benchmark: job data. A 5 MB photo uploaded to a booking end to end over HTTP, against the floor of
writing the same bytes with the storage API, measured in the same run.

    .venv/bin/python bench/uploads.py [--postgres] [--runs 10]   (bench/forms.py runs it after its own table)

- Floor: ``default_storage.save`` of the photo's bytes in this process (what storing costs at least).
- Service: ``core.files.services.file_upload_to_booking`` in this process: the content check (Pillow opens,
  verifies and decodes), EXIF and GPS dropped (the photo re-encoded), the thumbnail, the two writes,
  the row and its history.
- HTTP: ``uploadBookingFile`` as a GraphQL multipart request to the served app (``manage.py serve``):
  the upload parsed by Django, then the same service.
Each is timed alternately with the floor (a, b, a, b, ...), so both see the same machine load. The
stored photos are removed at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, server, summary, timed_interleaved

UPLOAD = """
mutation ($bookingId: ID!, $file: Upload!) {
  uploadBookingFile(bookingId: $bookingId, file: $file) { file { id size } errors { code message } }
}"""


def configure(postgres: bool) -> dict[str, str]:
    if postgres:
        url = "postgres://postgres@127.0.0.1:5432/fieldops_bench_forms"
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_forms.sqlite3'}"
    env = {"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40), "SECURE_SSL_REDIRECT": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "ERROR", "GRAPHQL_INTROSPECTION": "0",
           "FIELDOPS_VAR_DIR": str(ROOT / "var" / "bench_forms")}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname='fieldops_bench_forms'").fetchone():
                conn.execute("CREATE DATABASE fieldops_bench_forms")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def photo(target: int = 5 * 1024 * 1024) -> bytes:
    """A phone-like JPEG of about ``target`` bytes (noise compresses badly), with EXIF and a GPS position."""
    from PIL import Image

    width, height = 2600, 2000
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    exif = Image.Exif()
    exif[0x0110] = "FieldPhone 9"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (33.0, 51.0, 54.0), "E", (151.0, 12.0, 36.0)
    for quality in (70, 80, 85, 90, 95):
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, exif=exif)
        if out.tell() >= target:
            break
    return out.getvalue()


def seed() -> int:
    """A staff login and one booking (through the booking service); returns the booking's id."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from core.accounts.models import Role, User
    from core.actors import Actor, Channel
    from core.bookings.models import Booking
    from core.bookings.services import LineInput, booking_create
    from core.catalog.models import Service
    from core.company.selectors import get_company
    from core.crm.models import Customer, Property

    if not User.objects.filter(email="bench-staff@bench.local").exists():
        User.objects.create_user(email="bench-staff@bench.local", password="bench-pass-123", role=Role.STAFF)
    booking = Booking.objects.order_by("pk").first()
    if booking is not None:
        return booking.pk
    get_company()
    service = Service.objects.create(name="Photos", price=Decimal("100"), duration_minutes=60)
    customer = Customer.objects.create(name="Photo customer", email="photo@example.com")
    prop = Property.objects.create(customer=customer, address="1 George St", postcode="2000")
    start = timezone.now() + timedelta(days=3)
    return booking_create(actor=Actor.system(), channel=Channel.SYSTEM, customer_id=customer.pk, property_id=prop.pk,
                          scheduled_start=start, scheduled_end=start + timedelta(hours=1),
                          lines=[LineInput(service_id=service.pk, quantity=Decimal("1"))]).pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    env = configure(args.postgres)
    booking_id = seed()

    import httpx
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from core.accounts.models import User
    from core.actors import Actor, Channel
    from core.files import services
    from graphql_api.ids import encode_id

    data = photo()
    staff = Actor.from_user(User.objects.get(email="bench-staff@bench.local"))

    def floor() -> None:
        default_storage.save(f"files/bench/{secrets.token_hex(16)}.jpg", ContentFile(data))

    def in_process() -> None:
        services.file_upload_to_booking(actor=staff, channel=Channel.SYSTEM, booking_id=booking_id, upload=data,
                                        name="photo.jpg")

    service_ms, floor_a = (summary(s) for s in timed_interleaved([in_process, floor], args.runs, warmup=1))
    with server(env) as base:
        client = httpx.Client(base_url=base, timeout=60)
        login = ('mutation { login(email: "bench-staff@bench.local", password: "bench-pass-123") '
                 "{ result { token } errors { code } } }")
        token = client.post("/graphql/", json={"query": login}).json()["data"]["login"]["result"]["token"]
        operations = json.dumps({"query": UPLOAD, "variables": {"bookingId": encode_id("Booking", booking_id),
                                                                "file": None}})

        def http_upload() -> None:
            response = client.post("/graphql/", headers={"Authorization": f"Bearer {token}"},
                                   data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
                                   files={"0": ("photo.jpg", data, "image/jpeg")})
            response.raise_for_status()
            payload = response.json()["data"]["uploadBookingFile"]
            assert payload["errors"] == [], payload

        http_ms, floor_b = (summary(s) for s in timed_interleaved([http_upload, floor], args.runs, warmup=1))
    floor_ms = floor_b
    rows = [("storage API write of the bytes (floor)", floor_ms[0], floor_ms[1], 1.0),
            ("file_upload_to_booking in process", service_ms[0], service_ms[1], service_ms[0] / floor_a[0]),
            ("uploadBookingFile, multipart over HTTP", http_ms[0], http_ms[1], http_ms[0] / floor_ms[0])]
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{len(data) / 1024 / 1024:.1f} MB JPEG photo with EXIF/GPS, {db}, {args.runs} runs (ms)\n")
    print_table(["subject", "p50 ms", "p95 ms", "p50 / floor"], rows)
    print(f"\nload average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    from core.files.models import StoredFile

    StoredFile.objects.filter(booking_id=booking_id).delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "files", ignore_errors=True)


if __name__ == "__main__":
    main()

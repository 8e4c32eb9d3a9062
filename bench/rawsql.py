"""Benchmark: each hand-written statement (core/rawsql.py and the reads written out beside it,
decision 0409) against its ORM form, in the request that runs it, in the same run.

    .venv/bin/python bench/rawsql.py [--sqlite] [--rounds 60] [--warmup 6]

PostgreSQL by default (``fieldops_rawsql``, dropped and made afresh), SQLite with ``--sqlite``.
Seeds customers whose booking's confirmation SMS went out (as bench/sms_webhook.py does), then
posts Twilio-signed inbound SMS webhooks through Django's handler in this process, three kinds:
``CANCEL <number>``, ``YES`` and a free text (a booking comment). With the immediate task backend
the after-commit work (the e-mail, the boards' broadcast, the chat notices) runs in the request,
as it does in the server's process.

Each statement has a switch: its ORM form (what its call site would say without core/rawsql.py)
replaces it for one request. In every round, for each kind of request, the webhook runs once with
every statement written out ("raw"), once with each statement that kind runs in its ORM form, once
with all of them in their ORM forms, and GET /healthz once (the floor), in turn, so all variants
see the same machine load. The measure is this process's CPU time per request (user + system, not
wall clock), its median over the rounds. A statement's saving is
(median with its ORM form - median raw) / median with its ORM form: the share of its request's CPU
that writing it out saves. Decision 0409 keeps a statement only where that is at least 10%.
"calls" is how often the statement ran per request of that kind (0: the kind does not run it).
A statement whose call site no longer goes through a switch below (returned to the ORM) is not
listed; this file as first committed measured those (decision 0409).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table
from bench.sms_webhook import OUR_NUMBER, PATH, TOKEN, configure, seed

KINDS = ("cancel", "confirm", "text")
BODIES = {"cancel": "CANCEL {n}", "confirm": "YES", "text": "Running 10 minutes late, the gate code is 4411"}
THRESHOLD = 0.10

ORM: set[str] = set()  # the statements running in their ORM form now
CALLS: Counter[str] = Counter()


# --- the ORM forms -------------------------------------------------------------------------------


def orm_get(model: Any, pk: Any, *related: str, for_update: bool = False) -> Any:
    """``rawsql.get`` as its call site would write it."""
    queryset = model._default_manager.all()
    if related:
        queryset = queryset.select_related(*related)
    if for_update:
        queryset = queryset.select_for_update(of=("self",)) if related else queryset.select_for_update()
    return queryset.filter(pk=pk).first()


def orm_prefetch(obj: Any, name: str) -> list:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects([obj], name)
    return list(getattr(obj, name).all())


def orm_open_prompts(customer_number: str, our_number: str) -> list:
    from django.db.models import Q
    from django.utils import timezone

    from core.sms.models import SmsPrompt

    return list(
        SmsPrompt.objects.filter(customer_number=customer_number, closed_at__isnull=True)
        .filter(Q(our_number=our_number) | Q(our_number=""))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("booking__customer")
        .only("id", "kind", "data", "booking", "created_at", "booking__number", "booking__status",
              "booking__scheduled_start", "booking__time_zone", "booking__customer__name",
              "booking__customer__mobile", "booking__customer__user")
        .order_by("-created_at", "-id"))


def orm_is_opted_out(number: str) -> bool:
    from core.sms.models import SmsOptOut

    return SmsOptOut.objects.filter(number=number, opted_out=True).exists()


def orm_booking_snapshot(booking_id: int) -> dict | None:
    from core.bookings.models import ACTIVE_ASSIGNMENT, Booking, BookingAssignment

    booking = (Booking.objects.select_related("customer", "property")
               .only("number", "status", "scheduled_start", "scheduled_end", "time_zone", "owner_id",
                     "customer__name", "property__address", "property__city")
               .filter(pk=booking_id).first())
    if booking is None:
        return None
    place = booking.property
    return {
        "id": booking_id, "number": booking.number, "status": booking.status,
        "scheduled_start": booking.scheduled_start.isoformat(), "scheduled_end": booking.scheduled_end.isoformat(),
        "time_zone": booking.time_zone, "customer_id": booking.customer_id, "customer_name": booking.customer.name,
        "address": ", ".join(part for part in ((place.address, place.city) if place else ()) if part),
        "owner_id": booking.owner_id,
        "fieldworkers": [{"id": fw_id, "name": name, "status": status} for fw_id, name, status in
                         BookingAssignment.objects.filter(booking_id=booking_id, status__in=ACTIVE_ASSIGNMENT)
                         .order_by("offered_at", "id").values_list("fieldworker_id", "fieldworker__name", "status")],
    }


def orm_save_columns(booking: Any, *names: str) -> None:
    booking.save(update_fields=[*names, "updated_at"])


# --- the switches --------------------------------------------------------------------------------

# (module using core.rawsql, function, model, related names) -> the statement's name in the table
RAWSQL_SITES: dict[tuple[str, str, str, tuple[str, ...]], str] = {
    ("core.bookings.services", "get", "Booking", ()): "bookings._locked: Booking FOR UPDATE",
    ("core.outreach.services", "get", "Booking", ("customer",)): "email_queue: Booking + customer",
    ("core.outreach.services", "get", "Booking", ("customer", "property")): "email render: Booking + lines",
    ("core.outreach.services", "prefetch", "Booking", ("lines",)): "email render: Booking + lines",
}
# (module, attribute, ORM form) -> name: functions whose body is the written-out statement
FUNCTION_SITES: dict[tuple[str, str, Callable], str] = {
    ("core.sms.selectors", "open_prompts", orm_open_prompts): "open_prompts",
    ("core.sms.selectors", "is_opted_out", orm_is_opted_out): "is_opted_out",
    ("realtime.payloads", "booking_snapshot", orm_booking_snapshot): "booking_snapshot",
}
# Returned to the ORM after the run of decision 0409 (measured by this file as first committed, in the
# commit before the one that returned them):
# get_company, history.record's INSERT, booking_comment_add's customer read and INSERT, the SMS
# log's INSERT and UPDATE, the e-mail log's INSERT, claim, read and outcome UPDATE, the reminders'
# withdrawal, on_booking_cancelled's read and conflicts.holders.


class Switch:
    """Stands for ``core.rawsql`` in one module: each call runs the statement written out or, when
    its name is in ORM, its ORM form."""

    def __init__(self, module: str, rawsql: Any) -> None:
        self.module, self.rawsql = module, rawsql

    def _name(self, function: str, model: Any, related: tuple[str, ...]) -> str:
        name = RAWSQL_SITES.get((self.module, function, model.__name__, related))
        if name is None:
            raise KeyError(f"{self.module} calls rawsql.{function}({model.__name__}, {related}): "
                           "a statement this benchmark does not know; add it to RAWSQL_SITES")
        CALLS[name] += 1
        return name

    def get(self, model: Any, pk: Any, *related: str, for_update: bool = False) -> Any:
        if self._name("get", model, related) in ORM:
            return orm_get(model, pk, *related, for_update=for_update)
        return self.rawsql.get(model, pk, *related, for_update=for_update)

    def prefetch(self, obj: Any, name: str) -> list:
        if self._name("prefetch", type(obj), (name,)) in ORM:
            return orm_prefetch(obj, name)
        return self.rawsql.prefetch(obj, name)


def install() -> list[str]:
    """Puts the switches in place; returns the statements found written out."""
    import importlib

    found: list[str] = []
    for module_name in sorted({site[0] for site in RAWSQL_SITES}):
        module = importlib.import_module(module_name)
        if hasattr(module, "rawsql"):
            module.rawsql = Switch(module_name, module.rawsql)
            found.extend(name for site, name in RAWSQL_SITES.items() if site[0] == module_name)
    for (module_name, attribute, orm_form), name in FUNCTION_SITES.items():
        module = importlib.import_module(module_name)
        written = getattr(module, attribute)

        def switched(*args: Any, _name: str = name, _raw: Callable = written, _orm: Callable = orm_form) -> Any:
            CALLS[_name] += 1
            return (_orm if _name in ORM else _raw)(*args)

        setattr(module, attribute, switched)
        found.append(name)
    from core.bookings.models import Booking

    if getattr(Booking, "save_columns", None) is not None:
        written_columns = Booking.save_columns

        def save_columns(self: Any, *names: str) -> None:
            CALLS["Booking.save_columns: UPDATE"] += 1
            if "Booking.save_columns: UPDATE" in ORM:
                orm_save_columns(self, *names)
            else:
                written_columns(self, *names)

        Booking.save_columns = save_columns
        found.append("Booking.save_columns: UPDATE")
    return list(dict.fromkeys(found))


# --- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=6)
    args = parser.parse_args()
    public_url = "https://fieldops.bench.example"
    configure(not args.sqlite, public_url, name="rawsql")

    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from conversations.sms.signing import sign

    statements = install()
    client = Client()

    def request(kind: str, person: tuple[str, int]) -> float:
        mobile, number = person
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32, "From": mobile,
                  "To": OUR_NUMBER, "Body": BODIES[kind].format(n=number), "NumMedia": "0"}
        body, signature = urlencode(params).encode(), sign(f"{public_url}{PATH}", params, token=TOKEN)
        t0 = time.process_time()
        response = client.post(PATH, data=body, content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": signature}, SERVER_NAME="127.0.0.1")
        cpu = (time.process_time() - t0) * 1000
        assert response.status_code == 200 and b"<Message" in response.content, response.content[:300]
        return cpu

    def floor() -> float:
        t0 = time.process_time()
        assert client.get("/healthz", SERVER_NAME="127.0.0.1").status_code == 200
        return (time.process_time() - t0) * 1000

    # which statements each kind of request runs: a few requests with everything written out
    # which statements each kind of request runs: a few requests with everything written out
    probe = iter(seed(3 * len(KINDS)))
    runs: dict[str, list[str]] = {}
    for kind in KINDS:
        CALLS.clear()
        for _ in range(3):
            request(kind, next(probe))
        runs[kind] = [name for name in statements if CALLS[name]]
    calls: dict[tuple[str, str], float] = {}
    variants = {kind: ["raw", *runs[kind], "all ORM"] for kind in KINDS}
    # one customer per request, and one more per variant for counting its queries
    needed = sum(len(names) for names in variants.values()) * (args.rounds + args.warmup + 1)
    t0 = time.perf_counter()
    people = iter(seed(needed, first=3 * len(KINDS)))
    print(f"seeded {needed} customers in {time.perf_counter() - t0:.0f}s "
          f"({'SQLite' if args.sqlite else 'PostgreSQL'}); measuring {args.rounds} rounds")
    connections.close_all()

    def switch(kind: str, variant: str) -> None:
        ORM.clear()
        if variant == "all ORM":
            ORM.update(runs[kind])
        elif variant != "raw":
            ORM.add(variant)

    queries: dict[tuple[str, str], int] = {}
    for kind in KINDS:
        for variant in variants[kind]:
            switch(kind, variant)
            with CaptureQueriesContext(connections["default"]) as captured:
                request(kind, next(people))
            queries[(kind, variant)] = len(captured)
    ORM.clear()

    samples: dict[tuple[str, str], list[float]] = {}
    floors: list[float] = []
    for round_ in range(args.warmup + args.rounds):
        measured = round_ >= args.warmup
        cpu = floor()
        if measured:
            floors.append(cpu)
        for kind in KINDS:
            order = variants[kind]
            shift = round_ % len(order)  # each variant takes each place in the round in turn
            for variant in order[shift:] + order[:shift]:
                switch(kind, variant)
                CALLS.clear()
                cpu = request(kind, next(people))
                ORM.clear()
                if measured:
                    samples.setdefault((kind, variant), []).append(cpu)
                    if variant == "raw":
                        for name in runs[kind]:
                            calls[(kind, name)] = calls.get((kind, name), 0) + CALLS[name] / args.rounds

    floor_ms = statistics.median(floors)
    half = args.rounds // 2

    def saving_of(kind: str, variant: str, part: slice) -> float:
        raw = statistics.median(samples[(kind, "raw")][part])
        orm = statistics.median(samples[(kind, variant)][part])
        return (orm - raw) / orm

    rows, best = [], {}
    for kind in KINDS:
        raw = statistics.median(samples[(kind, "raw")])
        rows.append((kind, "everything written out", "-", queries[(kind, "raw")], raw, f"{raw / floor_ms:.1f}x",
                     "-", "-", "-"))
        for name in [*runs[kind], "all ORM"]:
            orm = statistics.median(samples[(kind, name)])
            saving = (orm - raw) / orm
            first, second = saving_of(kind, name, slice(None, half)), saving_of(kind, name, slice(half, None))
            halves = f"{first:+.1%} / {second:+.1%}"
            label = "every statement in its ORM form" if name == "all ORM" else name
            count = "-" if name == "all ORM" else f"{calls[(kind, name)]:.0f}"
            rows.append((kind, label, count, queries[(kind, name)], orm, f"{orm / floor_ms:.1f}x", orm - raw,
                         f"{saving:+.1%}", halves))
            if name != "all ORM":
                best[name] = max(best.get(name, (-1.0, kind)), (saving, kind))
    print()
    print(f"CPU per request (this process, median of {args.rounds} rounds); floor GET /healthz {floor_ms:.2f} ms")
    print_table(["request", "statement in its ORM form", "calls", "queries", "CPU ms/req", "CPU / floor",
                 "ORM - raw ms", "saving", "saving, 1st / 2nd half"], rows)
    print()
    print(f"verdict (keep where the saving is at least {THRESHOLD:.0%} of the CPU of a request that runs it):")
    print_table(["statement", "best saving", "in request", "verdict"],
                [(name, f"{saving:+.1%}", kind, "keep" if saving >= THRESHOLD else "return to the ORM")
                 for name, (saving, kind) in sorted(best.items(), key=lambda item: -item[1][0])])
    missing = [name for name in statements if name not in best]
    if missing:
        print(f"written out but run by none of these requests: {', '.join(missing)}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

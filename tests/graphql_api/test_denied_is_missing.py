"""Denied is identical to missing, everywhere (decision 0150).

Every query and mutation argument of type ID, found in the schema itself, is tried over HTTP by
every role: once with an id of a row that exists but the caller may not see or change, once with
an id of no row at all. The two answers must be the same bytes, cost the same number of database
queries, and leave the database as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.accounts.models import ApiToken
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.catalog.models import ServiceCategory
from core.crm import services as crm_services
from core.crm.models import PropertyType
from core.outreach import services as outreach_services
from core.outreach.models import EmailMessage
from core.workforce import services as workforce_services
from tests import factories

from .conftest import gid
from .over_http import URL, sign_in
from .walk import CASES, document, fill, ref_paths, schema_id_paths

MISSING_PK = 987_654_321

# every app of the domain, the logs and outboxes included: a refusal writes nothing anywhere
_APPS = ("accounts", "company", "crm", "catalog", "workforce", "bookings", "notifications", "chat", "outreach")


def _tables() -> list[str]:
    present = set(connection.introspection.table_names())
    return sorted({model._meta.db_table for label in _APPS
                   for model in apps.get_app_config(label).get_models(include_auto_created=True)} & present)


def db_state(tables: list[str]) -> dict[str, list[tuple]]:
    """Every row of every table of the domain, read with one plain statement per table."""
    state = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            state[table] = cursor.fetchall()
    return state


@dataclass
class Role:
    name: str
    user: Any  # None: anonymous
    own: dict[str, int]  # type name -> the pk the caller uses for the arguments not under test
    hidden: dict[str, list[int]] = field(default_factory=dict)  # type name -> rows it may not see or change


@dataclass
class Walk:
    roles: dict[str, Role]


def _side(world, letter: str, *, staff_user, extra: dict[str, int]) -> dict[str, int]:
    cust = getattr(world, f"cust_{letter}")
    booking = getattr(world, f"booking_{letter}")
    return {
        "Booking": booking.pk, "Customer": cust.pk, "Property": getattr(world, f"prop_{letter}").pk,
        "Fieldworker": getattr(world, f"fw_{letter}").pk, "Service": world.service.pk, "User": staff_user.pk,
        **extra,
    }


@pytest.fixture
def walk(world) -> Walk:
    """Two of everything: side A (customer A, fieldworker A, ...) and side B, plus rows no
    non-staff caller sees (an inactive service, a staff-only comment)."""
    staff, system = world.staff, Actor.system()
    admin_user = factories.staff_user(role="admin")
    staff_b = factories.staff_user()
    category = ServiceCategory.objects.get(name="Cleaning")
    property_type = PropertyType.objects.create(name="House")
    inactive = factories.service(active=False, name="Retired service")
    soon = timezone.now() + timedelta(days=40)
    extra: dict[str, dict[str, int]] = {}
    for letter in "ab":
        cust = getattr(world, f"cust_{letter}")
        booking = getattr(world, f"booking_{letter}")
        fw = getattr(world, f"fw_{letter}")
        comment = booking_services.comment_add(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                               body="see you then", visible_to_customer=True)
        internal = booking_services.comment_add(actor=staff, channel=Channel.SYSTEM, booking_id=booking.pk,
                                                body="gate code 1234", visible_to_customer=False)
        inquiry = crm_services.inquiry_open(actor=system, channel=Channel.SMS, body="Can you come earlier?",
                                            customer_id=cust.pk, booking_ids=[booking.pk], contact=cust.mobile)
        workforce_services.time_off_add(actor=staff, channel=Channel.SYSTEM, fieldworker_id=fw.pk,
                                        starts_at=soon, ends_at=soon + timedelta(days=1))
        time_off = fw.time_off.get()
        area = workforce_services.service_area_save(actor=staff, channel=Channel.SYSTEM, name=f"Area {letter}",
                                                    postcodes=["2000"])
        request = workforce_services.change_request_file(
            actor=Actor.for_fieldworker(fw), channel=Channel.TELEGRAM, fieldworker_id=fw.pk, kind="time_off",
            payload={"starts_at": (soon + timedelta(days=5)).isoformat(),
                     "ends_at": (soon + timedelta(days=6)).isoformat(), "kind": "leave", "reason": ""})
        notification = outreach_services.notification_create(
            actor=system, channel=Channel.SYSTEM, fieldworker_id=fw.pk, kind="booking_cancelled", title="Job cancelled",
            booking_id=booking.pk, dedupe_key=f"walk-{letter}")
        booking_request = outreach_services.booking_request_create(
            actor=Actor.for_customer(cust), channel=Channel.PORTAL, preferred_date=(soon + timedelta(days=9)).date())
        email = EmailMessage.objects.create(kind="confirmation", status="failed", to_address=cust.email,
                                            customer=cust, booking=booking, subject="Your booking")
        extra[letter] = {
            "BookingComment": comment.pk, "InternalComment": internal.pk, "Inquiry": inquiry.pk,
            "TimeOff": time_off.pk, "ServiceArea": area.pk, "ChangeRequest": request.pk,
            "Notification": notification.pk, "BookingRequest": booking_request.pk, "EmailMessage": email.pk,
            "ServiceCategory": category.pk, "PropertyType": property_type.pk,
        }
    users = {
        "customer": world.cust_a.user, "another customer": world.cust_b.user,
        "fieldworker": world.fw_a.user, "another fieldworker": world.fw_b.user,
        "staff": staff.user, "admin": admin_user,
    }
    sign_in(*users.values())
    token = {name: ApiToken.objects.filter(user=user).order_by("pk").first().pk for name, user in users.items()}
    side = {letter: _side(world, letter, staff_user=staff.user if letter == "a" else staff_b, extra=extra[letter])
            for letter in "ab"}

    def non_staff(name: str, mine: str, theirs: str, token_owner: str, user) -> Role:
        own = {**side[mine], "ApiToken": token.get(name, 0)}
        hidden = {type_name: [pk] for type_name, pk in side[theirs].items()
                  if type_name not in ("ServiceCategory", "PropertyType", "Service", "InternalComment")}
        hidden["ApiToken"] = [token[token_owner]]
        hidden["Service"] = [inactive.pk]
        if name in ("customer", "another customer"):
            hidden["BookingComment"] = [side[theirs]["BookingComment"], side[mine]["InternalComment"]]
        return Role(name, user, own, hidden)

    roles = {
        "anonymous": non_staff("anonymous", "a", "a", "customer", None),
        "customer": non_staff("customer", "a", "b", "another customer", users["customer"]),
        "another customer": non_staff("another customer", "b", "a", "customer", users["another customer"]),
        "fieldworker": non_staff("fieldworker", "a", "b", "another fieldworker", users["fieldworker"]),
        "another fieldworker": non_staff("another fieldworker", "b", "a", "fieldworker",
                                         users["another fieldworker"]),
        # staff see every row but other people's API tokens; an admin sees those too
        "staff": Role("staff", users["staff"], {**side["a"], "ApiToken": token["staff"]},
                      {"ApiToken": [token["customer"]]}),
        "admin": Role("admin", users["admin"], {**side["a"], "ApiToken": token["admin"]}, {}),
    }
    return Walk(roles)


def _post(role: Role, query: str, variables: dict[str, Any]) -> tuple[int, bytes, int]:
    headers = {"HTTP_AUTHORIZATION": role.user._test_bearer} if role.user is not None else {}
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                                 content_type="application/json", **headers)
    return response.status_code, response.content, len(queries)


def test_every_id_argument_of_the_schema_has_a_case():
    covered = {(op, path) for op, args in CASES for path, _type in ref_paths(args)}
    missing = schema_id_paths() - covered
    assert not missing, f"id-taking arguments without a case in tests/graphql_api/walk.py: {sorted(missing)}"
    assert covered <= schema_id_paths(), sorted(covered - schema_id_paths())


def _attempts() -> list[tuple[str, str, str, str]]:
    """(operation, document, argument path, id type) for every id argument of every case."""
    return [(op, document(op, args), path, type_name)
            for op, args in CASES for path, type_name in ref_paths(args)]


# Mutations that answer an id of no row without an error. markNotificationsRead marks those of the
# ids that are the caller's own and ignores the rest, missing or someone else's alike.
IGNORES_UNKNOWN_IDS = {"markNotificationsRead"}

ROLES = ["anonymous", "customer", "another customer", "fieldworker", "another fieldworker", "staff", "admin"]
TRIED: dict[str, int] = {}


def _errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(body.get("errors") or [])
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict) and value.get("errors"):
            found.extend(value["errors"])
    return found


@pytest.mark.parametrize("role_name", ROLES)
def test_denied_is_identical_to_missing(walk, role_name):
    role = walk.roles[role_name]
    differences: list[str] = []
    tried = 0

    def own(type_name: str) -> str:
        return gid(type_name, role.own[type_name])

    tables = _tables()
    for op, query, path, type_name in _attempts():
        args = next(a for o, a in CASES if o == op and (path, type_name) in ref_paths(a))
        missing_vars = fill(args, path, gid(type_name, MISSING_PK), own)
        before = db_state(tables)
        missing = _post(role, query, missing_vars)
        hidden_rows = role.hidden.get(type_name, [])
        for pk in hidden_rows:
            denied = _post(role, query, fill(args, path, gid(type_name, pk), own))
            label = f"{op}({path}={type_name}:{pk})"
            if denied[0] != missing[0] or denied[1] != missing[1]:
                differences.append(f"{label}: denied {denied[0]} {denied[1][:400]!r}\n"
                                   f"    missing {missing[0]} {missing[1][:400]!r}")
            elif denied[2] != missing[2]:
                differences.append(f"{label}: {denied[2]} queries denied, {missing[2]} missing")
        after = db_state(tables)
        if after != before:
            changed = sorted(label for label in before if before[label] != after.get(label))
            differences.append(f"{op}({path}): changed the database: {changed}")
        body = json.loads(missing[1])
        if missing[0] >= 500 or any((e.get("extensions") or {}).get("code") == "internal_error"
                                    for e in body.get("errors") or []):
            differences.append(f"{op}({path}): fault {missing[1][:300]!r}")
        if query.startswith("mutation") and op not in IGNORES_UNKNOWN_IDS and not _errors_of(body):
            differences.append(f"{op}({path}): an id of no row was not refused: {missing[1][:300]!r}")
        tried += 1 + len(hidden_rows)
    TRIED[role_name] = tried
    print(f"walk {role_name}: {len(_attempts())} id arguments, {tried} calls compared")
    assert not differences, "\n".join(differences)

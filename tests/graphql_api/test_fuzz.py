"""Fuzz the GraphQL API over HTTP (decision 0151).

hypothesis-graphql writes valid documents for every query and mutation of the schema with
arbitrary arguments (NUL characters, huge numbers, odd dates, negative counts, ids of real rows,
missing rows and junk) and sends them to ``/graphql/`` as an anonymous caller, a customer and a staff
member. Whatever comes back must be an answer: no HTTP 5xx and no ``internal_error``. The seed is
fixed and the budget bounded, so the run is the same every time and fits in about a minute.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal

import graphql
import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from graphql_api.schema import schema

from .conftest import gid
from .over_http import URL

# documents per operation and caller; FIELDOPS_FUZZ_EXAMPLES raises it for a longer hunt
EXAMPLES = int(os.environ.get("FIELDOPS_FUZZ_EXAMPLES", "3"))
SEED = 20261207
TYPES = ("Booking", "Customer", "Property", "Fieldworker", "Service", "ServiceCategory", "PropertyType", "User",
         "ApiToken", "BookingComment", "Inquiry", "TimeOff", "ServiceArea", "ChangeRequest", "Notification",
         "BookingRequest", "EmailMessage")


def _string(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.StringValueNode]:
    return values.map(lambda text: graphql.StringValueNode(value=text))


TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
NASTY = st.sampled_from(["", " ", "\x00", "a\x00b", "0", "-1", "NaN", "Infinity", "1e400", "9" * 30,
                         "2031-02-30", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "25:61", "null"])


def _ids() -> st.SearchStrategy[graphql.StringValueNode]:
    """Ids of rows that exist (primary keys 1-4 exist for most types in the fuzz world), of rows
    that do not, of the wrong type, and junk."""
    real = st.builds(gid, st.sampled_from(TYPES), st.integers(min_value=1, max_value=4))
    missing = st.builds(gid, st.sampled_from(TYPES), st.sampled_from([0, 987_654_321, 10**18]))
    return _string(st.one_of(real, real, missing, NASTY, TEXT))


def _decimals() -> st.SearchStrategy[graphql.ValueNode]:
    numbers = st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str)
    small = st.decimals(min_value=Decimal("-2"), max_value=Decimal("2"), places=4).map(str)
    return st.one_of(_string(st.one_of(numbers, small, NASTY)),
                     st.integers(min_value=-(2**40), max_value=2**40).map(lambda n: graphql.IntValueNode(value=str(n))))


def _moments() -> st.SearchStrategy[graphql.StringValueNode]:
    from datetime import UTC, datetime, timedelta, timezone

    zones = st.sampled_from([None, UTC, timezone(timedelta(hours=10)), timezone(timedelta(hours=-14))])
    aware = st.builds(lambda moment, tz: moment.replace(tzinfo=tz).isoformat(),
                      st.datetimes(min_value=datetime(1890, 1, 1), max_value=datetime(3100, 1, 1)), zones)
    return _string(st.one_of(aware, aware, NASTY))


PLAUSIBLE = st.sampled_from(["Australia/Sydney", "Mars/Olympus_Mons", "FREQ=WEEKLY;COUNT=3", "FREQ=DAILY",
                             "ann@example.com", "+61400000001", "0400 000 001", "2000", "leave", "pending",
                             "percent", "09:00", "AUD", "https://example.com"])
# strings a form or a client could send, with NUL characters among them (PostgreSQL refuses those)
STRINGS = _string(st.one_of(NASTY, TEXT, PLAUSIBLE,
                            st.tuples(PLAUSIBLE, st.sampled_from(["\x00", "\x00\x00", "\u202e", "\ud7ff"]))
                            .map("".join)))

CUSTOM_SCALARS = {
    "String": STRINGS,
    "ID": _ids(),
    "Decimal": _decimals(),
    "DateTime": _moments(),
    "Date": _string(st.one_of(st.dates().map(str), NASTY)),
    "Time": _string(st.one_of(st.times().map(lambda t: t.isoformat()), NASTY)),
    "JSON": _string(TEXT),
    # a file is a multipart part; in a JSON document it can only be some other value, which is refused
    "Upload": _string(TEXT),
}


@dataclass
class Findings:
    cases: int = 0
    operations: set[str] = field(default_factory=set)
    faults: list[str] = field(default_factory=list)


def _send(client: Client, headers: dict[str, str], query: str) -> tuple[int, bytes]:
    response = client.post(URL, json.dumps({"query": query}), content_type="application/json", **headers)
    return response.status_code, response.content


def _fault(status: int, content: bytes) -> bool:
    if status >= 500:
        return True
    try:
        body = json.loads(content)
    except ValueError:
        return True
    return any((error.get("extensions") or {}).get("code") == "internal_error" for error in body.get("errors") or [])


_OPERATIONS = sorted([(name, "query") for name in schema._schema.query_type.fields]
                     + [(name, "mutation") for name in schema._schema.mutation_type.fields])
_STRATEGIES: dict[str, st.SearchStrategy[str]] = {}


def _document(name: str, kind: str) -> st.SearchStrategy[str]:
    """Documents calling one operation: every operation is drawn as often as any other, however
    many arguments it has."""
    if name not in _STRATEGIES:
        build = queries if kind == "query" else mutations
        _STRATEGIES[name] = build(schema._schema, fields=[name], custom_scalars=CUSTOM_SCALARS, allow_x00=True)
    return _STRATEGIES[name]


def _fuzz(caller_headers: dict[str, str], findings: Findings) -> None:
    client = Client(raise_request_exception=False)
    for name, kind in _OPERATIONS:

        @seed(SEED)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=(Phase.explicit, Phase.generate),
                  suppress_health_check=list(HealthCheck))
        @given(query=_document(name, kind))
        def case(query: str) -> None:
            findings.cases += 1
            # each case on the database as the fuzz world left it: one case's writes (or a broken
            # transaction after a fault) do not leak into the next
            with transaction.atomic():
                status, content = _send(client, caller_headers, query)
                transaction.set_rollback(True)
            if _fault(status, content):
                findings.faults.append(f"HTTP {status}: {query[:600]}\n  -> {content[:300]!r}")

        case()
        findings.operations.add(name)


CALLERS = ["anonymous", "customer", "staff"]


@pytest.mark.parametrize("caller", CALLERS)
def test_fuzzed_documents_never_fault(walk, caller):
    role = walk.roles[caller]
    headers = {"HTTP_AUTHORIZATION": role.user._test_bearer} if role.user is not None else {}
    findings = Findings()
    _fuzz(headers, findings)
    print(f"fuzz {caller}: {findings.cases} documents over {len(findings.operations)} operations, "
          f"{len(findings.faults)} faults")
    assert findings.operations == {name for name, _kind in _OPERATIONS}
    assert not findings.faults, "\n".join(findings.faults)


def test_the_id_strategy_names_only_types_of_the_schema():
    """The fuzz aims ids at real rows only while its type names are the schema's node types."""
    node_types = {name for name, gtype in schema._schema.type_map.items()
                  if isinstance(gtype, graphql.GraphQLObjectType)
                  and any(interface.name == "Node" for interface in gtype.interfaces)}
    decoded_only = {"TimeOff", "ServiceArea", "ChangeRequest", "Notification", "EmailMessage"}
    assert set(TYPES) - decoded_only <= node_types | {"ApiToken"}, set(TYPES) - node_types

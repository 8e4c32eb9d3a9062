"""Pay over HTTP, per role: staff make agreements, see the pay a completion computed, adjust it and
run payroll to paid with the CSV and PDF; a fieldworker reads only their own pay and statements
(another's id answers like a missing one); typed PayrollError refusals change nothing; lists cost
the same queries for more rows."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.test import Client

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.payroll import services as pay
from core.payroll.models import PayEntry, PayrollRun
from tests import factories
from tests.core.payroll.support import agreement, db_state, staffed_booking, this_period
from tests.core.sales.support import pdf_text

from ..conftest import gid
from ..over_http import URL, gql, sign_in

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM


def raw(user, query: str, **variables):
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


def complete(booking) -> None:
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=Actor.system(), channel=SYSTEM, booking_id=booking.pk)


AGREEMENT = """mutation($input: CreatePaymentAgreementInput!) { createPaymentAgreement(input: $input) {
    agreement { id basis fixedAmount effectiveFrom effectiveTo rates { service { id } amount percent }
                fieldworker { id } }
    errors { code field message ... on PayrollError { errorCode } ... on CommonError { commonCode: errorCode } } } }"""


def test_the_staff_flow_over_http(world):
    staff = world.staff.user
    made = gql(staff, AGREEMENT, input={"fieldworkerId": gid("Fieldworker", world.fw_a.pk), "basis": "COMMISSION",
                                         "effectiveFrom": "2020-01-01",
                                         "rates": [{"serviceId": gid("Service", world.service.pk), "percent": "25"}]})
    agreement_row = made["createPaymentAgreement"]["agreement"]
    assert agreement_row["basis"] == "COMMISSION" and agreement_row["rates"][0]["percent"] == "25.00"
    complete(world.booking_a)
    paid = gql(staff, """query($b: ID!) { bookingPay(bookingId: $b) { total entries {
        kind amount gross rate share shares bookingNumber lineDescription fieldworker { id } } } }""",
               b=gid("Booking", world.booking_a.pk))["bookingPay"]
    line_total = world.booking_a.lines.get().total
    expected = (line_total / 4).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert Decimal(paid["total"]) == expected
    assert paid["entries"][0]["kind"] == "LINE" and paid["entries"][0]["rate"] == "25%"
    assert paid["entries"][0]["bookingNumber"] == world.booking_a.number
    adjusted = gql(staff, """mutation($b: ID!, $f: ID!) { adjustBookingPay(input: {bookingId: $b, fieldworkerId: $f,
        amount: "7.5", reason: "Extra hour"}) { entry { kind amount reason } errors { code } } }""",
                   b=gid("Booking", world.booking_a.pk), f=gid("Fieldworker", world.fw_a.pk))
    assert adjusted["adjustBookingPay"]["entry"] == {"kind": "ADJUSTMENT", "amount": "7.50", "reason": "Extra hour"}
    history = gql(staff, """query($b: ID!) { bookingPayHistory(bookingId: $b) { action actorKind actorLabel
        channel data } }""", b=gid("Booking", world.booking_a.pk))["bookingPayHistory"]
    assert [(row["action"], row["channel"]) for row in history] == [("computed", "SYSTEM"), ("adjusted", "GRAPHQL")]
    assert history[1]["actorLabel"] == staff.display_name and history[1]["data"]["reason"] == "Extra hour"

    start, end = this_period()
    run = gql(staff, """mutation($s: Date!, $e: Date!) { createPayrollRun(input: {periodStart: $s, periodEnd: $e}) {
        run { id status total statements { id total entries { kind amount } } } errors { code } } }""",
              s=start.isoformat(), e=end.isoformat())["createPayrollRun"]["run"]
    assert run["status"] == "DRAFT" and Decimal(run["total"]) == expected + Decimal("7.50")
    assert len(run["statements"]) == 1 and len(run["statements"][0]["entries"]) == 2
    final = gql(staff, "mutation($r: ID!) { finalisePayrollRun(id: $r) { run { status } errors { code } } }",
                r=run["id"])["finalisePayrollRun"]
    assert final == {"run": {"status": "FINALISED"}, "errors": []}
    done = gql(staff, """mutation($r: ID!) { markPayrollRunPaid(input: {id: $r, reference: "B-1"}) {
        run { status paymentReference paidAt csv } errors { code } } }""", r=run["id"])["markPayrollRunPaid"]["run"]
    assert done["status"] == "PAID" and done["paymentReference"] == "B-1" and done["paidAt"]
    rows = list(csv.reader(io.StringIO(done["csv"])))
    assert rows[-1][4] == "run_total" and Decimal(rows[-1][6]) == Decimal(run["total"])
    listed = gql(staff, "{ payrollRuns(status: [PAID]) { totalCount edges { node { id } } } }")["payrollRuns"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == run["id"]


def test_a_fieldworker_reads_only_their_own_pay_and_statements(world):
    staff = world.staff
    for fw in (world.fw_a, world.fw_b):
        agreement(fw, "fixed", fixed="50")
    complete(world.booking_a)
    complete(world.booking_b)
    start, end = this_period()
    run = pay.payroll_run_create(actor=staff, channel=SYSTEM, period_start=start, period_end=end)
    mine = run.statements.get(fieldworker=world.fw_a)
    theirs = run.statements.get(fieldworker=world.fw_b)
    user = world.fw_a.user
    statement_query = "query($s: ID!) { payrollStatement(id: $s) { total pdfUrl entries { amount } } }"
    # a draft's statements are the office's still
    assert gql(user, statement_query, s=gid("PayrollStatement", mine.pk)) == {"payrollStatement": None}
    pay.payroll_run_finalise(actor=staff, channel=SYSTEM, run_id=run.pk)
    own = gql(user, statement_query, s=gid("PayrollStatement", mine.pk))["payrollStatement"]
    assert own["total"] == "50.00" and own["entries"] == [{"amount": "50.00"}]
    for other in (gid("PayrollStatement", theirs.pk), gid("PayrollStatement", 987654)):
        assert raw(user, statement_query, s=other) == {"data": {"payrollStatement": None}}
    listed = gql(user, "{ payrollStatements { edges { node { id total runStatus } } } }")["payrollStatements"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [gid("PayrollStatement", mine.pk)]
    pay_query = "query($b: ID!) { bookingPay(bookingId: $b) { total entries { amount } } }"
    assert gql(user, pay_query, b=gid("Booking", world.booking_a.pk))["bookingPay"]["total"] == "50.00"
    for other in (gid("Booking", world.booking_b.pk), gid("Booking", 987654)):
        assert raw(user, pay_query, b=other)["data"]["bookingPay"] == {"total": "0.00", "entries": []}
    assert gql(user, "{ payrollRuns { totalCount } }") == {"payrollRuns": {"totalCount": 0}}
    agreements = gql(user, "{ paymentAgreements { fieldworker { id } } }")["paymentAgreements"]
    assert agreements == [{"fieldworker": {"id": gid("Fieldworker", world.fw_a.pk)}}]
    # and the PDF link of their own statement opens
    response = Client().get(urlparse(own["pdfUrl"]).path)
    assert response.status_code == 200
    assert "Total AUD 50.00" in pdf_text(response.content)


def test_customers_and_strangers_see_no_pay(world):
    agreement(world.fw_a, "fixed", fixed="50")
    complete(world.booking_a)
    user = world.cust_a.user
    assert gql(user, "query($b: ID!) { bookingPay(bookingId: $b) { total } }",
               b=gid("Booking", world.booking_a.pk)) == {"bookingPay": {"total": "0.00"}}
    assert gql(user, "{ paymentAgreements { id } payrollStatements { totalCount } }") == {
        "paymentAgreements": [], "payrollStatements": {"totalCount": 0}}


def test_refusals_are_typed_payroll_errors_and_change_nothing(world):
    staff = world.staff.user
    sign_in(staff, world.fw_a.user)
    agreement(world.fw_a, "fixed", fixed="50")
    before = db_state()
    overlap = gql(staff, AGREEMENT, input={"fieldworkerId": gid("Fieldworker", world.fw_a.pk), "basis": "FIXED",
                                            "effectiveFrom": "2024-01-01", "fixedAmount": "10"})
    assert overlap["createPaymentAgreement"] == {"agreement": None, "errors": [{
        "code": "agreement_overlap", "field": "effectiveFrom", "errorCode": "AGREEMENT_OVERLAP",
        "message": overlap["createPaymentAgreement"]["errors"][0]["message"]}]}
    by_fieldworker = gql(world.fw_a.user, AGREEMENT, input={
        "fieldworkerId": gid("Fieldworker", world.fw_a.pk), "basis": "FIXED", "effectiveFrom": "2030-01-01",
        "fixedAmount": "9999"})["createPaymentAgreement"]
    assert by_fieldworker["errors"][0]["code"] == "forbidden" and by_fieldworker["agreement"] is None
    zero = gql(staff, """mutation($b: ID!, $f: ID!) { adjustBookingPay(input: {bookingId: $b, fieldworkerId: $f,
        amount: "0", reason: "x"}) { entry { id } errors { code field ... on PayrollError { errorCode } } } }""",
               b=gid("Booking", world.booking_a.pk), f=gid("Fieldworker", world.fw_a.pk))["adjustBookingPay"]
    assert zero == {"entry": None, "errors": [{"code": "zero_adjustment", "field": "amount",
                                               "errorCode": "ZERO_ADJUSTMENT"}]}
    backwards = gql(staff, """mutation { createPayrollRun(input: {periodStart: "2026-02-01", periodEnd: "2026-01-01"})
        { run { id } errors { code field } } }""")["createPayrollRun"]
    assert backwards == {"run": None, "errors": [{"code": "end_before_start", "field": "periodEnd"}]}
    bad_id = gql(staff, "mutation { finalisePayrollRun(id: \"UGF5cm9sbFJ1bjox\") { errors { code } } }")
    assert bad_id["finalisePayrollRun"]["errors"][0]["code"] in ("not_found", "invalid_id")
    assert db_state() == before


def test_lists_cost_the_same_queries_for_more_rows(world, django_assert_num_queries):
    staff = world.staff
    sign_in(staff.user)
    svc = factories.service(price=Decimal("100"), tax_rate=Decimal("0"))
    workers = [factories.fieldworker() for _ in range(6)]
    for fw in workers:
        agreement(fw, "per_service", rates=[(svc, "10", None)])
    staffed_booking(workers[:2], lines=[(svc, "1")])
    start, end = this_period()
    query = """{ payrollStatements(first: 50) { edges { node { total periodStart runStatus pdfUrl
                 fieldworker { name } entries { amount kind bookingNumber lineDescription fieldworker { name } } } } }
                 payrollRuns { edges { node { total statements { total } } } } }"""
    import django.db
    from django.test.utils import CaptureQueriesContext

    run = pay.payroll_run_create(actor=staff, channel=SYSTEM, period_start=start, period_end=end)
    with CaptureQueriesContext(django.db.connection) as few:
        assert len(gql(staff.user, query)["payrollStatements"]["edges"]) == 2
    pay.payroll_run_delete(actor=staff, channel=SYSTEM, run_id=run.pk)
    staffed_booking(workers[2:], lines=[(svc, "2")])
    staffed_booking(workers[:3], lines=[(svc, "1"), (svc, "3")])
    pay.payroll_run_create(actor=staff, channel=SYSTEM, period_start=start, period_end=end)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(gql(staff.user, query)["payrollStatements"]["edges"]) == 6
    assert PayrollRun.objects.count() == 1 and PayEntry.objects.count() > 6

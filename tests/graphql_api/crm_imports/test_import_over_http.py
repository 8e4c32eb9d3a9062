"""``importCustomers`` as a GraphQL client meets it: the CSV file as a real multipart request (the
GraphQL multipart request spec), the report as the result, refusals as typed errors that change nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.crm.models import Customer, CustomerLog, Dependent, Property
from tests import factories
from tests.core.crm.test_imports import csv_bytes, mobile, row
from tests.core.support import _touch_singletons, db_state

from ..over_http import URL, sign_in

IMPORT = """
mutation ($file: Upload!, $dryRun: Boolean!) {
  importCustomers(file: $file, dryRun: $dryRun) {
    report { rows created updated unchanged propertiesAdded dependentsAdded dryRun imported
             rowErrors { row column code message } }
    errors { code field message ... on CrmError { errorCode } }
  }
}"""


def upload(user, data: bytes, *, dry_run: bool = False, name: str = "customers.csv"):
    sign_in(user)
    operations = json.dumps({"query": IMPORT, "variables": {"file": None, "dryRun": dry_run}})
    body = {"operations": operations, "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(name, data, content_type="text/csv")}
    response = Client().post(URL, body, HTTP_AUTHORIZATION=user._test_bearer)  # multipart/form-data
    assert response.status_code == 200, response.content[:300]
    return response.json()


def unchanged(call):
    _touch_singletons()
    before = db_state()
    result = call()
    assert db_state() == before
    return result


@pytest.fixture
def staff(db):
    user = factories.staff_user()
    sign_in(user)
    return user


def test_staff_import_a_file_and_get_the_report(staff):
    data = csv_bytes([row(1, dependent_name="Mia", dependent_relationship="daughter"), row(2), row(3)])
    body = upload(staff, data)
    assert "errors" not in body
    assert body["data"]["importCustomers"] == {"errors": [], "report": {
        "rows": 3, "created": 3, "updated": 0, "unchanged": 0, "propertiesAdded": 3, "dependentsAdded": 1,
        "dryRun": False, "imported": True, "rowErrors": []}}
    assert (Customer.objects.count(), Property.objects.count(), Dependent.objects.count()) == (3, 3, 1)
    assert set(CustomerLog.objects.values_list("channel", "actor_user")) == {("graphql", staff.pk)}
    again = upload(staff, data)["data"]["importCustomers"]["report"]
    assert (again["created"], again["unchanged"], again["imported"]) == (0, 3, True)
    assert Customer.objects.count() == 3


def test_a_dry_run_answers_the_report_and_writes_nothing(staff):
    factories.customer(name="Ann", email="c1@example.com")
    body = unchanged(lambda: upload(staff, csv_bytes([row(1), row(2)]), dry_run=True))
    report = body["data"]["importCustomers"]["report"]
    assert (report["created"], report["updated"], report["propertiesAdded"], report["dryRun"],
            report["imported"]) == (1, 1, 2, True, False)


def test_refused_rows_come_back_in_the_report_and_nothing_is_imported(staff):
    data = csv_bytes([row(1, mobile="0412"), row(2), row(3, email="c2@example.com"), row(4, dependent_name="K",
                                                                                         dependent_email="x@")])
    body = unchanged(lambda: upload(staff, data))
    result = body["data"]["importCustomers"]
    assert result["errors"] == []
    assert result["report"]["imported"] is False
    assert [(e["row"], e["column"], e["code"]) for e in result["report"]["rowErrors"]] == [
        (2, "mobile", "invalid_phone"), (4, "name", "conflicting_rows"), (5, "dependent_email", "invalid_email")]
    assert all(e["message"] for e in result["report"]["rowErrors"])


def test_rows_repeating_a_customer_add_their_properties_and_dependents_and_a_dry_run_reports_each_row(staff):
    """Three rows of one customer (matched by e-mail, then by mobile): one customer, three properties, two
    dependents; the dry run says per row what it would do and writes nothing; a re-run adds nothing."""
    data = csv_bytes([
        row(1, dependent_name="Mia", dependent_relationship="daughter"),
        row(1, mobile="", address="9 Beach Rd", dependent_name="Leo"),  # the same e-mail
        row(1, email="", address="22 Hill St", dependent_name="mia"),  # the same mobile; Mia again
        row(2),
    ])
    query = IMPORT.replace("rowErrors {", "rowResults { row customerRow customer property dependent } rowErrors {")

    def results(dry_run: bool) -> dict:
        sign_in(staff)
        operations = json.dumps({"query": query, "variables": {"file": None, "dryRun": dry_run}})
        response = Client().post(URL, {"operations": operations, "map": json.dumps({"0": ["variables.file"]}),
                                       "0": SimpleUploadedFile("c.csv", data, content_type="text/csv")},
                                 HTTP_AUTHORIZATION=staff._test_bearer)
        return response.json()["data"]["importCustomers"]["report"]

    dry = unchanged(lambda: results(True))
    assert [(r["row"], r["customerRow"], r["customer"], r["property"], r["dependent"]) for r in dry["rowResults"]] == [
        (2, 2, "created", "added", "added"), (3, 2, "repeated", "added", "added"),
        (4, 2, "repeated", "added", "exists"), (5, 5, "created", "added", "")]
    assert (dry["created"], dry["propertiesAdded"], dry["dependentsAdded"], dry["imported"]) == (2, 4, 2, False)
    done = results(False)
    assert done["rowResults"] == dry["rowResults"] and done["imported"] is True
    customer = Customer.objects.get(email="c1@example.com")
    assert sorted(customer.properties.values_list("address", flat=True)) == ["1 George St", "22 Hill St",
                                                                              "9 Beach Rd"]
    assert sorted(customer.dependents.values_list("name", flat=True)) == ["Leo", "Mia"]
    again = unchanged(lambda: results(False))
    assert {(r["customer"], r["property"], r["dependent"]) for r in again["rowResults"]} == {
        ("unchanged", "exists", "exists"), ("repeated", "exists", "exists"), ("unchanged", "exists", "")}
    assert (again["created"], again["propertiesAdded"], again["dependentsAdded"], again["unchanged"]) == (0, 0, 0, 4)


@pytest.mark.parametrize(("data", "code"), [
    (csv_bytes([row(1, name="Zoë")], encoding="latin-1"), "NOT_UTF8"),
    (b"name,email\nAnn,a@example.com\n", "MISSING_COLUMNS"),
    (b"name,email,mobile,phone\nAnn,a@example.com,,\n", "UNKNOWN_COLUMNS"),
    (b"", "EMPTY_FILE"),
])
def test_a_file_that_is_not_a_customer_csv_is_a_typed_error(staff, data, code):
    body = unchanged(lambda: upload(staff, data))
    result = body["data"]["importCustomers"]
    assert result["report"] is None
    assert [(e["errorCode"], e["field"]) for e in result["errors"]] == [(code, "file")]


def test_an_oversized_file_is_a_typed_error_then_a_413(staff, settings):
    settings.FIELDOPS_IMPORT_MAX_BYTES = settings.FIELDOPS_UPLOAD_MAX_BYTES = 50_000
    # the body's limit follows the largest upload cap: the file types' caps too (no larger file type)
    settings.FIELDOPS_FILE_MAX_BYTES = dict.fromkeys(settings.FIELDOPS_FILE_MAX_BYTES, 50_000)
    data = csv_bytes([row(n) for n in range(1, 1000)])
    assert 50_000 < len(data) < settings.GRAPHQL_MAX_BODY_BYTES + 50_000
    body = unchanged(lambda: upload(staff, data))
    assert [e["code"] for e in body["data"]["importCustomers"]["errors"]] == ["import_too_large"]
    huge = csv_bytes([row(n) for n in range(1, 20_000)])
    assert len(huge) > settings.GRAPHQL_MAX_BODY_BYTES + 50_000

    def post():
        operations = json.dumps({"query": IMPORT, "variables": {"file": None, "dryRun": False}})
        return Client().post(URL, {"operations": operations, "map": json.dumps({"0": ["variables.file"]}),
                                   "0": SimpleUploadedFile("c.csv", huge)}, HTTP_AUTHORIZATION=staff._test_bearer)
    response = unchanged(post)
    assert response.status_code == 413


@pytest.mark.parametrize("role", ["customer", "fieldworker"])
def test_only_staff_import(role, db):
    user = factories.customer(with_login=True).user if role == "customer" else factories.fieldworker().user
    sign_in(user)
    body = unchanged(lambda: upload(user, csv_bytes([row(1, mobile=mobile(9))])))
    assert [e["code"] for e in body["data"]["importCustomers"]["errors"]] == ["forbidden"]
    assert body["data"]["importCustomers"]["report"] is None

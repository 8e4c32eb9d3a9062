"""The CSV import of customers (core.crm.imports): every row checked, all of the file or nothing,
re-runs matched by e-mail or mobile; and ``manage.py import_customers`` as an operator meets it."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from core import events
from core.actors import Actor, Channel
from core.crm.events import CustomerCreated, CustomerEvent, DependentAdded, PropertyAdded
from core.crm.imports import customers_import
from core.crm.models import Customer, CustomerLog, Dependent, Property, PropertyType
from tests import factories
from tests.conftest import EventRecorder
from tests.core.support import _touch_singletons, assert_refused, db_state

HEADER = ["name", "email", "mobile", "notes", "property_label", "address", "postcode", "city", "property_type",
          "access_notes", "dependent_name", "dependent_relationship", "dependent_mobile", "dependent_email",
          "dependent_notes"]


def csv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def mobile(n: int) -> str:
    return f"+614{n:08d}"


def row(n: int, **extra: str) -> dict[str, str]:
    return {"name": f"Customer {n}", "email": f"c{n}@example.com", "mobile": mobile(n), "address": f"{n} George St",
            "postcode": "2000", "city": "Sydney", **extra}


@pytest.fixture
def customer_events(db):
    recorder = EventRecorder()
    events.subscribe(CustomerEvent, recorder.seen.append)
    yield recorder
    events.unsubscribe(CustomerEvent, recorder.seen.append)


def run(actor: Actor, data: bytes, **options):
    return customers_import(actor=actor, channel=Channel.GRAPHQL, file=data, **options)


def test_a_file_of_customers_with_properties_and_dependents_is_imported(staff_actor, customer_events):
    house = PropertyType.objects.create(name="House")
    data = csv_bytes([
        row(1, notes="Gate code 1234", property_type="house", access_notes="Key under the mat",
            dependent_name="Mia", dependent_relationship="daughter", dependent_mobile="0400 111 222"),
        {"name": "Bob Jones", "email": "", "mobile": "(02) 9876 5432", "address": ""},
        row(3, email="  C3@Example.COM "),
    ])
    report = run(staff_actor, data)
    assert (report.rows, report.created, report.updated, report.unchanged, report.properties_added,
            report.dependents_added, report.errors, report.imported) == (3, 3, 0, 0, 2, 1, [], True)
    first = Customer.objects.get(email="c1@example.com")
    assert (first.name, first.mobile, first.notes) == ("Customer 1", mobile(1), "Gate code 1234")
    prop = first.properties.get()
    assert (prop.address, prop.postcode, prop.city, prop.property_type, prop.access_notes) == (
        "1 George St", "2000", "Sydney", house, "Key under the mat")
    assert list(first.dependents.values_list("name", "relationship", "mobile")) == [
        ("Mia", "daughter", "+61400111222")]
    assert Customer.objects.get(name="Bob Jones").mobile == "+61298765432"
    assert not Customer.objects.get(name="Bob Jones").properties.exists()
    assert Customer.objects.filter(email="c3@example.com").exists()
    # every history row has its event
    assert CustomerLog.objects.count() == 6 == len(customer_events.all())
    assert [type(e) for e in customer_events.all()].count(CustomerCreated) == 3
    assert {type(e) for e in customer_events.all()} == {CustomerCreated, PropertyAdded, DependentAdded}
    assert set(CustomerLog.objects.values_list("channel", "actor_user")) == {("graphql", staff_actor.user.pk)}


def test_a_second_run_of_the_same_file_changes_nothing(staff_actor):
    data = csv_bytes([row(n, dependent_name=f"Kid {n}") for n in range(1, 6)])
    run(staff_actor, data)
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, data)
    assert (report.created, report.updated, report.unchanged, report.properties_added, report.dependents_added) == (
        0, 0, 5, 0, 0)
    assert db_state() == before


def test_a_re_run_matches_by_email_or_mobile_fills_in_and_adds_new_addresses(staff_actor, customer_events):
    by_email = factories.customer(name="Ann", email="c1@example.com", mobile="")
    by_mobile = factories.customer(name="Bo", mobile=mobile(2))
    Property.objects.create(customer=by_email, address="1  GEORGE st")
    data = csv_bytes([row(1, name="Ann Lee"), row(2, address="9 Pitt St", email="bo@example.com")])
    report = run(staff_actor, data)
    assert (report.created, report.updated, report.properties_added) == (0, 2, 1)
    by_email.refresh_from_db()
    by_mobile.refresh_from_db()
    assert (by_email.name, by_email.mobile) == ("Ann Lee", mobile(1))
    assert (by_mobile.email, by_mobile.name) == ("bo@example.com", "Customer 2")
    assert list(by_email.properties.values_list("address", flat=True)) == ["1  GEORGE st"]  # the same address
    assert list(by_mobile.properties.values_list("address", flat=True)) == ["9 Pitt St"]
    assert Customer.objects.count() == 2
    updated = CustomerLog.objects.get(customer=by_email, action="updated")
    assert updated.changes == {"name": ["Ann", "Ann Lee"], "mobile": ["", mobile(1)]}


def test_an_optional_preferred_channel_column_sets_it_and_a_re_run_changes_it(staff_actor):
    header = [*HEADER, "preferred_channel"]
    run(staff_actor, csv_bytes([row(1, preferred_channel="Email"), row(2)], header=header))
    assert dict(Customer.objects.values_list("email", "preferred_channel")) == {
        "c1@example.com": "email", "c2@example.com": ""}
    created = CustomerLog.objects.get(customer__email="c1@example.com", action="created")
    assert created.changes["preferred_channel"] == ["", "email"]
    # a re-run sets it on a known customer; an empty cell leaves it as it is
    report = run(staff_actor, csv_bytes([row(1), row(2, preferred_channel="sms")], header=header))
    assert (report.updated, report.unchanged) == (1, 1)
    assert dict(Customer.objects.values_list("email", "preferred_channel")) == {
        "c1@example.com": "email", "c2@example.com": "sms"}
    updated = CustomerLog.objects.get(customer__email="c2@example.com", action="updated")
    assert updated.changes == {"preferred_channel": ["", "sms"]}


def test_a_preferred_channel_that_is_not_one_refuses_the_file_naming_the_column(staff_actor):
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, csv_bytes([row(1), row(2, preferred_channel="fax")],
                                        header=[*HEADER, "preferred_channel"]))
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, "preferred_channel", "invalid_channel")]
    assert db_state() == before


def test_rows_repeating_a_customer_add_properties_and_dependents_to_that_one_customer(staff_actor,
                                                                                      customer_events):
    """Matched by e-mail or by mobile, as a re-run matches: one customer, every address and person once; a
    later row fills in a column the first left empty; the history names each row."""
    existing = factories.customer(name="Customer 2", mobile=mobile(2), email="")
    Property.objects.create(customer=existing, address="2 George St")
    data = csv_bytes([
        row(1, mobile="", dependent_name="Mia"),
        row(1, address="9 Beach Rd", dependent_name="Leo"),  # the same e-mail; gives the mobile
        row(1, email="", address="9  BEACH rd", dependent_name="MIA"),  # the same mobile; both again
        row(2, email=""),  # an existing customer, by mobile
        row(2, email="", address="5 Pitt St", dependent_name="Kai"),  # a further property of theirs
    ])
    report = run(staff_actor, data)
    assert (report.created, report.updated, report.unchanged, report.properties_added,
            report.dependents_added) == (1, 0, 2, 3, 3)
    assert [(r.row, r.customer_row, r.customer, r.property, r.dependent) for r in report.results] == [
        (2, 2, "created", "added", "added"), (3, 2, "repeated", "added", "added"),
        (4, 2, "repeated", "exists", "exists"), (5, 5, "unchanged", "exists", ""),
        (6, 5, "repeated", "added", "added")]
    ann = Customer.objects.get(email="c1@example.com")
    assert ann.mobile == mobile(1)
    assert sorted(ann.properties.values_list("address", flat=True)) == ["1 George St", "9 Beach Rd"]
    assert sorted(ann.dependents.values_list("name", flat=True)) == ["Leo", "Mia"]
    assert sorted(existing.properties.values_list("address", flat=True)) == ["2 George St", "5 Pitt St"]
    assert list(existing.dependents.values_list("name", flat=True)) == ["Kai"]
    assert Customer.objects.count() == 2
    rows = {(entry.action, entry.data["import_row"]) for entry in CustomerLog.objects.filter(customer=ann)}
    assert rows == {("created", 2), ("property_added", 2), ("dependent_added", 2), ("property_added", 3),
                    ("dependent_added", 3)}
    _touch_singletons()
    before = db_state()
    again = run(staff_actor, data)  # a re-run adds nothing twice
    assert (again.created, again.updated, again.properties_added, again.dependents_added, again.unchanged) == (
        0, 0, 0, 0, 5)
    assert db_state() == before


def test_a_row_naming_two_customers_of_earlier_rows_is_refused(staff_actor):
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, csv_bytes([row(1), row(2), row(1, mobile=mobile(2))]))
    assert [(e.row, e.column, e.code) for e in report.errors] == [(4, "mobile", "conflicting_rows")]
    assert report.results == [] and db_state() == before


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(staff_actor, customer_events):
    factories.customer(name="Ann", email="c1@example.com")
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, csv_bytes([row(1), row(2), row(3)]), dry_run=True)
    assert (report.created, report.updated, report.properties_added, report.imported) == (2, 1, 3, False)
    assert db_state() == before
    assert customer_events.all() == []


BAD_ROWS = [
    (row(2, mobile="12345"), "mobile", "invalid_phone"),
    (row(2, mobile="call me"), "mobile", "invalid_phone"),
    (row(2, email="not-an-email"), "email", "invalid_email"),
    (row(2, name=""), "name", "required"),
    (row(2, email="", mobile=""), "email", "required"),
    (row(2, name="x" * 151), "name", "too_long"),
    (row(2, postcode="x" * 13), "postcode", "too_long"),
    (row(2, property_type="Castle"), "property_type", "not_found"),
    (row(2, dependent_name="Kid", dependent_mobile="0000"), "dependent_mobile", "invalid_phone"),
    (row(2, dependent_name="Kid", dependent_email="x@"), "dependent_email", "invalid_email"),
    (row(2, dependent_relationship="son", dependent_name=""), "dependent_name", "required"),
    (row(2, address="", city="Sydney"), "address", "required"),
    (row(2, notes="a\x00b"), "notes", "invalid_characters"),
    # a row repeating row 2's customer (by e-mail or mobile) with another value: two people, not one
    (row(2, email="c1@example.com"), "name", "conflicting_rows"),
    (row(2, mobile=mobile(1)), "name", "conflicting_rows"),
    (row(1, mobile=mobile(9)), "mobile", "conflicting_rows"),
    (row(1, email="other@example.com"), "email", "conflicting_rows"),
]


@pytest.mark.parametrize(("bad", "column", "code"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_file_with_its_row_and_column(bad, column, code, staff_actor, customer_events):
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, csv_bytes([row(1), bad, row(3)]))
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, column, code)]
    assert report.imported is False
    assert db_state() == before
    assert customer_events.all() == []


def test_every_bad_row_is_reported_not_only_the_first(staff_actor):
    _touch_singletons()
    before = db_state()
    rows = [row(n) for n in range(1, 8)]
    rows[1]["mobile"], rows[4]["email"], rows[6]["email"] = "999", "nope", "c1@example.com"
    report = run(staff_actor, csv_bytes(rows))
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (3, "mobile", "invalid_phone"), (6, "email", "invalid_email"), (8, "name", "conflicting_rows")]
    assert db_state() == before


def test_a_row_matching_two_customers_is_refused(staff_actor):
    factories.customer(name="Ann", email="c1@example.com")
    factories.customer(name="Bo", mobile=mobile(1))
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, csv_bytes([row(1)]))
    assert [(e.row, e.code) for e in report.errors] == [(2, "ambiguous")]
    assert "Ann" in report.errors[0].message and "Bo" in report.errors[0].message
    assert db_state() == before


@pytest.mark.parametrize(("data", "code"), [
    (csv_bytes([row(1, name="Zoë Müller")], encoding="latin-1"), "not_utf8"),
    (csv_bytes([row(1, name="Ünal")], encoding="utf-16"), "not_utf8"),
    (csv_bytes([row(1)], header=["name", "email", "address", "city", "postcode", "mobile"])
     .replace(b"mobile", b"phone", 1), "missing_columns"),
    (csv_bytes([row(1)], header=["name", "email", "mobile", "address", "city", "postcode"])
     .replace(b"address", b"adress", 1), "unknown_columns"),
    (b"name,email,mobile,email\nAnn,a@example.com,,b@example.com\n", "unknown_columns"),
    (b"", "empty_file"),
    (b"name,email,mobile\n\n\n", "empty_file"),
    (b'name,email,mobile\n"Ann,a@example.com,\n', "invalid_csv"),
    (b"name,email,mobile\n" + b"x" * (21 * 1024 * 1024), "import_too_large"),
])
def test_a_file_that_is_not_a_customer_csv_is_refused(data, code, staff_actor):
    error = assert_refused(lambda: run(staff_actor, data), code, field="file")
    assert error.message


def test_a_utf8_file_with_a_byte_order_mark_reads_like_one_without(staff_actor):
    report = run(staff_actor, b"\xef\xbb\xbf" + csv_bytes([row(1, name="Zoë Müller")]))
    assert report.created == 1
    assert Customer.objects.get().name == "Zoë Müller"


def test_a_row_with_more_values_than_columns_is_refused(staff_actor):
    _touch_singletons()
    before = db_state()
    report = run(staff_actor, b"name,email,mobile\nAnn,a@example.com,,extra\n")
    assert [(e.row, e.code) for e in report.errors] == [(2, "invalid")]
    assert db_state() == before


def test_only_staff_import(customer_actor, fieldworker_actor):
    for actor in (customer_actor, fieldworker_actor, Actor.anonymous()):
        assert_refused(lambda actor=actor: run(actor, csv_bytes([row(1)])), "forbidden")


def test_ten_thousand_rows_with_one_bad_phone_import_nothing(staff_actor, django_assert_max_num_queries):
    rows = [row(n) for n in range(1, 10_001)]
    rows[9_998]["mobile"] = "0412"
    data = csv_bytes(rows)
    _touch_singletons()
    before = Customer.objects.count(), Property.objects.count()
    with django_assert_max_num_queries(20):
        report = run(staff_actor, data)
    assert [(e.row, e.code) for e in report.errors] == [(10_000, "invalid_phone")]
    assert (Customer.objects.count(), Property.objects.count()) == before == (0, 0)


def test_ten_thousand_rows_import_in_a_few_dozen_queries(staff_actor, django_assert_max_num_queries):
    data = csv_bytes([row(n, dependent_name="Kid") for n in range(1, 10_001)])
    with django_assert_max_num_queries(1000):  # batched: 30,000 rows and 30,000 log rows, not one by one
        report = run(staff_actor, data)
    assert (report.created, report.properties_added, report.dependents_added) == (10_000, 10_000, 10_000)
    assert (Customer.objects.count(), Property.objects.count(), Dependent.objects.count()) == (10_000,) * 3
    assert CustomerLog.objects.count() == 30_000
    with django_assert_max_num_queries(40):  # lookups in chunks of 2,000
        again = run(staff_actor, data)
    assert (again.created, again.unchanged) == (0, 10_000)


# --- manage.py import_customers ------------------------------------------------------------------


def test_the_command_imports_a_file_and_draws_progress(tmp_path, db, capsys):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([row(n) for n in range(1, 1201)]))
    call_command("import_customers", str(path))
    out, err = capsys.readouterr()
    assert "1200 rows: 1200 customers were created" in out
    assert "checking [" in err and "1200/1200" in err and "500/1200" in err
    assert Customer.objects.count() == 1200
    assert set(CustomerLog.objects.values_list("channel", "actor_kind")) == {("system", "system")}


def test_the_command_dry_run_reports_and_writes_nothing(tmp_path, db, capsys):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([row(1), row(2)]))
    _touch_singletons()
    before = db_state()
    call_command("import_customers", str(path), "--dry-run")
    out, _err = capsys.readouterr()
    assert "Dry run, nothing written. 2 rows: 2 customers would be created" in out
    assert db_state() == before


def test_the_command_dry_run_says_what_each_row_would_do(tmp_path, db, capsys):
    factories.customer(name="Customer 2", email="c2@example.com", mobile="")
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([row(1, dependent_name="Mia"), row(1, address="9 Beach Rd"), row(2, name="Bo")]))
    _touch_singletons()
    before = db_state()
    call_command("import_customers", str(path), "--dry-run")
    out, _err = capsys.readouterr()
    assert out.splitlines()[:3] == [
        "row 2: new customer, property added, dependent added",
        "row 3: the customer of row 2, property added",
        "row 4: customer updated, property added",
    ]
    assert "3 rows: 1 customers would be created, 1 updated, 0 unchanged; 3 properties and 1 dependents" in out
    assert db_state() == before


def test_the_command_prints_each_refused_row_and_fails(tmp_path, db, capsys):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([row(1, mobile="12"), row(2), row(3, email="bad")]))
    _touch_singletons()
    before = db_state()
    with pytest.raises(CommandError, match="2 rows refused; nothing was imported"):
        call_command("import_customers", str(path))
    out, _err = capsys.readouterr()
    assert "row 2 mobile: invalid_phone" in out
    assert "row 4 email: invalid_email" in out
    assert db_state() == before


def test_the_command_names_a_file_wide_problem(tmp_path, db):
    path = tmp_path / "customers.csv"
    path.write_bytes("name;email;mobile\nZoë;;\n".encode("cp1252"))
    with pytest.raises(CommandError, match="not_utf8"):
        call_command("import_customers", str(path))
    assert Customer.objects.count() == 0
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_customers", str(tmp_path / "missing.csv"))

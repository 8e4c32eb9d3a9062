"""Import customers, with their properties and dependents, from a CSV file (decisions 0190-0192, 0198).

``customers_import`` reads the whole file, validates every row (the same cleaning as the one-by-one
services), and then writes all of it in one transaction or nothing at all: a file with any bad row
imports nothing and answers with every row's errors. Re-running a file changes nothing: a row is
matched to a customer by e-mail or E.164 mobile, a property by its address, a dependent by its name.

A row names a customer, with at most one property and one dependent; rows repeating a customer (the
same e-mail or E.164 mobile) add further properties and dependents to that one customer. A repeated
row may leave the customer's columns empty or give the same values; a different value is refused
(``conflicting_rows``), so a typo in a mobile never merges two people silently. The columns (header
row, any order; only ``name``, ``email`` and ``mobile`` are required, and a row needs an e-mail or a
mobile to be matched by):

    name, email, mobile, notes, preferred_channel (sms, email or empty: decision 0615),
    property_label, address, postcode, city, property_type, access_notes,
    dependent_name, dependent_relationship, dependent_mobile, dependent_email, dependent_notes

The report says per row what it did or, in a dry run, would do (:class:`RowResult`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from core.actors import Actor, Channel
from core.errors import DomainError, PermissionDenied, ValidationFailed

from . import customer_log
from .events import CustomerCreated, CustomerUpdated, DependentAdded, PropertyAdded
from .models import Customer, Dependent, GeocodeStatus, Property, PropertyType
from .places import geocode_pending, wants_geocoding

REQUIRED_COLUMNS = ("name", "email", "mobile")
CUSTOMER_COLUMNS = {"name": "name", "email": "email", "mobile": "mobile", "notes": "notes",
                    "preferred_channel": "preferred_channel"}
PROPERTY_COLUMNS = {"property_label": "label", "address": "address", "postcode": "postcode", "city": "city",
                    "access_notes": "access_notes"}
DEPENDENT_COLUMNS = {"dependent_name": "name", "dependent_relationship": "relationship",
                     "dependent_mobile": "mobile", "dependent_email": "email", "dependent_notes": "notes"}
COLUMNS = (*CUSTOMER_COLUMNS, *PROPERTY_COLUMNS, "property_type", *DEPENDENT_COLUMNS)
MAX_ROWS = 50_000
CHUNK = 2000  # rows per IN (...) lookup and per bulk insert: well under SQLite's variable limit

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    row: int  # the line in a spreadsheet: the header is row 1, the first customer row 2
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class RowResult:
    """What one row did (or, in a dry run, would do)."""

    row: int
    customer_row: int  # the first row of its customer in the file (this row, unless it repeats one)
    customer: str  # created, updated, unchanged; repeated: a later row of the customer of ``customer_row``
    property: str  # added, exists, or "" (none in the row)
    dependent: str  # added, exists, or ""


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    properties_added: int = 0
    dependents_added: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    results: list[RowResult] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        """True when the file was written (not a dry run, no row refused)."""
        return not self.dry_run and not self.errors


@dataclass
class _Row:
    number: int
    customer: dict[str, Any]
    prop: dict[str, Any] | None
    dependent: dict[str, Any] | None
    match: Customer | None = None
    is_new: bool = False
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    lead: _Row | None = None  # the first row of the same customer, when this row repeats one

    @property
    def first(self) -> _Row:
        return self.lead or self


def max_bytes() -> int:
    return int(settings.FIELDOPS_IMPORT_MAX_BYTES)


def _read_text(data: bytes) -> str:
    if len(data) > max_bytes():
        raise DomainError("import_too_large", f"A file is at most {max_bytes():,} bytes.", field="file",
                          data={"maxBytes": max_bytes()})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DomainError("not_utf8", f"The file is not UTF-8 text (line {line}); save it as CSV UTF-8.",
                          field="file", data={"line": line})


def _header(reader: Any) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise DomainError("empty_file", "The file is empty: a header row and one row per customer.", field="file")
    names = [name.strip().lower().replace(" ", "_").replace("-", "_") for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise DomainError("missing_columns", f"Missing columns: {', '.join(missing)}.", field="file",
                          data={"columns": missing})
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise DomainError("unknown_columns", f"Unknown columns: {', '.join(unknown)}; the columns are "
                          f"{', '.join(COLUMNS)}.", field="file", data={"columns": unknown})
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise DomainError("unknown_columns", f"Columns given twice: {', '.join(doubled)}.", field="file",
                          data={"columns": doubled})
    return names


def _parse(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    text = _read_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        names = _header(reader)
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # a blank line
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed("file", f"At most {MAX_ROWS:,} rows in one file.", code="too_many")
            rows.append((reader.line_num, dict(zip(names, values, strict=False)) | (
                {"__extra": "1"} if len(values) > len(names) else {})))
    except csv.Error as exc:
        raise DomainError("invalid_csv", f"The file is not valid CSV (line {reader.line_num}): {exc}.",
                          field="file", data={"line": reader.line_num})
    if not rows:
        raise DomainError("empty_file", "The file has a header row but no customers.", field="file")
    return names, rows


def _cleaned(cleaner: Callable[[dict[str, Any]], dict[str, Any]], values: dict[str, Any], prefix: str,
             columns: dict[str, str]) -> dict[str, Any]:
    """Run a service's cleaner, naming the CSV column in its error."""
    try:
        return cleaner(values)
    except DomainError as exc:
        by_field = {value: key for key, value in columns.items()}
        snake = "".join("_" + c.lower() if c.isupper() else c for c in (exc.field or ""))
        column = by_field.get(snake, f"{prefix}{snake}" if snake else "")
        raise DomainError(exc.code, exc.message, field=column)


def _key_of(address: str) -> str:
    return " ".join(address.casefold().split())


def _validate(row_number: int, raw: dict[str, str], types: dict[str, int], rules: dict[str, Any]) -> _Row:
    from .services import _clean_customer, _clean_dependent, _clean_property

    if raw.get("__extra"):
        raise DomainError("invalid", "The row has more values than the header has columns.", field="")
    text = {key: (value or "").strip() for key, value in raw.items()}
    customer = _cleaned(_clean_customer, {field: text.get(column, "") for column, field in CUSTOMER_COLUMNS.items()},
                        "", CUSTOMER_COLUMNS)
    for name in ("name", "notes"):
        if "\x00" in customer[name]:
            raise DomainError("invalid_characters", "Text cannot contain NUL characters.", field=name)
    if not customer["email"] and not customer["mobile"]:
        raise DomainError("required", "An e-mail or a mobile is required, to know the customer again.",
                          field="email")
    for name, entry in rules.items():
        if entry.required and not customer.get(name):
            raise DomainError("required", f"{entry.label} is required.", field=name)
    prop = None
    if any(text.get(column) for column in (*PROPERTY_COLUMNS, "property_type")):
        prop = _cleaned(_clean_property, {field: text.get(column, "") for column, field in PROPERTY_COLUMNS.items()},
                        "", PROPERTY_COLUMNS)
        type_name = text.get("property_type", "")
        prop["property_type_id"] = None
        if type_name:
            prop["property_type_id"] = types.get(type_name.casefold())
            if prop["property_type_id"] is None:
                raise DomainError("not_found", f"No active property type {type_name!r}.", field="property_type")
    dependent = None
    if any(text.get(column) for column in DEPENDENT_COLUMNS):
        dependent = _cleaned(_clean_dependent,
                             {field: text.get(column, "") for column, field in DEPENDENT_COLUMNS.items()},
                             "dependent_", DEPENDENT_COLUMNS)
    return _Row(row_number, customer, prop, dependent)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _existing(rows: list[_Row]) -> tuple[dict[str, list[Customer]], dict[str, list[Customer]]]:
    emails = sorted({row.customer["email"] for row in rows if row.customer["email"]})
    mobiles = sorted({row.customer["mobile"] for row in rows if row.customer["mobile"]})
    by_email: dict[str, list[Customer]] = {}
    by_mobile: dict[str, list[Customer]] = {}
    for part in _chunks(emails):
        for customer in Customer.objects.filter(email__in=part):
            by_email.setdefault(customer.email, []).append(customer)
    for part in _chunks(mobiles):
        for customer in Customer.objects.filter(mobile__in=part):
            by_mobile.setdefault(customer.mobile, []).append(customer)
    return by_email, by_mobile


def _match(row: _Row, by_email: dict[str, list[Customer]], by_mobile: dict[str, list[Customer]]) -> None:
    email, mobile = row.customer["email"], row.customer["mobile"]
    found = {c.pk: c for c in by_email.get(email, []) if email} | {c.pk: c for c in by_mobile.get(mobile, [])
                                                                   if mobile}
    if len(found) > 1:
        raise DomainError("ambiguous", "The e-mail and the mobile belong to different customers "
                          f"({', '.join(sorted(c.name for c in found.values()))}).", field="email")
    if found:
        row.match = next(iter(found.values()))
        # the file fills in and corrects; an empty cell never clears what is stored
        row.changes = {key: (getattr(row.match, key), value) for key, value in row.customer.items()
                       if value and getattr(row.match, key) != value}


def _same(column: str, a: str, b: str) -> bool:
    if column == "name":
        return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
    return a == b


def _join(row: _Row, owner: dict[tuple[str, str], _Row]) -> None:
    """File the row under the customer an earlier row with its e-mail or mobile names (then it adds that
    customer's further property and dependent), or as a customer of its own. Refused (and filed under
    nothing) when it names two such customers or gives one of them a different value."""
    keys = [(column, row.customer[column]) for column in ("email", "mobile") if row.customer[column]]
    leads = list(dict.fromkeys(owner[key].number for key in keys if key in owner))
    if len(leads) > 1:
        raise DomainError("conflicting_rows", f"The e-mail is row {owner[keys[0]].number}'s customer and the mobile "
                          f"row {owner[keys[1]].number}'s: two customers.", field="mobile")
    if leads:
        lead = next(owner[key] for key in keys if key in owner)
        for column, value in row.customer.items():
            if value and lead.customer[column] and not _same(column, lead.customer[column], value):
                raise DomainError("conflicting_rows", f"Row {lead.number} gives this customer another {column} "
                                  f"({lead.customer[column]}); a repeated row leaves it empty or the same.",
                                  field=column)
        for column, value in row.customer.items():
            if value and not lead.customer[column]:
                lead.customer[column] = value  # a later row fills in what the first left empty
        row.lead = lead
    for key in keys:
        owner[key] = row.first


def _validate_all(rows: list[tuple[int, dict[str, str]]], report: ImportReport,
                  progress: Progress | None) -> list[_Row]:
    from core.jobdata.profiles import builtin_rules  # job data reads crm, not the other way at import

    rules = builtin_rules("customer")
    types = {row.name.casefold(): row.pk for row in PropertyType.objects.filter(active=True)}
    valid: list[_Row] = []
    owner: dict[tuple[str, str], _Row] = {}  # (column, value) -> the first row of that customer
    for index, (number, raw) in enumerate(rows, 1):
        try:
            row = _validate(number, raw, types, rules)
            _join(row, owner)
            valid.append(row)
        except DomainError as exc:
            report.errors.append(RowError(number, exc.field or "", exc.code, exc.message))
        if progress is not None and (index % 500 == 0 or index == len(rows)):
            progress(index, len(rows))
    by_email, by_mobile = _existing([row for row in valid if row.lead is None])
    for row in valid:
        if row.lead is not None:
            continue  # matched through the first row of its customer
        try:
            _match(row, by_email, by_mobile)
        except DomainError as exc:
            report.errors.append(RowError(row.number, exc.field or "", exc.code, exc.message))
    report.errors.sort(key=lambda error: error.row)
    return valid


def _owned(model: Any, customer_ids: list[int], key: Callable[[Any], str], **filters: Any) -> set[tuple[int, str]]:
    out: set[tuple[int, str]] = set()
    for part in _chunks(customer_ids):
        out.update((row.customer_id, key(row)) for row in model.objects.filter(customer_id__in=part, **filters)
                   .only("customer_id", "address" if model is Property else "name"))
    return out


def _write(rows: list[_Row], *, actor: Actor, channel: Channel, report: ImportReport, dry_run: bool) -> None:
    matched_ids = sorted({row.match.pk for row in rows if row.match is not None})
    places = _owned(Property, matched_ids, lambda p: _key_of(p.address))
    people = _owned(Dependent, matched_ids, lambda d: d.name.casefold(), archived_at__isnull=True)
    leads = [row for row in rows if row.lead is None]
    new = [row for row in leads if row.match is None]
    changed = [row for row in leads if row.match is not None and row.changes]
    for row in new:
        row.is_new = True
    report.created, report.updated = len(new), len(changed)
    if not dry_run:
        created = Customer.objects.bulk_create([Customer(**row.customer) for row in new], batch_size=CHUNK)
        for row, customer in zip(new, created, strict=True):
            row.match = customer
        for row in changed:
            for key, (_before, after) in row.changes.items():
                setattr(row.match, key, after)
        if changed:
            Customer.objects.bulk_update([row.match for row in changed], list(CUSTOMER_COLUMNS.values()),
                                         batch_size=CHUNK)
    entries: list[customer_log.Entry] = []
    new_props: list[tuple[_Row, Property]] = []
    new_people: list[tuple[_Row, Dependent]] = []
    for row in rows:
        first = row.first
        # in a dry run a new customer has no id yet: a stand-in key (its first row) keeps its rows apart
        customer_id = first.match.pk if first.match is not None else -first.number
        if row.lead is not None:
            outcome = "repeated"
        elif row.is_new:
            outcome = "created"
            entries.append(customer_log.Entry(
                customer_id, "created", CustomerCreated,
                changes={key: ("", value) for key, value in row.customer.items() if value},
                data={"import_row": row.number}))
        elif row.changes:
            outcome = "updated"
            entries.append(customer_log.Entry(
                customer_id, "updated", CustomerUpdated, changes=row.changes, data={"import_row": row.number},
                fields={"changed": tuple(sorted(row.changes))}))
        else:
            outcome = "unchanged"
        touched = outcome in ("created", "updated")
        prop_outcome = person_outcome = ""
        if row.prop is not None:
            prop_outcome = "exists"
            if (customer_id, _key_of(row.prop["address"])) not in places:
                places.add((customer_id, _key_of(row.prop["address"])))
                new_props.append((row, Property(customer_id=customer_id, **row.prop)))
                prop_outcome, touched = "added", True
        if row.dependent is not None:
            person_outcome = "exists"
            if (customer_id, row.dependent["name"].casefold()) not in people:
                people.add((customer_id, row.dependent["name"].casefold()))
                new_people.append((row, Dependent(customer_id=customer_id, **row.dependent)))
                person_outcome, touched = "added", True
        report.unchanged += not touched
        report.results.append(RowResult(row.number, first.number, outcome, prop_outcome, person_outcome))
    report.properties_added, report.dependents_added = len(new_props), len(new_people)
    if dry_run:
        return
    for _, prop in new_props:
        if wants_geocoding(prop):
            prop.geocode_status = GeocodeStatus.PENDING
    Property.objects.bulk_create([prop for _, prop in new_props], batch_size=CHUNK)
    if any(prop.geocode_status for _, prop in new_props):
        geocode_pending.enqueue()  # one task for the lot, in this transaction (decision 0193)
    Dependent.objects.bulk_create([person for _, person in new_people], batch_size=CHUNK)
    for row, prop in new_props:
        entries.append(customer_log.Entry(
            prop.customer_id, "property_added", PropertyAdded,
            changes={key: (None, value) for key, value in row.prop.items() if value not in ("", None)},
            data={"property_id": prop.pk, "import_row": row.number}, fields={"property_id": prop.pk}))
    for row, person in new_people:
        entries.append(customer_log.Entry(
            person.customer_id, "dependent_added", DependentAdded,
            changes={key: ("", value) for key, value in row.dependent.items() if value},
            data={"dependent_id": person.pk, "import_row": row.number}, fields={"dependent_id": person.pk}))
    customer_log.record_many(entries, actor=actor, channel=channel)


def customers_import(*, actor: Actor, channel: Channel, file: IO[bytes] | bytes, dry_run: bool = False,
                     progress: Progress | None = None) -> ImportReport:
    """Validate every row of a CSV file of customers and import all of it, or (a row refused, or
    ``dry_run``) nothing. File-wide problems (not UTF-8, missing or unknown columns, no rows) raise a
    ``DomainError``; row problems are in the report, one ``RowError`` per refused row."""
    if not (actor.is_staff or actor.is_system):  # the system: ``manage.py import_customers``
        raise PermissionDenied("Only staff import customers.")
    # a file part of a multipart request (or bytes); anything else (a JSON value in its place) is refused
    data = file if isinstance(file, bytes) else file.read(max_bytes() + 1) if hasattr(file, "read") else None
    if not isinstance(data, bytes):
        raise ValidationFailed("file", "Send the CSV file as a multipart upload.")
    _names, raw_rows = _parse(data)
    report = ImportReport(rows=len(raw_rows), dry_run=dry_run)
    with transaction.atomic():
        rows = _validate_all(raw_rows, report, progress)
        if report.errors:
            return report
        # ``select_for_update`` is not needed: a customer matched here is only ever updated by
        # changed fields, and the insert of a new one races at worst into a duplicate customer,
        # which a re-run then reports as ``ambiguous`` (decision 0191)
        _write(rows, actor=actor, channel=channel, report=report, dry_run=dry_run)
    return report

"""The customer import over GraphQL: a CSV file as a multipart upload, the report as the result
(core.crm.imports; decision 0192)."""

from __future__ import annotations

import strawberry
import strawberry_django
from strawberry.file_uploads import Upload
from strawberry.types import Info

from core.crm.imports import ImportReport, customers_import

from ..errors import UserError, attempt
from ..payloads import who


@strawberry.type(description="A row of the file that was refused; its column, when one is to blame.")
class ImportRowError:
    row: int = strawberry.field(description="The line as a spreadsheet numbers it: the header is row 1.")
    column: str = strawberry.field(description="The CSV column, or empty for the whole row.")
    code: str = strawberry.field(description="The same code the one-by-one mutations give (invalid_phone, ...).")
    message: str


@strawberry.type(description="What one row did (or, in a dry run, would do).")
class ImportRowResult:
    row: int = strawberry.field(description="The line as a spreadsheet numbers it: the header is row 1.")
    customer_row: int = strawberry.field(description="The first row of this row's customer in the file (the row "
                                                     "itself unless it repeats a customer).")
    customer: str = strawberry.field(description="created, updated, unchanged; repeated: a later row of the "
                                                 "customer of customerRow (it adds a property or dependent).")
    property: str = strawberry.field(description="added, exists (the customer has one at that address), or "
                                                 "empty when the row names none.")
    dependent: str = strawberry.field(description="added, exists (a current one of that name), or empty.")


@strawberry.type(description="What the import did (or, for a dry run or a file with refused rows, would do). "
                             "A file with any refused row imports nothing.")
class CustomerImportReport:
    rows: int
    created: int
    updated: int
    unchanged: int
    properties_added: int
    dependents_added: int
    dry_run: bool
    imported: bool = strawberry.field(description="True when the file was written.")
    row_errors: list[ImportRowError]
    row_results: list[ImportRowResult] = strawberry.field(description="Per row, when no row was refused.")


@strawberry.type
class ImportCustomersPayload:
    report: CustomerImportReport | None = None
    errors: list[UserError]


def _report(report: ImportReport) -> CustomerImportReport:
    return CustomerImportReport(
        rows=report.rows, created=report.created, updated=report.updated, unchanged=report.unchanged,
        properties_added=report.properties_added, dependents_added=report.dependents_added, dry_run=report.dry_run,
        imported=report.imported,
        row_errors=[ImportRowError(row=e.row, column=e.column, code=e.code, message=e.message)
                    for e in report.errors],
        row_results=[ImportRowResult(row=r.row, customer_row=r.customer_row, customer=r.customer, property=r.property,
                                     dependent=r.dependent) for r in report.results])


@strawberry.type
class ImportsMutation:
    @strawberry_django.mutation(description=(
        "Import customers with their properties and dependents from a CSV file sent as a multipart upload "
        "(UTF-8, header row; staff). Rows repeating a customer (same e-mail or mobile) add further properties "
        "and dependents. All rows or none; a re-run matches customers by e-mail or mobile."))
    def import_customers(self, info: Info, file: Upload, dry_run: bool = False) -> ImportCustomersPayload:
        return attempt(ImportCustomersPayload, "report", lambda: _report(customers_import(
            **who(info), file=file, dry_run=dry_run)))

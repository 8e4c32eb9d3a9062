"""The sales app's models. Invoices and payments live in ``invoice_models`` (quotes beside them)."""

from .invoice_models import (  # noqa: F401
    Invoice,
    InvoiceEmail,
    InvoiceEvent,
    InvoiceLine,
    InvoiceSettings,
    Payment,
)

"""The sales admin. Quotes, invoices and payments are written by the services only (decision 0040):
the pages show, the actions call the services; the settings form writes through its service."""

from .invoice_admin import InvoiceAdmin, InvoiceEventAdmin, InvoiceSettingsAdmin  # noqa: F401
from .quote_admin import QuoteAdmin, QuoteEventAdmin  # noqa: F401

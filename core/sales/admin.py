"""The sales admin. Invoices and payments are written by the services only (decision 0040): the
invoice pages show, the actions call the services; the settings form writes through its service."""

from .invoice_admin import InvoiceAdmin, InvoiceEventAdmin, InvoiceSettingsAdmin  # noqa: F401

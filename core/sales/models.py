"""The sales app's models. Invoices and payments live in ``invoice_models``, quotes in ``quote_models``."""

from .invoice_models import (  # noqa: F401
    Invoice,
    InvoiceEmail,
    InvoiceEvent,
    InvoiceLine,
    InvoiceSettings,
    Payment,
)
from .quote_models import Quote, QuoteEmail, QuoteEvent, QuoteLine  # noqa: F401

from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "core.sales"
    label = "sales"
    verbose_name = "Sales (quotes, invoices, payments)"

    def ready(self) -> None:
        from . import invoice_handlers, quote_handlers

        invoice_handlers.register()
        quote_handlers.register()

from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "core.payroll"
    label = "payroll"
    verbose_name = "Payroll (payment agreements, booking pay, payroll runs)"

    def ready(self) -> None:
        from . import handlers

        handlers.register()

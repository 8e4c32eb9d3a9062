from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "core.outreach"
    label = "outreach"
    verbose_name = "Customer outreach (e-mail, portal, in-app notices)"

    def ready(self) -> None:
        from . import handlers

        handlers.register()

from django.apps import AppConfig


class SmsConfig(AppConfig):
    """Text messages to and from customers: the SMS log, opt-outs, prompts and comment deliveries.

    (In-app notices for fieldworkers live in ``core.outreach``; this app was called ``notifications``
    until its label was changed to say what it holds — decision 0043.)"""

    name = "core.sms"
    label = "sms"
    verbose_name = "SMS"

    def ready(self) -> None:
        from . import handlers

        handlers.register()

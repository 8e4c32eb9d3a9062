from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "core.workforce"
    label = "workforce"

    def ready(self) -> None:
        from core import events
        from core.sms.events import SmsStatusReported

        from .messaging import on_sms_status_reported

        # durable: the message's new status commits with the report that moved its text (decision 0196)
        events.subscribe(SmsStatusReported, on_sms_status_reported, durable=True,
                         when=lambda event: event.kind == "fieldworker")

from django.apps import AppConfig


class SmsConfig(AppConfig):
    """The SMS front as an app: its management command (``sms_simulate``) and system checks."""

    name = "conversations.sms"
    label = "sms_front"
    verbose_name = "SMS front"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the checks)

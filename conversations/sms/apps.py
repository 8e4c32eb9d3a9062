from django.apps import AppConfig


class SmsConfig(AppConfig):
    """Installed only for its management command (``sms_simulate``); it has no models."""

    name = "conversations.sms"
    label = "sms"
    verbose_name = "SMS front"

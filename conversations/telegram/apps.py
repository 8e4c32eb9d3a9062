from django.apps import AppConfig


class TelegramConfig(AppConfig):
    """The Telegram front: webhook, bot dialog, transport. Installed for its management command
    (``telegram_webhook``); it has no models (they live in ``core.chat``)."""

    name = "conversations.telegram"
    label = "telegram"
    verbose_name = "Telegram front"

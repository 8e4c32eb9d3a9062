"""``manage.py telegram_webhook set|delete|info``: configure the bot's webhook with the secret token."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from conversations.telegram.backend import Client, run

ALLOWED_UPDATES = ["message", "callback_query"]


class Command(BaseCommand):
    help = "Set, delete or show the Telegram webhook (uses TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["set", "delete", "info"])
        parser.add_argument("--url", help="Public URL of /webhooks/telegram/ (default: TELEGRAM_WEBHOOK_URL)")
        parser.add_argument("--drop-pending", action="store_true", help="Drop updates Telegram still holds")

    def handle(self, *args, action: str, url: str | None = None, drop_pending: bool = False, **options) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set.")
        try:
            run(lambda: self._run(action, url or settings.TELEGRAM_WEBHOOK_URL, drop_pending))
        except TelegramError as exc:
            raise CommandError(f"Telegram said: {exc.message}")

    async def _run(self, action: str, url: str, drop_pending: bool) -> None:
        async with Client() as bot:
            if action == "set":
                secret = settings.TELEGRAM_WEBHOOK_SECRET
                if not secret:
                    raise CommandError("TELEGRAM_WEBHOOK_SECRET is not set; the webhook would refuse every call.")
                if not url.startswith("https://") and not settings.TELEGRAM_API_BASE_URL:
                    raise CommandError("Telegram only calls https:// webhooks.")
                await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                                      drop_pending_updates=drop_pending)
                self.stdout.write(f"webhook set: {url}")
            elif action == "delete":
                await bot.delete_webhook(drop_pending_updates=drop_pending)
                self.stdout.write("webhook deleted")
            else:
                info = await bot.get_webhook_info()
                self.stdout.write(f"url: {info.url or '-'}\npending updates: {info.pending_update_count}\n"
                                  f"last error: {info.last_error_message or '-'}")

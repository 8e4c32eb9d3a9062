from django.core.management.base import BaseCommand

from core.chat import outbox


class Command(BaseCommand):
    help = "Deliver the chat messages that are due (first sends and retries). Run it every minute from cron."

    def handle(self, *args, **options) -> None:
        counts = outbox.flush()
        self.stdout.write("chat outbox: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due"))

from django.core.management.base import BaseCommand

from core.chat import outbox


class Command(BaseCommand):
    help = ("Deliver the chat messages that are due (first sends and retries) and forget processed update ids "
            "older than a week. Run it every minute from cron.")

    def handle(self, *args, **options) -> None:
        counts = outbox.flush()
        forgotten = outbox.forget_old_updates()
        self.stdout.write("chat outbox: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
                          + f"; update ids forgotten: {forgotten}")

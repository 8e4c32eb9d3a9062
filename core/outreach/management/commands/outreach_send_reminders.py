from django.core.management.base import BaseCommand

from core.outreach.tasks import send_due_reminders


class Command(BaseCommand):
    help = "Queue the booking reminder e-mails that are due (run every few minutes from a scheduler)."

    def handle(self, *args, **options) -> None:
        # run here and now (the workers run it every few minutes as a periodic job)
        self.stdout.write(f"reminders: {send_due_reminders.call()}")

from django.core.management.base import BaseCommand

from core.outreach.tasks import send_due_reminders


class Command(BaseCommand):
    help = "Queue the booking reminder e-mails that are due (run every few minutes from a scheduler)."

    def handle(self, *args, **options) -> None:
        result = send_due_reminders.enqueue()
        self.stdout.write(f"reminders: {result.return_value if result.is_finished else 'enqueued'}")

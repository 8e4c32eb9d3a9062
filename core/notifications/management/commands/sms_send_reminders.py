"""Send the SMS reminders that are due. Run it on a schedule (e.g. every 10 minutes)."""

from django.core.management.base import BaseCommand

from core.notifications.tasks import send_due_reminders


class Command(BaseCommand):
    help = "Enqueue the due SMS reminders (Tasks API) and report how many were sent or queued."

    def handle(self, *args, **options):
        result = send_due_reminders.enqueue()
        sent = result.return_value if result.is_finished else None
        if sent is None:
            self.stdout.write("Reminder run queued.")
        else:
            self.stdout.write(f"{sent} reminder(s) sent.")

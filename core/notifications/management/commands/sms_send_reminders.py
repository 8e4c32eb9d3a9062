"""Send the SMS reminders that are due. Run it on a schedule (e.g. every 10 minutes)."""

from django.core.management.base import BaseCommand

from core.notifications.tasks import send_due_reminders


class Command(BaseCommand):
    help = "Send the due SMS reminders now and report how many were sent."

    def handle(self, *args, **options):
        # run here and now (the workers run it every few minutes as a periodic job)
        self.stdout.write(f"{send_due_reminders.call()} reminder(s) sent.")

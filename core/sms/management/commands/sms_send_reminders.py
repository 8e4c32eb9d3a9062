"""Send the SMS reminders that are due. Run it on a schedule (e.g. every 10 minutes)."""

from django.core.management.base import BaseCommand

from core.sms.models import SmsKind
from core.sms.tasks import due_reminder_ids, send_booking_sms


class Command(BaseCommand):
    help = "Send the due SMS reminders now and report how many were sent."

    def handle(self, *args, **options):
        # run here and now (the workers run it every few minutes as a periodic job)
        sent = sum(send_booking_sms.call(SmsKind.REMINDER, booking_id) is not None for booking_id in due_reminder_ids())
        self.stdout.write(f"{sent} reminder(s) sent.")

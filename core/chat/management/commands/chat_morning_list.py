from django.core.management.base import BaseCommand

from core.chat.tasks import send_morning_lists


class Command(BaseCommand):
    help = "Queue today's job list (business time zone) to every linked fieldworker with jobs; once a day each."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD instead of today")

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"morning lists: {send_morning_lists.call(date=options.get('date'))}")

from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "core.bookings"
    label = "bookings"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()

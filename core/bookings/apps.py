from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "core.bookings"
    label = "bookings"

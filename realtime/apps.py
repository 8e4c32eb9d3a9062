from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from . import broadcast, credentials

        broadcast.connect()
        credentials.connect()

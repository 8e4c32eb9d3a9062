from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "core.chat"
    label = "chat"
    verbose_name = "Chat (fieldworkers)"

    def ready(self) -> None:
        from . import notify

        notify.connect()

from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "core.complaints"
    label = "complaints"
    verbose_name = "Complaints"

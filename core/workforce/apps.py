from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "core.workforce"
    label = "workforce"

from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "core.crm"
    label = "crm"

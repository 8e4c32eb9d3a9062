from django.apps import AppConfig


class CompanyConfig(AppConfig):
    name = "core.company"
    label = "company"

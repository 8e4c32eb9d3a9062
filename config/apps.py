from django.apps import AppConfig


class FieldopsConfig(AppConfig):
    """The composition root as an app only so that it can hold ``manage.py run_schedules``."""

    name = "config"
    label = "fieldops_config"
    verbose_name = "Fieldops configuration"

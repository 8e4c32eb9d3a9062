from django.apps import AppConfig


class JobdataConfig(AppConfig):
    name = "core.jobdata"
    label = "jobdata"
    verbose_name = "Job data (custom fields)"

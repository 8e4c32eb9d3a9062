from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "core.files"
    label = "files"
    verbose_name = "Files, photos and signatures"

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "core.reviews"
    label = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from . import handlers

        handlers.register()

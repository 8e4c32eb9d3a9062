"""URLs of the conversation fronts (SMS; chat adds its own here)."""

from django.urls import include, path

urlpatterns = [
    path("", include("conversations.sms.urls")),
    path("", include("conversations.telegram.urls")),
]

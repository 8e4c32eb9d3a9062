"""URLs of the conversation fronts: SMS, chat and inbound e-mail."""

from django.urls import include, path

urlpatterns = [
    path("", include("conversations.sms.urls")),
    path("", include("conversations.telegram.urls")),
    path("", include("conversations.email.urls")),
]

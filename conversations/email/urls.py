from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/email/inbound/", views.inbound_email, name="email-inbound"),
]

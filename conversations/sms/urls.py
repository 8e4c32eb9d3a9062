from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/twilio/sms/", views.inbound_sms, name="twilio-sms"),
    path("webhooks/twilio/status/", views.delivery_status, name="twilio-status"),
]

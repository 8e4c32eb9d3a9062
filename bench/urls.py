from django.urls import path

from config.urls import urlpatterns as product_urls

from .views import plain_bookings_json, plain_invoices_json

urlpatterns = [path("bench/bookings.json", plain_bookings_json), path("bench/invoices.json", plain_invoices_json),
               *product_urls]

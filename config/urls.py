from django.contrib import admin
from django.urls import include, path

from config import probes

urlpatterns = [
    path("admin/", admin.site.urls),
    path("readyz", probes.readyz, name="ready"),
    path("metrics", probes.metrics, name="metrics"),
    path("", include("graphql_api.urls")),
    path("", include("web.urls")),
    path("", include("conversations.urls")),
]

from django.urls import path

from .schema import schema
from .views import FieldopsGraphQLView

urlpatterns: list = [
    path("graphql/", FieldopsGraphQLView.as_view(schema=schema), name="graphql"),
]

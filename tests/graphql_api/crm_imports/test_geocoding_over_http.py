"""A property created over GraphQL without coordinates gets them from the geocoder (a fake Google
Geocoding API on 127.0.0.1); the client reads them, and the geocoding status, back."""

from __future__ import annotations

import pytest

from tests import factories
from tests.core.crm.fake_geocoder import start
from tests.graphql_api.conftest import gid

from ..over_http import gql


@pytest.fixture
def google(settings):
    fake = start()
    settings.GEOCODER_BACKEND = "core.crm.geocoding.GoogleGeocoder"
    settings.GOOGLE_MAPS_API_BASE_URL, settings.GOOGLE_MAPS_API_KEY = fake.url, "test-key"
    yield fake
    fake.stop()


def test_a_property_created_without_coordinates_reads_back_geocoded(google, db, django_capture_on_commit_callbacks):
    staff = factories.staff_user()
    customer = factories.customer()
    google.add("5 Pitt St, Sydney, 2000", -33.865, 151.209)
    with django_capture_on_commit_callbacks(execute=True):
        made = gql(staff, """mutation ($input: CreatePropertyInput!) {
            createProperty(input: $input) { property { id latitude geocodeStatus } errors { code } } }""",
                   input={"customerId": gid("Customer", customer.pk), "address": "5 Pitt St", "city": "Sydney",
                          "postcode": "2000"})["createProperty"]
    assert made["errors"] == [] and made["property"]["latitude"] is None  # answered before the task ran
    assert made["property"]["geocodeStatus"] == "pending"
    node = gql(staff, "query ($id: ID!) { node(id: $id) { ... on Property { latitude longitude geocodeStatus } } }",
               id=made["property"]["id"])["node"]
    assert node == {"latitude": -33.865, "longitude": 151.209, "geocodeStatus": "found"}
    assert [r["address"] for r in google.received] == ["5 Pitt St, Sydney, 2000"]

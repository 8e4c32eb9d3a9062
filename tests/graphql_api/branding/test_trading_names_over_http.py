"""Trading names, terms and labels as a GraphQL client meets them: over HTTP, logos as real multipart
requests (the GraphQL multipart request spec), refusals as typed errors that change nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from core.company.models import CompanyLog, Label, TermsVersion, TradingName
from core.company.selectors import default_trading_name
from graphql_api.ids import encode_id
from tests import factories
from tests.core.company.images import noisy_png, png
from tests.media import stored_files, unchanged

from ..over_http import URL, gql, sign_in

CREATE = """
mutation ($input: CreateTradingNameInput!) {
  createTradingName(input: $input) {
    tradingName { id name hasLogo quotePrefix invoicePrefix isDefault }
    errors { code field message }
  }
}"""

UPDATE = """
mutation ($input: UpdateTradingNameInput!) {
  updateTradingName(input: $input) { tradingName { id name hasLogo } errors { code field } }
}"""


@pytest.fixture
def staff(db):
    user = factories.staff_user()
    sign_in(user)
    return user


def multipart(user, query: str, variables: dict, files: dict[str, tuple[str, bytes]]):
    """A GraphQL multipart request: ``files`` maps a variable path (``input.logo``) to (name, content)."""
    sign_in(user)
    mapping = {str(i): [f"variables.{path}"] for i, path in enumerate(files)}
    data = {"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(mapping)}
    for i, (name, content) in enumerate(files.values()):
        data[str(i)] = SimpleUploadedFile(name, content, content_type="image/png")
    return Client().post(URL, data, HTTP_AUTHORIZATION=user._test_bearer)  # encoded as multipart/form-data


def test_staff_create_a_trading_name_with_a_logo_by_multipart_request(staff, media):
    response = multipart(staff, CREATE, {"input": {"name": "Sparkle Windows", "quotePrefix": "SQ-",
                                                   "invoicePrefix": "SI-", "logo": None}},
                         {"input.logo": ("logo.png", png(300, 120))})
    assert response.status_code == 200, response.content
    payload = response.json()["data"]["createTradingName"]
    assert payload["errors"] == []
    assert payload["tradingName"]["hasLogo"] is True
    row = TradingName.objects.get(name="Sparkle Windows")
    assert stored_files(media) == [row.logo.name]
    assert row.logo.name.endswith(".png") and "logo.png" not in row.logo.name  # named by us, not the client


@pytest.mark.parametrize("name, content, code", [
    ("logo.png", b"GIF89a? no, just text pretending", "not_an_image"),
    ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_an_image"),
    ("logo.png", png(10, 10), "image_dimensions"),
])
def test_a_bad_upload_is_a_typed_error_and_nothing_changes(staff, media, name, content, code):
    response = unchanged(media, lambda: multipart(staff, CREATE, {"input": {"name": "Sparkle", "logo": None}},
                                           {"input.logo": (name, content)}))
    assert response.status_code == 200
    assert response.json()["data"]["createTradingName"] == {
        "tradingName": None, "errors": [{"code": code, "field": "logo", "message": response.json()["data"][
            "createTradingName"]["errors"][0]["message"]}]}


def test_an_oversized_upload_is_refused_by_the_service_then_by_the_server(staff, media, settings):
    settings.FIELDOPS_UPLOAD_MAX_BYTES = settings.FIELDOPS_IMPORT_MAX_BYTES = 50_000  # the larger sets the body's
    settings.FIELDOPS_FILE_MAX_BYTES = dict.fromkeys(settings.FIELDOPS_FILE_MAX_BYTES, 50_000)  # no larger file type
    big = noisy_png(160, 160)  # about 77 kB: over the file limit, inside the multipart allowance
    assert 50_000 < len(big) < settings.GRAPHQL_MAX_BODY_BYTES + 50_000
    target = default_trading_name()
    variables = {"input": {"id": encode_id("TradingName", target.pk), "name": "Renamed", "logo": None}}
    response = unchanged(media, lambda: multipart(staff, UPDATE, variables, {"input.logo": ("big.png", big)}))
    assert response.json()["data"]["updateTradingName"]["errors"] == [{"code": "file_too_large", "field": "logo"}]
    huge = noisy_png(800, 800)  # about 1.9 MB: past the whole body allowance
    assert len(huge) > settings.GRAPHQL_MAX_BODY_BYTES + 50_000
    response = unchanged(media, lambda: multipart(staff, UPDATE, variables, {"input.logo": ("huge.png", huge)}))
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "request_too_large"


@pytest.mark.parametrize("role", ["customer", "fieldworker"])
def test_only_staff_upload(role, media, db):
    user = factories.customer(with_login=True).user if role == "customer" else factories.fieldworker().user
    sign_in(user)
    response = unchanged(media, lambda: multipart(user, CREATE, {"input": {"name": "Mine", "logo": None}},
                                           {"input.logo": ("logo.png", png())}))
    assert response.json()["data"]["createTradingName"]["errors"][0]["code"] == "forbidden"
    assert gql(user, "{ tradingNames { edges { node { id } } } labels { totalCount } }") == {
        "tradingNames": {"edges": []}, "labels": {"totalCount": 0}}


def test_replace_and_remove_a_logo(staff, media, django_capture_on_commit_callbacks):
    target = default_trading_name()
    gid = encode_id("TradingName", target.pk)
    response = multipart(staff, UPDATE, {"input": {"id": gid, "logo": None}}, {"input.logo": ("a.png", png())})
    assert response.json()["data"]["updateTradingName"]["tradingName"]["hasLogo"] is True
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):  # as the request's commit would
        data = gql(staff, UPDATE, input={"id": gid, "removeLogo": True})
    assert data["updateTradingName"]["tradingName"]["hasLogo"] is False
    assert stored_files(media) == []  # the request committed: the old file went with it


def test_trading_names_with_terms_in_one_page_of_queries(staff, django_assert_num_queries):
    for i in range(4):
        row = TradingName.objects.create(name=f"Brand {i}", quote_prefix=f"Q{i}-", invoice_prefix=f"I{i}-")
        TermsVersion.objects.create(trading_name=row, version=1, text=f"Terms {i}",
                                    in_force_from=timezone.now() - timedelta(days=1))
    query = """{ tradingNames(first: 10) { totalCount edges { node { name isDefault
                 termsVersions { version text } } } } }"""
    with django_assert_num_queries(3):  # token, the page with its count, the terms of the page
        data = gql(staff, query)
    assert data["tradingNames"]["totalCount"] == 5
    assert [edge["node"]["name"] for edge in data["tradingNames"]["edges"]][:2] == ["Brand 0", "Brand 1"]
    assert data["tradingNames"]["edges"][0]["node"]["termsVersions"] == [{"version": 1, "text": "Terms 0"}]


PUBLISH = """
mutation ($input: PublishTermsInput!) {
  publishTerms(input: $input) { termsVersion { version text inForceFrom } errors { code field } }
}"""


def test_publish_terms_and_read_the_version_in_force(staff):
    target = default_trading_name()
    gid = encode_id("TradingName", target.pk)
    first = gql(staff, PUBLISH, input={"tradingNameId": gid, "text": "Payment within 14 days."})
    assert first["publishTerms"]["termsVersion"]["version"] == 1
    later = (timezone.now() + timedelta(days=30)).isoformat()
    second = gql(staff, PUBLISH, input={"tradingNameId": gid, "text": "Payment within 7 days.", "inForceFrom": later})
    assert second["publishTerms"]["termsVersion"]["version"] == 2
    data = gql(staff, "query ($id: ID!) { node(id: $id) { ... on TradingName { termsInForce { version text } "
                      "termsVersions { version } } } }", id=gid)
    assert data["node"] == {"termsInForce": {"version": 1, "text": "Payment within 14 days."},
                            "termsVersions": [{"version": 2}, {"version": 1}]}
    assert CompanyLog.objects.filter(subject="terms", action="published").count() == 2


@pytest.mark.parametrize("variables, code, field", [
    ({"text": "T", "inForceFrom": "2020-01-01T00:00:00+00:00"}, "in_the_past", "inForceFrom"),
    ({"text": "   "}, "invalid", "text"),
    ({"text": "T", "tradingNameId": "VHJhZGluZ05hbWU6OTk5OQ=="}, "not_found", "tradingNameId"),
    ({"text": "T", "tradingNameId": "Qm9va2luZzox"}, "invalid_id", "tradingNameId"),
])
def test_bad_terms_are_typed_errors_and_change_nothing(staff, media, variables, code, field):
    variables = {"tradingNameId": encode_id("TradingName", default_trading_name().pk), **variables}
    data = unchanged(media, lambda: gql(staff, PUBLISH, input=variables))
    assert data["publishTerms"] == {"termsVersion": None, "errors": [{"code": code, "field": field}]}


LABEL = """
mutation ($input: CreateLabelInput!) {
  createLabel(input: $input) { label { id name colour appliesTo active } errors { code field } }
}"""


def test_labels_over_http(staff, media):
    made = gql(staff, LABEL, input={"name": "VIP", "colour": "#AA0000", "appliesTo": ["quote", "invoice"]})
    assert made["createLabel"]["label"] == {"id": made["createLabel"]["label"]["id"], "name": "VIP",
                                            "colour": "#aa0000", "appliesTo": ["quote", "invoice"], "active": True}
    bad = unchanged(media, lambda: gql(staff, LABEL, input={"name": "vip", "appliesTo": ["quote"]}))
    assert bad["createLabel"]["errors"] == [{"code": "duplicate", "field": "name"}]
    bad = unchanged(media, lambda: gql(staff, LABEL, input={"name": "Other", "appliesTo": ["planet"]}))
    assert bad["createLabel"]["errors"] == [{"code": "invalid", "field": "appliesTo"}]
    retired = gql(staff, """mutation ($input: UpdateLabelInput!) { updateLabel(input: $input) {
                            label { active } errors { code } } }""",
                  input={"id": made["createLabel"]["label"]["id"], "active": False})
    assert retired["updateLabel"] == {"label": {"active": False}, "errors": []}
    assert Label.objects.get().active is False
    assert gql(staff, "{ labels { totalCount edges { node { name } } } }")["labels"]["totalCount"] == 1


def test_the_label_list_in_one_page_of_queries(staff, django_assert_num_queries):
    for i in range(6):
        Label.objects.create(name=f"Label {i}", applies_to=["quote", "booking"])
    with django_assert_num_queries(2):  # token, the page with its count
        data = gql(staff, "{ labels(first: 10) { totalCount edges { node { name colour appliesTo active } } } }")
    assert data["labels"]["totalCount"] == 6
    assert data["labels"]["edges"][0]["node"] == {"name": "Label 0", "colour": "#64748b",
                                                 "appliesTo": ["quote", "booking"], "active": True}


def test_a_cross_site_multipart_post_with_a_session_is_refused(staff, media):
    """A form on another site can post multipart with the staff member's cookie: the CSRF check stops it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    operations = json.dumps({"query": CREATE, "variables": {"input": {"name": "Forged", "logo": None}}})
    data = {"operations": operations, "map": json.dumps({"0": ["variables.input.logo"]}),
            "0": SimpleUploadedFile("logo.png", png(), content_type="image/png")}
    response = unchanged(media, lambda: client.post(URL, data))
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "csrf_failed"
    csrf = "k" * 32
    client.cookies["csrftoken"] = csrf
    accepted = client.post(URL, data | {"0": SimpleUploadedFile("logo.png", png(), content_type="image/png")},
                           HTTP_X_CSRFTOKEN=csrf)
    assert accepted.json()["data"]["createTradingName"]["errors"] == []

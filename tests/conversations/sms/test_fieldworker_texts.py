"""A text from a fieldworker's number (through the signed Twilio webhook) reaches that fieldworker's
SMS log, which staff and the fieldworker read over GraphQL; it opens no inquiry and gets no reply.
Another fieldworker reads none of it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.crm.models import Inquiry
from core.workforce.models import FieldworkerMessage
from tests import factories
from tests.graphql_api.conftest import bearer, gid

pytestmark = pytest.mark.django_db

LOG = """query($f: ID!) { fieldworkerMessages(fieldworkerId: $f, medium: SMS, first: 5) { totalCount
    edges { node { inbound kind status body } } } }"""


def graphql(query: str, token: str, **variables):
    response = Client().post("/graphql/", json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_a_fieldworkers_text_reaches_their_thread_not_the_inbox(sms):
    worker, other, staff = factories.fieldworker(), factories.fieldworker(), factories.staff_user()
    reply = sms("Running 10 min late to the 2pm job", worker.mobile)
    assert reply.text == ""
    assert not Inquiry.objects.exists()
    row = FieldworkerMessage.objects.get()
    assert (row.fieldworker_id, row.inbound, row.kind) == (worker.pk, True, "received")
    expected = {"totalCount": 1, "edges": [{"node": {"inbound": True, "kind": "received", "status": "received",
                                                     "body": "Running 10 min late to the 2pm job"}}]}
    fw = gid("Fieldworker", worker.pk)
    assert graphql(LOG, bearer(staff), f=fw)["fieldworkerMessages"] == expected
    assert graphql(LOG, bearer(worker.user), f=fw)["fieldworkerMessages"] == expected
    assert graphql(LOG, bearer(other.user), f=fw)["fieldworkerMessages"] == {"totalCount": 0, "edges": []}
    assert worker.log.filter(action="sms_received").count() == 1


def test_a_number_that_is_also_a_customers_keeps_the_customer_conversation(sms):
    worker = factories.fieldworker()
    factories.customer(mobile=worker.mobile)
    reply = sms("Hello?", worker.mobile)
    assert reply.text and not FieldworkerMessage.objects.exists()

"""The dashboard in headless Chromium against a real server: changes made elsewhere (GraphQL
from this test, as an SMS reply or another office user would) appear without a reload, and
the comment box posts through the GraphQL mutation."""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from urllib.parse import urlencode

import pytest
from django.conf import settings

from conversations.sms.signing import SIGNATURE_HEADER, sign
from tests.conversations.sms.conftest import SMS_PATH, inbound_params

from .browser import Browser, chromium_binary
from .live import ADD_COMMENT, graphql, live_stack

pytestmark = pytest.mark.skipif(chromium_binary() is None,
                                reason="chromium is not installed (apt-get install chromium chromium-driver)")


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@pytest.fixture(scope="module")
def stack():
    with live_stack(1, redis_url=settings.REDIS_URL or None) as running:
        yield running


@pytest.fixture
def browser():
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


def sign_in(browser: Browser, stack) -> None:
    browser.navigate(f"{stack.servers[0].http}/dashboard/")
    browser.wait_for("location.pathname === '/dashboard/login/'")
    browser.evaluate(f"""
        document.getElementById('id_username').value = {json.dumps(stack.data['staff_email'])};
        document.getElementById('id_password').value = {json.dumps(stack.data['staff_password'])};
        document.getElementById('sign-in').click(); true""")
    browser.wait_for("location.pathname === '/dashboard/' && document.body.dataset.live === 'ready'")


def test_comments_and_changes_appear_live_and_the_comment_box_posts(stack, browser):
    sign_in(browser, stack)
    booking = gid("Booking", stack.data["booking_id"])
    row = f"document.querySelector('tr[data-booking=\"{booking}\"]')"
    assert browser.evaluate(f"{row}.querySelector('.status').textContent") == "pending"
    assert browser.evaluate("document.getElementById('live').dataset.state") == "live"
    browser.evaluate("window.__sameDocument = 'yes'")

    # a comment written elsewhere (here: the customer, over GraphQL with their token)
    result = graphql(stack.servers[0].http, ADD_COMMENT,
                     {"input": {"bookingId": booking, "body": "Dog is friendly", "visibleToCustomer": True}},
                     stack.data["customer_token"])
    assert result["data"]["addBookingComment"]["errors"] == []
    browser.wait_for("[...document.querySelectorAll('#comments li .body')]"
                     ".some((b) => b.textContent === 'Dog is friendly')")
    assert browser.evaluate("document.querySelector('#comments li:last-child .channel').textContent") == "GraphQL"

    # a status change made elsewhere updates the board row
    result = graphql(stack.servers[0].http, "mutation($id: ID!) { confirmBooking(id: $id) { errors { code } } }",
                     {"id": booking}, stack.data["staff_token"])
    assert result["data"]["confirmBooking"]["errors"] == []
    browser.wait_for(f"{row}.querySelector('.status').textContent === 'confirmed'")

    # the comment box: posted with the session (and CSRF token), shown through the subscription
    browser.evaluate("""
        document.getElementById('comment-body').value = 'On my way <now>';
        document.getElementById('comment-send').click(); true""")
    browser.wait_for("[...document.querySelectorAll('#comments li .body')]"
                     ".some((b) => b.textContent === 'On my way <now>')")
    # the box clears when the mutation's response arrives, which may come after the live event
    browser.wait_for("document.getElementById('comment-body').value === ''")
    assert browser.evaluate("document.getElementById('comment-error').textContent") == ""
    stored = graphql(stack.servers[0].http, "query($id: ID!) { booking(id: $id) { comments { body authorName } } }",
                     {"id": booking}, stack.data["staff_token"])
    assert {"body": "On my way <now>", "authorName": "Olive Office"} in stored["data"]["booking"]["comments"]
    assert browser.evaluate("window.__sameDocument") == "yes"  # never reloaded


def text_the_stack(stack, body: str, sender: str) -> None:
    """A signed Twilio webhook, as Twilio would send it to the served process."""
    params = inbound_params(body, sender)
    public = os.environ.get("FIELDOPS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    signature = sign(f"{public}{SMS_PATH}", params, token=os.environ.get("TWILIO_AUTH_TOKEN", "dev-twilio-auth-token"))
    request = urllib.request.Request(f"{stack.servers[0].http}{SMS_PATH}", data=urlencode(params).encode(),
                                     headers={SIGNATURE_HEADER: signature,
                                              "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_a_text_from_an_unknown_number_appears_in_the_inbox_and_the_buttons_answer_it(stack, browser):
    sign_in(browser, stack)
    browser.evaluate("window.__sameDocument = 'inbox'")
    text_the_stack(stack, "Do you clean gutters <today>?", "+61499777666")

    row = ("[...document.querySelectorAll('#inquiries li[data-inquiry]')]"
           ".find((li) => li.querySelector('.body').textContent.endsWith('Do you clean gutters <today>?'))")
    browser.wait_for(f"!!{row}")
    assert browser.evaluate(f"{row}.querySelector('.who').textContent") == "+61499777666"
    assert browser.evaluate(f"{row}.querySelector('.channel').textContent") == "SMS"

    browser.evaluate(f"{row}.querySelector('.assign-me').click(); true")
    browser.wait_for(f"{row}.querySelector('.assignee').textContent === 'Olive Office'")
    browser.wait_for(f"{row}.querySelector('.assign-me').disabled === true")

    browser.evaluate(f"{row}.querySelector('.resolve').click(); true")
    browser.wait_for(f"!{row}")
    assert browser.evaluate("document.getElementById('inbox-error').textContent") == ""
    assert browser.evaluate("window.__sameDocument") == "inbox"  # never reloaded

    stored = graphql(stack.servers[0].http, "{ inquiries(first: 1) { edges { node { status contact "
                                            "assignee { displayName } } } } }", token=stack.data["staff_token"])
    assert stored["data"]["inquiries"]["edges"][0]["node"] == {
        "status": "RESOLVED", "contact": "+61499777666", "assignee": {"displayName": "Olive Office"}}


def test_a_complaint_a_customer_raises_appears_in_the_open_complaints_and_leaves_when_resolved(stack, browser):
    sign_in(browser, stack)
    browser.evaluate("window.__sameDocument = 'complaints'")
    raised = graphql(stack.servers[0].http, """mutation($b: ID!) { raiseComplaint(input: {bookingId: $b,
        description: "Muddy footprints <hall>"}) { complaint { id } errors { code } } }""",
                     {"b": gid("Booking", stack.data["booking_id"])}, stack.data["customer_token"])
    assert raised["data"]["raiseComplaint"]["errors"] == []
    complaint = raised["data"]["raiseComplaint"]["complaint"]["id"]
    row = f"document.querySelector('#complaint-list li[data-complaint=\"{complaint}\"]')"
    browser.wait_for(f"!!{row}")
    assert browser.evaluate(f"{row}.querySelector('.body').textContent") == "Muddy footprints <hall>"
    assert browser.evaluate(f"{row}.querySelector('.who').textContent") == "Carla Customer"
    assert browser.evaluate(f"{row}.querySelector('.booking').textContent") == f"#{stack.data['booking_number']}"
    assert browser.evaluate(f"{row}.querySelector('.status').textContent") == "Open"

    staff = stack.data["staff_token"]
    done = graphql(stack.servers[0].http, """mutation($id: ID!) { assignComplaint(input: {id: $id,
        ownerId: null}) { errors { code } } }""", {"id": complaint}, staff)
    assert done["data"]["assignComplaint"]["errors"] == []
    done = graphql(stack.servers[0].http, """mutation($id: ID!) { resolveComplaint(input: {id: $id,
        resolution: "Cleaned"}) { errors { code } } }""", {"id": complaint}, staff)
    assert done["data"]["resolveComplaint"]["errors"] == []
    browser.wait_for(f"!{row}")
    assert browser.evaluate("window.__sameDocument") == "complaints"  # never reloaded

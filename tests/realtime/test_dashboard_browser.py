"""The dashboard in headless Chromium against a real server: changes made elsewhere (GraphQL
from this test, as an SMS reply or another office user would) appear without a reload, and
the comment box posts through the GraphQL mutation."""

from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings

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

"""The dashboard in headless Chromium across a Redis outage (decision 0210): changes made while the
server's Redis is down reach the page once Redis is back, because the server tells the page's
subscriptions ``resync_required`` and the page reconnects and re-reads the board and discussion; a
page opened during the outage retries until it can subscribe, then re-reads."""

from __future__ import annotations

import pytest

from tests.graphql_api.conftest import gid

from .browser import Browser, chromium_binary
from .live import ADD_COMMENT, graphql, live_stack
from .private_redis import needs_redis_server
from .test_dashboard_browser import sign_in

pytestmark = [needs_redis_server, pytest.mark.usefixtures("module_redis_up"),
              pytest.mark.skipif(chromium_binary() is None,
                                 reason="chromium is not installed (apt-get install chromium chromium-driver)")]


@pytest.fixture(scope="module")
def stack(module_redis):
    with live_stack(1, redis_url=module_redis.url) as running:
        yield running


@pytest.fixture
def browser():
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


def test_changes_made_during_an_outage_appear_after_redis_is_back(stack, module_redis, browser):
    server = stack.servers[0]
    sign_in(browser, stack)
    booking = gid("Booking", stack.data["booking_id"])
    row = f"document.querySelector('tr[data-booking=\"{booking}\"]')"
    assert browser.evaluate(f"{row}.querySelector('.status').textContent") == "pending"
    browser.evaluate("window.__sameDocument = 'yes'")

    module_redis.kill()
    # made elsewhere while the page cannot hear of them
    result = graphql(server.http, "mutation($id: ID!) { confirmBooking(id: $id) { errors { code } } }",
                     {"id": booking}, stack.data["staff_token"])
    assert result["data"]["confirmBooking"]["errors"] == [], result
    result = graphql(server.http, ADD_COMMENT,
                     {"input": {"bookingId": booking, "body": "Sent during the outage", "visibleToCustomer": True}},
                     stack.data["customer_token"])
    assert result["data"]["addBookingComment"]["errors"] == [], result
    assert browser.evaluate(f"{row}.querySelector('.status').textContent") == "pending"

    module_redis.start()
    browser.wait_for(f"{row}.querySelector('.status').textContent === 'confirmed'", timeout=15)
    browser.wait_for("[...document.querySelectorAll('#comments li .body')]"
                     ".some((b) => b.textContent === 'Sent during the outage')")
    browser.wait_for("document.getElementById('live').dataset.state === 'live'"
                     " && document.body.dataset.live === 'ready'")
    assert browser.evaluate("window.__sameDocument") == "yes"  # reconnected, never reloaded

    # and it is live again: a change after the outage arrives through the new subscriptions
    result = graphql(server.http, ADD_COMMENT,
                     {"input": {"bookingId": booking, "body": "After the outage", "visibleToCustomer": True}},
                     stack.data["customer_token"])
    assert result["data"]["addBookingComment"]["errors"] == [], result
    browser.wait_for("[...document.querySelectorAll('#comments li .body')]"
                     ".some((b) => b.textContent === 'After the outage')")


def test_a_page_opened_while_redis_is_down_says_so_and_catches_up_when_it_is_back(stack, module_redis, browser):
    server = stack.servers[0]
    sign_in(browser, stack)
    booking = gid("Booking", stack.data["booking_id"])

    module_redis.kill()
    # the page renders from the database; its socket cannot open (Channels gives every connection a
    # layer channel, which needs Redis), so it says so and retries
    browser.navigate(f"{server.http}/dashboard/")
    browser.wait_for("document.getElementById('live').textContent === 'offline, retrying…'")
    result = graphql(server.http, ADD_COMMENT,
                     {"input": {"bookingId": booking, "body": "Written while paused", "visibleToCustomer": True}},
                     stack.data["customer_token"])
    assert result["data"]["addBookingComment"]["errors"] == [], result
    browser.evaluate("window.__sameDocument = 'yes'")

    module_redis.start()
    # the page retries (1, 2, 4... s apart), subscribes, re-reads, and is live again
    browser.wait_for("document.getElementById('live').dataset.state === 'live'"
                     " && document.body.dataset.live === 'ready'", timeout=20)
    browser.wait_for("[...document.querySelectorAll('#comments li .body')]"
                     ".some((b) => b.textContent === 'Written while paused')")
    result = graphql(server.http, ADD_COMMENT,
                     {"input": {"bookingId": booking, "body": "Live again", "visibleToCustomer": True}},
                     stack.data["customer_token"])
    assert result["data"]["addBookingComment"]["errors"] == [], result
    browser.wait_for("[...document.querySelectorAll('#comments li .body')]"
                     ".some((b) => b.textContent === 'Live again')")
    assert browser.evaluate("window.__sameDocument") == "yes"

"""Every page carries a Content-Security-Policy; the pages' own inline script carries its nonce, so
only it runs. (The browser tests of the dashboard and portal run under this policy too.)"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests import factories
from tests.web.portal.support import link, portal_client

pytestmark = pytest.mark.django_db


def _policy(response) -> str:
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    return policy


def test_the_dashboard_and_portal_scripts_carry_the_requests_nonce():
    staff = factories.staff_user(is_staff=True)
    customer = factories.customer(with_login=True)
    booking = factories.booking(cust=customer)
    dashboard = Client()
    dashboard.force_login(staff)
    pages = [dashboard.get("/dashboard/"), portal_client(customer).get(f"/portal/bookings/{booking.pk}/")]
    nonces = []
    for page in pages:
        assert page.status_code == 200
        [nonce] = re.findall(r"'nonce-([^']+)'", _policy(page))
        scripts = [attributes for attributes in re.findall(r"<script([^>]*)>", page.content.decode())
                   if 'type="application/json"' not in attributes]  # data, never run
        assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts)
        nonces.append(nonce)
    assert len(set(nonces)) == len(nonces)  # a fresh nonce per response


@pytest.mark.parametrize("path", ["/portal/login/", "/dashboard/login/", "/admin/login/"])
def test_every_page_has_the_policy(path):
    page = Client().get(path)
    assert page.status_code == 200
    assert "'nonce-" in _policy(page)


def test_the_email_link_page_has_the_policy():
    booking = factories.booking()
    page = Client().get(link(booking))
    assert page.status_code == 200
    _policy(page)

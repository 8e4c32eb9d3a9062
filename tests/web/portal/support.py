"""Helpers for the portal and e-mail link tests."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from core.outreach import links
from web.portal import SESSION_KEY


def path_of(url: str) -> str:
    assert url.startswith(settings.FIELDOPS_PUBLIC_URL), url
    return url[len(settings.FIELDOPS_PUBLIC_URL):]


def link(booking, page: str = "") -> str:
    """The path of a signed link: '' (view), 'cancel' or 'request'."""
    token = links.booking_token(booking)
    return f"/b/{token}/{page}"


def portal_client(customer, **kwargs) -> Client:
    client = Client(**kwargs)
    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client

"""Helpers for outreach tests: company settings, a whole-database snapshot (domain, notices,
logs), and delivering the events queued so far."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection

from core.company.selectors import get_company

# The tables a refusal must leave alone, including every notice and log any front would write.
LABELS = ("accounts", "company", "crm", "catalog", "workforce", "bookings", "outreach", "sms", "chat", "reviews")


def set_company(**values):
    company = get_company()
    for key, value in values.items():
        setattr(company, key, value)
    company.save()
    return company


def db_state() -> dict[str, list[dict[str, Any]]]:
    get_company()
    state: dict[str, list[dict[str, Any]]] = {}
    tables = set(connection.introspection.table_names())
    for label in LABELS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            if model._meta.db_table in tables:
                state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def deliver() -> None:
    """Run the on-commit callbacks queued so far, as a commit would (tests never commit)."""
    conn = connection
    while conn.run_on_commit:
        pending, conn.run_on_commit = conn.run_on_commit, []
        for _sids, func, _robust in pending:
            func()


def view_links_to(booking, text: str) -> list[str]:
    """Booking-view links in ``text`` that open ``booking``. Tokens carry a signing timestamp, so a
    test compares what a link opens, not the exact string."""
    return _links_to(booking, text, r"/(?=[\s\"<]|$)")


def cancel_links_to(booking, text: str) -> list[str]:
    """Cancel links in ``text`` that open ``booking``."""
    return _links_to(booking, text, r"/cancel(?=[\s\"<]|$)")


def _links_to(booking, text: str, tail: str) -> list[str]:
    import re

    from core.outreach import links

    found = re.findall(r"https://fieldops\.example/b/([^/\s\"<]+)" + tail, text)
    return [token for token in found if links.read_booking_token(token) == booking]


def run_job_at(monkeypatch, moment, task=None) -> int:
    """A periodic job's task run with the clock at ``moment`` (by default the book-again job's,
    ``send_due_service_reminders``; the review requests' is ``send_due_review_requests``); what it
    queued delivered. Returns how many it queued."""
    from django.utils import timezone

    if task is None:
        from core.outreach.tasks import send_due_service_reminders as task

    monkeypatch.setattr(timezone, "now", lambda: moment)
    try:
        queued = task.call()
        deliver()
    finally:
        monkeypatch.undo()
    return queued

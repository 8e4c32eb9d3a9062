"""The admin's and the dashboard's sign-in forms are throttled like the login mutation: guessing slows
down per account and client, the owner on another client signs in at once."""

from __future__ import annotations

import pytest
from django.test import Client

from core.accounts import throttle
from tests import factories

PASSWORD = "pw-staff-123"  # tests.factories.staff_user's


@pytest.mark.parametrize("path", ["/admin/login/", "/dashboard/login/"])
def test_guessing_on_a_sign_in_page_slows_down_and_the_owner_still_signs_in(db, path):
    staff = factories.staff_user(is_staff=True)
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(throttle.FREE_ATTEMPTS):
        response = guesser.post(path, {"username": staff.email, "password": "guess"})
        assert response.status_code == 200 and b"Too many sign-in attempts" not in response.content
    response = guesser.post(path, {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the throttle's message, not signed in
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in guesser.session
    owner = Client(REMOTE_ADDR="198.51.100.50")
    response = owner.post(path, {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(staff.pk)

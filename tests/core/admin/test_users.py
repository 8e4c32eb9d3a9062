"""Staff accounts and API tokens in the Django admin: through core.accounts.services."""

from __future__ import annotations

import pytest

from core.accounts.models import ApiToken, Role, User
from core.accounts.services import token_create
from core.actors import Actor, Channel
from core.company.selectors import get_company
from tests import factories

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db

FORM = "user_form"


def test_an_admin_adds_a_staff_account_through_user_create(browser):
    response = submit(browser, "/admin/accounts/user/add/", FORM, email=" Dee@Example.com ", full_name="Dee",
                      role="staff", is_staff="on", password1="long enough pass 42", password2="long enough pass 42")
    assert response.status_code == 302
    made = User.objects.get(email="dee@example.com")
    assert (made.full_name, made.role, made.is_staff, made.is_superuser) == ("Dee", Role.STAFF, True, False)
    assert made.check_password("long enough pass 42")


def test_a_weak_password_or_a_fieldworker_role_is_refused_and_nothing_is_made(browser):
    get_company()
    before = whole_state()
    response = submit(browser, "/admin/accounts/user/add/", FORM, email="dee@example.com", role="staff",
                      password1="1234", password2="1234")
    assert list(errors_of(response)) == ["password2"]
    response = submit(browser, "/admin/accounts/user/add/", FORM, email="dee@example.com", role="fieldworker",
                      password1="long enough pass 42", password2="long enough pass 42")
    assert errors_of(response) == {"role": ["Fieldworker and customer accounts are made with the fieldworker or "
                                            "the customer, not here."]}
    assert whole_state() == before


def test_an_admin_cannot_take_away_their_own_access(browser, root):
    get_company()
    before = whole_state()
    response = submit(browser, f"/admin/accounts/user/{root.pk}/change/", FORM, is_active=None)
    assert errors_of(response) == {"__all__": ["You cannot take away your own access."]}
    assert whole_state() == before


def test_a_fieldworker_account_keeps_its_role(browser):
    fieldworker = factories.fieldworker()
    response = submit(browser, f"/admin/accounts/user/{fieldworker.user_id}/change/", FORM, role="staff")
    assert errors_of(response) == {"role": ["A fieldworker's or a customer's account keeps its role."]}
    response = submit(browser, f"/admin/accounts/user/{fieldworker.user_id}/change/", FORM, full_name="Wes W")
    assert response.status_code == 302
    assert User.objects.get(pk=fieldworker.user_id).full_name == "Wes W"


def test_a_password_is_set_through_user_set_password(browser, staff):
    url = f"/admin/accounts/user/{staff.pk}/password/"
    response = browser.post(url, {"password1": "1234", "password2": "1234", "usable_password": "true"})
    assert response.status_code == 200 and response.context["form"].errors["password2"]
    assert User.objects.get(pk=staff.pk).check_password("pw-staff-123")
    response = browser.post(url, {"password1": "another long one 7", "password2": "another long one 7",
                                  "usable_password": "true"})
    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).check_password("another long one 7")


def test_tokens_are_revoked_with_the_action_and_cannot_be_made_here(browser, staff):
    issued = token_create(actor=Actor.from_user(staff), channel=Channel.GRAPHQL, name="laptop")
    assert browser.get("/admin/accounts/apitoken/add/").status_code == 403
    response = browser.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None

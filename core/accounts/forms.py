"""The sign-in form of the admin and the staff dashboard: Django's, checked by the one password rule
(``core.accounts.services.password_check``), so both are throttled like the login mutation."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from core.errors import DomainError

from .services import password_check


def _client(request) -> str:  # type: ignore[no-untyped-def]
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "") or "unknown"


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):  # type: ignore[no-untyped-def]
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = password_check(email=email, password=password, client=_client(self.request))
            except DomainError as exc:
                if exc.code == "rate_limited":
                    raise forms.ValidationError(exc.message, code="rate_limited")
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin's form (staff only, its own wording) with the same check."""

from contextvars import ContextVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

from core.service_admin import (
    CHANNEL,
    ReadOnlyAdmin,
    ServiceAdmin,
    ServiceForm,
    actor_of,
    check_by_running,
    service_action,
)

from . import services
from .forms import ThrottledAdminAuthenticationForm
from .models import ApiToken, User

USER_FIELDS = {"email": "email", "full_name": "full_name", "role": "role", "is_active": "is_active",
               "is_staff": "is_staff", "is_superuser": "is_superuser", "groups": "group_ids",
               "user_permissions": "permission_ids"}
MANY = {"groups", "user_permissions"}

# the request of the password view now running (Django builds that form without it)
_acting: ContextVar[HttpRequest | None] = ContextVar("password_view_request", default=None)


class UserAddForm(ServiceForm, AdminUserCreationForm):
    service_error_fields = {"password": "password2"}

    def validate_password_for_user(self, user, **kwargs) -> None:
        """The service checks the password (once, not twice)."""


class UserEditForm(ServiceForm, UserChangeForm):
    pass


class PasswordForm(AdminPasswordChangeForm):
    """Sets the password through ``user_set_password``; checked by running it, as the other forms."""

    service_error_fields = {"password": "password2"}

    def validate_password_for_user(self, user, **kwargs) -> None:
        """The service checks the password."""

    def clean(self):
        cleaned = super().clean()
        if not self._errors:
            check_by_running(self, self._write)
        return cleaned

    def _write(self) -> User:
        password = self.cleaned_data.get("password1") if self.cleaned_data.get("set_usable_password") else None
        return services.user_set_password(actor=actor_of(_acting.get()), channel=CHANNEL, user_id=self.user.pk,
                                          password=password)

    def save(self, commit: bool = True) -> User:
        self.user.password = self._write().password  # the view keeps the session with the new hash
        return self.user


@admin.register(User)
class UserAdmin(ServiceAdmin, BaseUserAdmin):
    """Staff accounts. Fieldworker and customer accounts are made with the fieldworker or the customer."""

    form = UserEditForm
    add_form = UserAddForm
    change_password_form = PasswordForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": (
        "email", "full_name", "role", "is_staff", "usable_password", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]

    def user_change_password(self, request, id, form_url=""):
        token = _acting.set(request)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _acting.reset(token)

    def write(self, request, *, actor, pk, data, changed):
        if pk is None:
            password = data.get("password1") if data.get("set_usable_password") else None
            return services.user_create(actor=actor, channel=CHANNEL, email=data["email"],
                                        full_name=data["full_name"], role=data["role"], is_staff=data["is_staff"],
                                        password=password or None)
        changes = {}
        for key in changed:
            if key in USER_FIELDS:
                changes[USER_FIELDS[key]] = [row.pk for row in data[key]] if key in MANY else data[key]
        return services.user_update(actor=actor, channel=CHANNEL, user_id=pk, **changes)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued through the API (sign-in, createApiToken); here they are listed and revoked."""

    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__email", "name"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        service_action(request, queryset.filter(revoked_at__isnull=True),
                       lambda actor, pk: services.token_revoke(actor=actor, channel=CHANNEL, token_id=pk),
                       "token(s) revoked", admin_obj=self)


admin.site.login_form = ThrottledAdminAuthenticationForm  # sign-in throttled like the login mutation

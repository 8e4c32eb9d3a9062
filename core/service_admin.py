"""The Django admin is a front too (house rule 13): it writes through the services or not at all.

- ``ServiceAdmin``: a ModelAdmin whose add and change forms are carried out by the area's services
  (``write``), with ``Actor.from_user(request.user)`` and ``Channel.ADMIN``. The form checks by running
  ``write`` in a savepoint that is always rolled back, so every rule of the service (validation and
  guards alike) shows as a form error on its field and nothing is saved; ``save_model`` then runs it
  for real (decision 0040). Inlines of a ``ServiceAdmin`` are read-only; nothing is deleted here.
- ``ReadOnlyAdmin`` / ``ReadOnlyInline``: the admin shows, the services write; admin actions built
  with ``service_action`` call a service per selected row and report refusals as messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.http import HttpRequest, HttpResponseRedirect

from core.actors import Actor, Channel
from core.errors import DomainError
from core.phones import normalise_phone

CHANNEL = Channel.ADMIN


class _DryRun(Exception):
    """Raised inside the checking savepoint to roll it back."""


class _RefusedAtSave(Exception):
    """A service refused in ``save_model``: leaves the admin view's transaction, which rolls it back."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


def actor_of(request: HttpRequest) -> Actor:
    return Actor.from_user(request.user)


def form_field_for(form: forms.BaseForm, name: str | None) -> str | None:
    """The form field a service's error ``field`` names (``timeZone``, ``categoryId``, ``serviceIds``,
    ``ranges.0.start``), or None for an error of the whole form. A form may name its own
    (``service_error_fields = {"password": "password2"}``)."""
    if not name:
        return None
    own = getattr(form, "service_error_fields", {}).get(name)
    if own in form.fields:
        return own
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name.split(".")[0]).lower()
    for candidate in (snake, snake.removesuffix("_id"), snake.removesuffix("_ids") + "s"):
        if candidate in form.fields:
            return candidate
    return None


def add_service_error(form: forms.BaseForm, exc: DomainError) -> None:
    field = form_field_for(form, exc.field)
    form.add_error(field, forms.ValidationError(exc.message, code=exc.code))


def check_by_running(form: forms.BaseForm, write: Callable[[], Any]) -> None:
    """Run ``write`` in a savepoint that is always rolled back (events queued in it are dropped with
    it); a ``DomainError`` becomes a form error on the field it names."""
    try:
        with transaction.atomic():
            write()
            raise _DryRun
    except _DryRun:
        pass
    except DomainError as exc:
        add_service_error(form, exc)


class ServiceForm(forms.ModelForm):
    """The admin's form of a ``ServiceAdmin``; ``clean`` checks the change with the service itself."""

    service_admin: ServiceAdmin
    request: HttpRequest

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self._errors:  # fields that failed their own checks already say why
            pk = None if self.instance._state.adding else self.instance.pk
            check_by_running(self, lambda: self.service_admin.write(
                self.request, actor=actor_of(self.request), pk=pk, data=cleaned, changed=self.changed_data))
        return cleaned


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ServiceAdmin(admin.ModelAdmin):
    """Add and change through ``write``; subclasses implement it with their area's services."""

    form = ServiceForm

    def write(self, request: HttpRequest, *, actor: Actor, pk: Any, data: dict[str, Any],
              changed: list[str]) -> models.Model:
        """Carry out the form (``pk`` None: a new row) with ``channel=CHANNEL``; return the saved row.
        ``data`` is the form's cleaned data, ``changed`` the names of the fields the user changed."""
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        if not issubclass(base, ServiceForm):
            raise TypeError(f"{type(self).__name__}: the form must be a ServiceForm, not {base.__name__}")
        return type(base.__name__, (base,), {"service_admin": self, "request": request})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _RefusedAtSave as refused:  # the view's transaction has been rolled back: nothing is kept
            self.message_user(request, f"Nothing was saved: {refused.error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change) -> None:
        pk = obj.pk if change else None
        try:
            saved = self.write(request, actor=actor_of(request), pk=pk, data=form.cleaned_data,
                               changed=form.changed_data)
        except DomainError as exc:  # only when something changed between the form's check and now
            raise _RefusedAtSave(exc) from exc
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def save_related(self, request, form, formsets, change) -> None:
        """Many-to-many fields are written by ``write``; inlines are read-only: they save nothing."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PhoneSearch(admin.ModelAdmin):
    """Also finds a number searched as typed (0412 345 001) in the E.164 columns of ``phone_search_fields``."""

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            number = normalise_phone(search_term)
        except DomainError:
            number = ""
        if number and self.phone_search_fields:
            matches = models.Q()
            for name in self.phone_search_fields:
                matches |= models.Q(**{name: number})
            results = results | queryset.filter(matches)
        return results, may_have_duplicates


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown here, written by the services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def service_action(request: HttpRequest, queryset: models.QuerySet, call: Callable[[Actor, Any], Any],
                   done: str, *, admin_obj: admin.ModelAdmin) -> int:
    """Call ``call(actor, pk)`` for each selected row, each in its own transaction; refusals are reported
    per row and change nothing. Returns how many succeeded."""
    actor = actor_of(request)
    count = 0
    for pk in queryset.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                call(actor, pk)
        except DomainError as exc:
            admin_obj.message_user(request, f"{queryset.model._meta.verbose_name} {pk}: {exc.message}",
                                   level=messages.ERROR)
        else:
            count += 1
    if count:
        admin_obj.message_user(request, f"{count} {done}.")
    return count

"""A structural guard: every ModelAdmin of a domain model (the core.* apps) either cannot write, or is
one of ours whose writes go through a service (house rule 13). A new admin that saves rows with a bare
``save()`` fails here."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.test import RequestFactory

from core.service_admin import ServiceAdmin, ServiceForm

pytestmark = pytest.mark.django_db


def domain_admins():
    for model, model_admin in admin.site._registry.items():
        if apps.get_app_config(model._meta.app_label).name.startswith("core."):
            yield model, model_admin


def as_superuser(root):
    request = RequestFactory().get("/admin/")
    request.user = root
    return request


def overrides(model_admin, name: str) -> bool:
    return getattr(type(model_admin), name) is not getattr(admin.ModelAdmin, name)


def test_there_are_domain_admins_to_check():
    labels = {model._meta.label for model, _ in domain_admins()}
    assert {"crm.Customer", "workforce.Fieldworker", "company.Company", "catalog.Service",
            "accounts.User", "bookings.Booking"} <= labels


@pytest.mark.parametrize("label", sorted(model._meta.label for model, _ in domain_admins()))
def test_each_domain_admin_writes_through_a_service_or_not_at_all(label, root):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    request = as_superuser(root)
    adds = model_admin.has_add_permission(request)
    changes = model_admin.has_change_permission(request, None)
    if adds or changes:
        assert type(model_admin).__module__.startswith("core."), f"{label}: not one of ours"
        assert isinstance(model_admin, ServiceAdmin), f"{label}: writes without going through a service"
        assert overrides(model_admin, "save_model") and overrides(model_admin, "save_related")
        assert type(model_admin).write is not ServiceAdmin.write, f"{label}: ServiceAdmin without write()"
        assert not model_admin.list_editable, f"{label}: list_editable saves rows the form does not check"
        assert issubclass(model_admin.get_form(request, None), ServiceForm)
        for inline in model_admin.get_inline_instances(request, None):  # saved with the form: never
            assert not (inline.has_add_permission(request, None) or inline.has_change_permission(request, None)
                        or inline.has_delete_permission(request, None)), f"{label}: {type(inline).__name__} writes"
    if model_admin.has_delete_permission(request, None):
        assert overrides(model_admin, "delete_model") and overrides(model_admin, "delete_queryset"), (
            f"{label}: deletes rows without a service")
    if isinstance(model_admin, DjangoUserAdmin):  # the password view has a form of its own
        assert model_admin.change_password_form.__module__.startswith("core.")
        assert model_admin.change_password_form.save is not DjangoUserAdmin.change_password_form.save


def test_the_guard_notices_a_bare_admin(root):
    """The check itself: a plain ModelAdmin of a domain model would fail it."""
    from core.crm.models import Customer

    bare = admin.ModelAdmin(Customer, admin.site)
    request = as_superuser(root)
    assert bare.has_change_permission(request, None)
    assert not isinstance(bare, ServiceAdmin)
    assert not overrides(bare, "save_model")

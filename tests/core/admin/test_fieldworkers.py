"""Fieldworkers, service areas and change requests in the Django admin: through core.workforce.services."""

from __future__ import annotations

import pytest

from core.accounts.models import Role
from core.actors import Actor, Channel
from core.company.selectors import get_company
from core.workforce import services
from core.workforce.events import FieldworkerCreated, FieldworkerUpdated, ScheduleChanged
from core.workforce.models import ChangeRequest, Fieldworker, FieldworkerLog, ServiceArea, WorkingHours
from tests import factories

from .support import errors_of, inline_rows, submit, whole_state

pytestmark = pytest.mark.django_db

FORM = "fieldworker_form"


def change_url(fieldworker: Fieldworker) -> str:
    return f"/admin/workforce/fieldworker/{fieldworker.pk}/change/"


def test_adding_a_fieldworker_makes_their_sign_in_through_fieldworker_create(browser, root, seen):
    svc = factories.service()
    response = submit(browser, "/admin/workforce/fieldworker/add/", FORM, name="Fay Fixit", email="Fay@Example.com",
                      mobile="0412 000 111", services=[str(svc.pk)])
    assert response.status_code == 302
    made = Fieldworker.objects.get()
    assert (made.name, made.mobile, made.user.email, made.user.role) == (
        "Fay Fixit", "+61412000111", "fay@example.com", Role.FIELDWORKER)
    assert list(made.services.all()) == [svc]
    row = FieldworkerLog.objects.get(action="created")
    assert (row.action, row.channel, row.actor_user) == ("created", "admin", root)
    assert list(FieldworkerLog.objects.values_list("action", flat=True)) == ["created", "verification_sent"]
    assert [e.fieldworker_id for e in seen.of(FieldworkerCreated)] == [made.pk]


def test_an_e_mail_in_use_shows_on_the_email_field(browser, staff):
    get_company()
    before = whole_state()
    response = submit(browser, "/admin/workforce/fieldworker/add/", FORM, name="Dup", email=staff.email.upper())
    assert errors_of(response) == {"email": ["A user with that e-mail exists."]}
    assert whole_state() == before


def test_a_change_writes_the_log_and_publishes(browser, seen):
    fieldworker = factories.fieldworker(name="Wes")
    area = services.service_area_save(actor=Actor.system(), channel=Channel.SYSTEM, name="CBD", postcodes=["2000"])
    response = submit(browser, change_url(fieldworker), FORM, mobile="0412 111 222", status="blocked",
                      service_areas=[str(area.pk)], time_zone="Australia/Perth")
    assert response.status_code == 302
    fieldworker.refresh_from_db()
    assert (fieldworker.mobile, fieldworker.status, fieldworker.time_zone) == (
        "+61412111222", "blocked", "Australia/Perth")
    assert list(fieldworker.service_areas.all()) == [area]
    assert sorted(FieldworkerLog.objects.values_list("action", flat=True)) == ["service_areas", "status", "updated"]
    [updated] = seen.of(FieldworkerUpdated)
    assert updated.changed == ("mobile", "time_zone")
    assert sorted(e.what for e in seen.of(ScheduleChanged)) == ["service_areas", "status"]
    page = browser.get(change_url(fieldworker))
    assert inline_rows(page, FieldworkerLog, "action") == ["service_areas", "status", "updated"]


@pytest.mark.parametrize(("changes", "errors"), [
    ({"mobile": "123"}, {"mobile": ["That is not a valid phone number."]}),
    ({"time_zone": "Mars/Base"}, {"time_zone": ["Unknown time zone."]}),
    ({"service_radius_km": "10"}, {"service_radius_km": ["A radius needs a home base."]}),
])
def test_a_refused_fieldworker_change_shows_why_and_changes_nothing(browser, changes, errors):
    fieldworker = factories.fieldworker()
    get_company()
    before = whole_state()
    response = submit(browser, change_url(fieldworker), FORM, name="Not saved", **changes)
    assert errors_of(response) == errors
    assert whole_state() == before


def test_the_list_filters_by_status_and_finds_a_number_as_typed(browser):
    factories.fieldworker(name="Active Al", mobile="+61412000001")
    factories.fieldworker(name="Blocked Bea", mobile="+61412000002", status="blocked")
    page = browser.get("/admin/workforce/fieldworker/", {"status__exact": "blocked"})
    assert [fw.name for fw in page.context["cl"].result_list] == ["Blocked Bea"]
    page = browser.get("/admin/workforce/fieldworker/", {"q": "0412 000 001"})
    assert [fw.name for fw in page.context["cl"].result_list] == ["Active Al"]


def test_hours_show_read_only_on_the_fieldworker(browser):
    fieldworker = factories.fieldworker()
    services.working_hours_set(actor=Actor.system(), channel=Channel.SYSTEM, fieldworker_id=fieldworker.pk,
                               ranges=[{"weekday": 0, "start": "09:00", "end": "17:00"}])
    page = browser.get(change_url(fieldworker))
    assert len(inline_rows(page, WorkingHours, "weekday")) == 1


def test_a_service_area_is_saved_by_service_area_save(browser):
    response = submit(browser, "/admin/workforce/servicearea/add/", "servicearea_form", name="Inner West",
                      postcodes="2040, 2041\n2042 2040")
    assert response.status_code == 302
    area = ServiceArea.objects.get()
    assert (area.name, sorted(area.postcodes.values_list("postcode", flat=True))) == (
        "Inner West", ["2040", "2041", "2042"])
    response = submit(browser, "/admin/workforce/servicearea/add/", "servicearea_form", name="inner west",
                      postcodes="2000")
    assert errors_of(response) == {"name": ["An area with that name exists."]}


def test_a_change_request_is_approved_with_the_action_which_carries_it_out(browser, root):
    fieldworker = factories.fieldworker()
    change = services.working_hours_set(actor=Actor.for_fieldworker(fieldworker), channel=Channel.TELEGRAM,
                                        fieldworker_id=fieldworker.pk,
                                        ranges=[{"weekday": 1, "start": "08:00", "end": "12:00"}])
    request = change.change_request
    assert browser.get(f"/admin/workforce/changerequest/{request.pk}/change/").context["has_change_permission"] \
        is False
    response = browser.post("/admin/workforce/changerequest/", {"action": "approve",
                                                                 "_selected_action": [request.pk]})
    assert response.status_code == 302
    request = ChangeRequest.objects.get(pk=request.pk)
    assert (request.status, request.decided_by) == ("approved", root)
    assert list(WorkingHours.objects.filter(fieldworker=fieldworker).values_list("weekday", flat=True)) == [1]

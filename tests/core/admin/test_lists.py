"""The back-office lists read a fixed number of queries however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.actors import Actor, Channel
from core.workforce import services as workforce
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = ["/admin/crm/customer/", "/admin/workforce/fieldworker/", "/admin/bookings/booking/",
         "/admin/workforce/servicearea/", "/admin/crm/property/", "/admin/catalog/servicecategory/"]


def add_rows(count: int) -> None:
    for index in range(count):
        fieldworker = factories.fieldworker()
        factories.booking()
        workforce.service_area_save(actor=Actor.system(), channel=Channel.SYSTEM, name=f"Area {index} {fieldworker.pk}",
                                    postcodes=[str(2000 + index)])


def queries(browser, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", LISTS)
def test_a_list_reads_as_many_queries_for_two_rows_as_for_six(browser, url):
    add_rows(2)
    few = queries(browser, url)
    add_rows(4)
    assert queries(browser, url) == few

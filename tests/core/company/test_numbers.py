"""Document numbers: one sequence per trading name and kind, never reused, changeable to an unused one."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from core.actors import Channel
from core.company import numbers, services
from core.company.models import IssuedNumber, NumberStatus
from core.company.selectors import default_trading_name
from core.errors import DomainError
from tests import factories
from tests.core.support import assert_refused


@pytest.fixture
def brand(staff_actor):
    return services.trading_name_create(actor=staff_actor, channel=Channel.GRAPHQL, name="Sparkle",
                                        quote_prefix="Q-", invoice_prefix="INV-", number_start=1040)


def test_each_trading_name_and_kind_has_its_own_sequence_with_its_prefix(brand):
    other = default_trading_name()
    got = [numbers.allocate_number(brand, "quote").text, numbers.allocate_number(brand, "quote").text,
           numbers.allocate_number(brand, "invoice").text, numbers.allocate_number(other, "quote").text]
    assert got == ["Q-1040", "Q-1041", "INV-1040", "Q-1001"]


def test_a_retired_number_is_never_given_out_again(brand):
    first = numbers.allocate_number(brand, "quote")
    numbers.retire_number(first.pk)  # its quote was deleted
    assert numbers.allocate_number(brand, "quote").number == first.number + 1
    assert IssuedNumber.objects.get(pk=first.pk).status == NumberStatus.RETIRED


def test_a_number_changes_to_an_unused_one_and_the_sequence_steps_over_it(brand):
    first = numbers.allocate_number(brand, "quote")  # 1040
    moved = numbers.change_number(first.pk, 1042)
    assert moved.text == "Q-1042"
    assert [numbers.allocate_number(brand, "quote").number for _ in range(2)] == [1041, 1043]
    assert_refused(lambda: numbers.change_number(moved.pk, 1040), "number_used", field="number")  # its own old one
    assert_refused(lambda: numbers.change_number(moved.pk, 1043), "number_used", field="number")
    assert_refused(lambda: numbers.change_number(first.pk, 5000), "number_retired", field="number")
    assert_refused(lambda: numbers.change_number(moved.pk, 0), "out_of_range", field="number")
    assert_refused(lambda: numbers.change_number(moved.pk, "12a"), "invalid", field="number")
    assert numbers.change_number(moved.pk, 7).text == "Q-7"  # below the start, never used: allowed


def test_raising_the_start_moves_the_sequence_forward(brand, staff_actor):
    numbers.allocate_number(brand, "quote")
    services.trading_name_update(actor=staff_actor, channel=Channel.GRAPHQL, trading_name_id=brand.pk,
                                 number_start=5000)
    brand.refresh_from_db()
    assert numbers.allocate_number(brand, "quote").number == 5000


def test_a_number_is_printed_with_the_prefix_it_was_issued_with(brand, staff_actor):
    issued = numbers.allocate_number(brand, "quote")
    services.trading_name_update(actor=staff_actor, channel=Channel.GRAPHQL, trading_name_id=brand.pk,
                                 quote_prefix="QT")
    brand.refresh_from_db()
    assert IssuedNumber.objects.get(pk=issued.pk).text == "Q-1040"
    assert numbers.allocate_number(brand, "quote").text == "QT1041"


def test_a_rolled_back_creation_gives_its_number_back(brand):
    with pytest.raises(RuntimeError), transaction.atomic():
        numbers.allocate_number(brand, "quote")
        raise RuntimeError("the quote failed to save")
    assert numbers.allocate_number(brand, "quote").number == 1040


def test_unknown_kind(brand):
    assert_refused(lambda: numbers.allocate_number(brand, "receipt"), "invalid", field="kind")


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent row locks are tested on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creations_get_twenty_distinct_numbers():
    staff = factories.staff_actor()
    brand = services.trading_name_create(actor=staff, channel=Channel.GRAPHQL, name="Race Co", number_start=1)
    barrier = threading.Barrier(20)
    results: list[object] = [None] * 20

    def create(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():  # as a quote service would: its number in its own transaction
                results[i] = numbers.allocate_number(brand, "quote").text
        except Exception as exc:  # collected and asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results, key=lambda text: int(str(text)[2:])) == [f"Q-{n}" for n in range(1, 21)], results
    assert IssuedNumber.objects.filter(trading_name=brand).count() == 20


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent row locks are tested on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_change_and_allocations_racing_for_one_number_never_share_it():
    staff = factories.staff_actor()
    brand = services.trading_name_create(actor=staff, channel=Channel.GRAPHQL, name="Race Co", number_start=1)
    first = numbers.allocate_number(brand, "quote")  # Q-1; the race is for Q-2 .. Q-6
    barrier = threading.Barrier(6)
    results: list[object] = [None] * 6

    def run(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                results[i] = (numbers.change_number(first.pk, 3) if i == 0
                              else numbers.allocate_number(brand, "quote")).number
        except DomainError as exc:
            results[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    given = [n for n in results if isinstance(n, int)]
    assert len(given) == len(set(given)), results
    assert results[0] in (3, "number_used")
    rows = list(IssuedNumber.objects.filter(trading_name=brand).values_list("number", flat=True))
    assert len(rows) == len(set(rows))

"""Document numbers per trading name and kind (``Q-1042``), for quotes, invoices and whatever comes next.

* ``allocate_number(trading_name, kind)`` takes the next number of the (trading name, kind) sequence: a
  ``Counter`` row locked with ``select_for_update`` for the rest of the caller's transaction, so
  concurrent creations queue on that one row and each gets its own number (0006). Numbers that were
  already taken by a change (below) are stepped over.
* Every number given out is an ``IssuedNumber`` row for good. ``retire_number`` marks it retired when
  its document is deleted; ``change_number`` moves a document to another number nobody ever had and
  retires the old one. Neither ever frees a number: a retired or changed-away number is never issued
  again, and a unique constraint on (trading name, kind, number) backs that up.

These run inside the calling service's transaction and write no history of their own: the quote or
invoice service that calls them checks who may, and records the change on its document's history.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError, NotFound

from .models import Counter, DocumentKind, IssuedNumber, NumberStatus, TradingName

MAX_NUMBER = 999_999_999_999


def _counter_name(trading_name_id: int, kind: str) -> str:
    return f"number:{trading_name_id}:{kind}"


def _kind(kind: str) -> str:
    if kind not in DocumentKind.values:
        raise DomainError("invalid", f"Unknown document kind {kind!r}.", field="kind")
    return kind


def allocate_number(trading_name: TradingName, kind: str) -> IssuedNumber:
    """The next unused number of this trading name's ``kind`` sequence, with its prefix."""
    _kind(kind)
    if trading_name.pk is None:
        raise NotFound("trading name", field="tradingNameId")
    with transaction.atomic():
        counter = Counter.objects.select_for_update().filter(name=_counter_name(trading_name.pk, kind)).first()
        if counter is None:
            try:
                with transaction.atomic():
                    counter = Counter.objects.create(name=_counter_name(trading_name.pk, kind), value=0)
            except IntegrityError:  # another transaction created it first: wait for its lock
                pass
            counter = Counter.objects.select_for_update().get(name=_counter_name(trading_name.pk, kind))
        # the start is read now, under the counter's lock: raising it moves the sequence forward
        start = TradingName.objects.filter(pk=trading_name.pk).values_list("number_start", flat=True).first()
        if start is None:
            raise NotFound("trading name", field="tradingNameId")
        number = max(counter.value + 1, start)
        while True:  # step over numbers a change took ahead of the sequence, a window at a time
            window = number + 1000
            taken = set(IssuedNumber.objects.filter(trading_name_id=trading_name.pk, kind=kind, number__gte=number,
                                                    number__lt=window).values_list("number", flat=True))
            while number in taken:
                number += 1
            if number < window:
                break
        if number > MAX_NUMBER:
            raise DomainError("numbers_exhausted", "This sequence has no numbers left.")
        counter.value = number
        counter.save(update_fields=["value"])
        return IssuedNumber.objects.create(trading_name_id=trading_name.pk, kind=kind, number=number,
                                           text=f"{trading_name.prefix(kind)}{number}")


def retire_number(issued_id: int) -> IssuedNumber:
    """Its document is gone: the number stays taken, marked retired."""
    with transaction.atomic():
        issued = IssuedNumber.objects.select_for_update().filter(pk=issued_id).first()
        if issued is None:
            raise NotFound("number")
        if issued.status != NumberStatus.RETIRED:
            issued.status, issued.retired_at = NumberStatus.RETIRED, timezone.now()
            issued.save(update_fields=["status", "retired_at"])
    return issued


def change_number(issued_id: int, new_number: int, *, field: str = "number") -> IssuedNumber:
    """Move a document from its number to ``new_number`` of the same sequence, which must never have
    been issued. Returns the new ``IssuedNumber``; the old one is retired, never to be issued again."""
    try:
        new_number = int(new_number)
    except (TypeError, ValueError):
        raise DomainError("invalid", "Not a number.", field=field)
    if not 1 <= new_number <= MAX_NUMBER:
        raise DomainError("out_of_range", f"Between 1 and {MAX_NUMBER}.", field=field)
    with transaction.atomic():
        found = IssuedNumber.objects.filter(pk=issued_id).values("trading_name_id", "kind").first()
        if found is None:
            raise NotFound("number")
        # Locks in the order allocation takes them: the sequence's counter row, then the number's row
        # (and never the trading name's row, which every allocation's insert needs to share).
        Counter.objects.select_for_update().filter(name=_counter_name(found["trading_name_id"], found["kind"])).first()
        old = IssuedNumber.objects.select_for_update(of=("self",)).select_related("trading_name").get(pk=issued_id)
        if old.status == NumberStatus.RETIRED:
            raise DomainError("number_retired", "This number is retired; its document has another.", field=field)
        if old.number == new_number:
            return old
        if IssuedNumber.objects.filter(trading_name_id=old.trading_name_id, kind=old.kind, number=new_number).exists():
            raise DomainError("number_used", f"{new_number} has been used before and is never reused.", field=field)
        try:
            with transaction.atomic():
                new = IssuedNumber.objects.create(trading_name_id=old.trading_name_id, kind=old.kind, number=new_number,
                                                  text=f"{old.trading_name.prefix(old.kind)}{new_number}")
        except IntegrityError:  # taken in between by a change that did not wait on the counter row
            raise DomainError("number_used", f"{new_number} has been used before and is never reused.", field=field)
        old.status, old.retired_at = NumberStatus.RETIRED, timezone.now()
        old.save(update_fields=["status", "retired_at"])
    return new

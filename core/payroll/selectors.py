"""Scoped reads of payroll rows (decision 0103). Staff (and the system) see everything; a
fieldworker sees their own agreements, their own pay entries and their own statements of
finalised or paid runs (a draft may still be deleted); runs and the history are the office's;
customers see nothing (decision 0854)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from core.actors import Actor
from core.company.selectors import get_company

from .models import PayEntry, PaymentAgreement, PayrollEvent, PayrollRun, PayrollStatement, RunStatus


def _office(actor: Actor) -> bool:
    return actor.is_staff or actor.is_system


def _own_fieldworker(actor: Actor) -> int | None:
    return actor.fieldworker_id if actor.is_fieldworker else None


def visible_agreements(actor: Actor) -> QuerySet[PaymentAgreement]:
    qs = PaymentAgreement.objects.all()
    if _office(actor):
        return qs
    own = _own_fieldworker(actor)
    return qs.filter(fieldworker_id=own) if own is not None else qs.none()


def visible_entries(actor: Actor) -> QuerySet[PayEntry]:
    qs = PayEntry.objects.all()
    if _office(actor):
        return qs
    own = _own_fieldworker(actor)
    return qs.filter(fieldworker_id=own) if own is not None else qs.none()


def visible_runs(actor: Actor) -> QuerySet[PayrollRun]:
    return PayrollRun.objects.all() if _office(actor) else PayrollRun.objects.none()


def visible_statements(actor: Actor) -> QuerySet[PayrollStatement]:
    qs = PayrollStatement.objects.all()
    if _office(actor):
        return qs
    own = _own_fieldworker(actor)
    if own is None:
        return qs.none()
    return qs.filter(fieldworker_id=own, run__status__in=[RunStatus.FINALISED, RunStatus.PAID])


def visible_history(actor: Actor) -> QuerySet[PayrollEvent]:
    return PayrollEvent.objects.all() if _office(actor) else PayrollEvent.objects.none()


def today() -> date:
    return timezone.now().astimezone(get_company().tz).date()


def local_day(moment) -> date:
    return moment.astimezone(get_company().tz).date()

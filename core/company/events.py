"""Events of the company's configurable records: trading names, their terms, labels. A trading name
concerns no booking, so these are not ``DomainEvent`` subclasses (subscribe to ``CompanyEvent`` or
one type). ``event_id`` is the id of the ``CompanyLog`` row the change wrote."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class CompanyEvent(Event):
    event_id: int
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""


@dataclass(frozen=True, kw_only=True)
class TradingNameCreated(CompanyEvent):
    trading_name_id: int


@dataclass(frozen=True, kw_only=True)
class TradingNameUpdated(CompanyEvent):
    trading_name_id: int
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TermsPublished(CompanyEvent):
    trading_name_id: int
    terms_version_id: int
    version: int
    in_force_from: str


@dataclass(frozen=True, kw_only=True)
class LabelCreated(CompanyEvent):
    label_id: int


@dataclass(frozen=True, kw_only=True)
class LabelUpdated(CompanyEvent):
    label_id: int
    changed: tuple[str, ...] = ()

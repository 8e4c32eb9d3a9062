"""Catalogue events: a service, category, product, package, its volume tiers or a price zone was
created or changed. Not ``DomainEvent`` s (no booking); ``event_id`` is the ``CatalogLog`` row's id.
Nothing subscribes yet; a price list cache or a live catalogue view would."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class CatalogChanged(Event):
    event_id: int
    entity: str  # service, category, product, package, tiers, zone
    entity_id: int
    action: str  # created, updated, deleted, replaced
    channel: str
    actor_kind: str
    actor_user_id: int | None = None
    occurred_at: str = ""
    changed: tuple[str, ...] = ()

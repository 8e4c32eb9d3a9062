"""Shared helpers for mutations: inputs with 'not given' (UNSET) vs null, and the actor/channel pair."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from core.actors import Actor, Channel

from .context import actor_from_info

UNSET: Any = strawberry.UNSET


def given(**values: Any) -> dict[str, Any]:
    """Only the inputs the client sent (``UNSET`` dropped; an explicit null kept)."""
    return {key: value for key, value in values.items() if value is not UNSET}


def who(info: Info) -> dict[str, Any]:
    """``actor`` and ``channel`` keyword arguments for a service call."""
    actor: Actor = actor_from_info(info)
    return {"actor": actor, "channel": Channel.GRAPHQL}

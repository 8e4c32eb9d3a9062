"""Kinds of change request and what approving one does.

A kind is registered with a function ``apply(request, actor, channel) -> dict`` that carries the
change out (through the owning area's services) when staff approve it; the dict is kept on the
request as its result. The workforce registers its own kinds in ``services``; other areas
(e.g. a fieldworker asking to cancel or decline a job over chat) register theirs from their
own module at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.actors import Actor, Channel

Applier = Callable[..., dict[str, Any]]
_kinds: dict[str, Applier] = {}


def register(kind: str, apply: Applier) -> None:
    _kinds[kind] = apply


def applier(kind: str) -> Applier | None:
    return _kinds.get(kind)


def kinds() -> list[str]:
    return sorted(_kinds)


def apply(request, *, actor: Actor, channel: Channel) -> dict[str, Any]:
    fn = _kinds[request.kind]
    return fn(request, actor=actor, channel=channel) or {}

"""realtime.hub: one layer membership per process, however many subscriptions."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from realtime.hub import hub, local_listeners


def layer_members(group: str) -> int | None:
    layer = get_channel_layer()
    if type(layer).__name__ == "RedisPubSubChannelLayer":
        local = layer._get_layer()
        return len(local.groups.get(local._get_group_channel_name(group), ()))
    if isinstance(getattr(layer, "groups", None), dict):
        return len(layer.groups.get(group, {}))
    return None  # the plain Redis layer keeps membership in Redis only


async def test_many_listeners_one_membership_and_every_listener_gets_each_message():
    group = "booking.424242"
    async with hub().listen(group) as first, hub().listen(group, "bookings") as second:
        assert local_listeners(group) == 2 and local_listeners("bookings") == 1
        if layer_members(group) is not None:
            assert layer_members(group) == 1
        await get_channel_layer().group_send(group, {"type": "realtime.event", "group": group, "n": 1})
        got = await asyncio.wait_for(asyncio.gather(anext(first), anext(second)), timeout=3)
        assert [m["n"] for m in got] == [1, 1]
        assert got[0] is got[1]  # one shared message, not a copy per listener
    assert local_listeners(group) == 0 and local_listeners("bookings") == 0
    if layer_members(group) is not None:
        assert layer_members(group) == 0


@pytest.mark.parametrize("other", ["booking.1", "bookings"])
async def test_each_listener_gets_only_its_groups(other):
    async with hub().listen("booking.77") as mine, hub().listen(other) as theirs:
        await get_channel_layer().group_send(other, {"type": "realtime.event", "group": other})
        await get_channel_layer().group_send("booking.77", {"type": "realtime.event", "group": "booking.77"})
        assert (await asyncio.wait_for(anext(theirs), timeout=3))["group"] == other
        assert (await asyncio.wait_for(anext(mine), timeout=3))["group"] == "booking.77"  # not `other` first

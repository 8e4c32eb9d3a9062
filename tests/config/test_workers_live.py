"""From the outside, on PostgreSQL and Redis: two web processes and two ``manage.py worker``
processes on a database of their own (tests/config/live_pg.py). A change made through one web
process reaches a subscriber of the other exactly once; 200 due reminders are sent exactly once
each by the two workers, even when one of them is SIGKILLed in the middle of the batch; a web
process killed and started again serves again.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.realtime.live import ROOT, _healthy, graphql
from tests.realtime.support import EVENTS

from .live_pg import pg_stack, wait_until
from .smtp_sink import Sink

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql" or not settings.REDIS_URL,
                                reason="live workers are tested on PostgreSQL + Redis (.ci/run's second pass)")

FAST_RECOVERY = {"FIELDOPS_WORKER_HEARTBEAT": "0.5", "FIELDOPS_WORKER_LOST": "3", "FIELDOPS_WORKER_INTERVAL": "0.05"}


def gid(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def manage(stack, code: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT, env=stack.env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


async def subscribers(stack, group: str) -> int:
    from redis import asyncio as aioredis

    client = aioredis.from_url(settings.REDIS_URL)
    try:
        [(_, count)] = await client.pubsub_numsub(f"{stack.env['FIELDOPS_CHANNEL_PREFIX']}__group__{group}")
        return int(count)
    finally:
        await client.aclose()


async def test_a_change_through_one_web_process_reaches_the_other_once_and_a_killed_one_serves_again():
    from websockets.asyncio.client import connect

    with pg_stack(extra_env=FAST_RECOVERY) as stack:
        await asyncio.to_thread(stack.start_servers, 2)
        workers = [stack.start_worker(), stack.start_worker()]
        await asyncio.to_thread(stack.wait_for_heartbeats, [w.worker_id for w in workers])
        first, second = stack.servers
        booking = stack.data["later_booking_id"]
        ws = await connect(second.ws, subprotocols=["graphql-transport-ws"])
        try:
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"authorization": f"Bearer {stack.data['staff_token']}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": EVENTS, "variables": {"filter": {"status": ["CONFIRMED"]}}}}))
            for _ in range(300):
                if await subscribers(stack, "bookings") >= 1:
                    break
                await asyncio.sleep(0.02)
            result = await asyncio.to_thread(
                graphql, first.http, "mutation($id: ID!) { confirmBooking(id: $id) { errors { code } } }",
                {"id": gid("Booking", booking)}, stack.data["staff_token"])
            assert result["data"]["confirmBooking"]["errors"] == [], result
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))["payload"]["data"]["bookingEvents"]
            assert (event["bookingId"], event["newStatus"]) == (gid("Booking", booking), "CONFIRMED")
            with pytest.raises(TimeoutError):  # exactly once: nothing else arrives
                await asyncio.wait_for(ws.recv(), timeout=2)
        finally:
            await ws.close()

        # the second web process dies; a new one on the same database and Redis serves at once
        second.process.kill()
        second.process.wait(10)
        [again] = await asyncio.to_thread(stack.start_servers, 1)
        assert await asyncio.to_thread(_healthy, again)
        ready = await asyncio.to_thread(graphql, again.http, "{ me { user { email } } }", None,
                                        stack.data["staff_token"])
        assert ready["data"]["me"]["user"]["email"] == stack.data["staff_email"], ready


SEED_REMINDERS = """
from datetime import timedelta
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from core.outreach.models import EmailMessage, EmailReminder
from tests import factories

EmailReminder.objects.filter(status="pending").update(status="withdrawn")  # the stack's seed: not these
start = timezone.now() + timedelta(days=5)
for n in range(200):
    booking = factories.booking(start=start + timedelta(hours=n % 48, minutes=n))
DBTaskResult.objects.all().delete()  # the bookings' own confirmations are no part of this test
EmailMessage.objects.filter(status="queued").update(status="skipped", skip_reason="seed")
print(EmailReminder.objects.filter(status="pending").update(due_at=timezone.now() - timedelta(minutes=1)))
"""

ENQUEUE_REMINDERS = """
from core.outreach.tasks import send_due_reminders
send_due_reminders.enqueue()
"""


def test_200_due_reminders_are_sent_once_each_even_when_a_worker_dies_mid_batch():
    held_after = 60
    sink = Sink(delay=0.02)
    sink.hold = lambda subject: "reminder" in subject and sum(sink.counts("reminder").values()) >= held_after
    sink.start()
    try:
        with pg_stack(extra_env={**FAST_RECOVERY, **sink.env()}) as stack:
            assert manage(stack, SEED_REMINDERS).strip() == "200"
            workers = [stack.start_worker(), stack.start_worker()]
            stack.wait_for_heartbeats([w.worker_id for w in workers])
            manage(stack, ENQUEUE_REMINDERS)

            # one reminder is held mid-send: kill the worker that is sending it
            assert sink.held.wait(120), stack.logs()
            number = re.search(r"#(\S+)", sink.held_subject).group(1)
            [(victim_id,)] = stack.sql(
                "SELECT t.worker_ids->>-1 FROM outreach_emailmessage e"
                " JOIN bookings_booking b ON b.id = e.booking_id"
                " JOIN django_tasks_database_dbtaskresult t ON t.id::text = e.claim"
                " WHERE b.number = %s AND e.kind = 'reminder' AND e.status = 'sending'", (number,))
            [victim] = [w for w in workers if w.worker_id == victim_id]
            [survivor] = [w for w in workers if w is not victim]
            victim.kill()
            sink.release()

            def all_sent():
                return stack.sql("SELECT count(*) FROM outreach_emailmessage WHERE kind = 'reminder'"
                                 " AND status = 'sent'")[0][0] == 200

            wait_until(all_sent, timeout=90, what="200 reminders sent", stack=stack)
            reminders = sink.counts("reminder")
            subjects = [subject for _, subject in sink.delivered if "reminder" in subject]
            assert len(reminders) == 200 and len(set(subjects)) == 200, "a reminder was lost or sent twice"
            assert len(subjects) == 200
            assert len(sink.dropped) == 1  # the one its killed worker never finished
            # both workers sent some; the survivor finished the victim's task
            senders = dict(stack.sql(
                "SELECT t.worker_ids->>-1, count(*) FROM outreach_emailmessage e"
                " JOIN django_tasks_database_dbtaskresult t ON t.id::text = e.claim"
                " WHERE e.kind = 'reminder' GROUP BY 1"))
            assert set(senders) == {victim.worker_id, survivor.worker_id} and sum(senders.values()) == 200
            assert stack.sql("SELECT count(*) FROM django_tasks_database_dbtaskresult"
                             " WHERE status <> 'SUCCESSFUL'")[0][0] == 0
            assert survivor.process.poll() is None
    finally:
        sink.stop()

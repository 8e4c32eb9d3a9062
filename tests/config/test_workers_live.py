"""From the outside, on PostgreSQL and Redis: two web processes and two ``manage.py worker``
processes on a database of their own (tests/config/live_pg.py). A change made through one web
process reaches a subscriber of the other exactly once; 200 due reminders are sent exactly once
each by the two workers, even when one of them is SIGKILLed in the middle of the batch; a web
process killed and started again serves again.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time

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


SEED_PEOPLE = """
import json
from bench.sms_webhook import seed
from core.catalog.models import ServiceCategory
ServiceCategory.objects.filter(name="Cleaning").update(name="Cleaning (stack seed)")  # the bench's own name
print("PEOPLE " + json.dumps(seed(200)))
"""


def test_sigkill_of_every_process_during_a_burst_of_sms_loses_no_cancellation_email():
    import random
    import urllib.request

    from bench.sms_webhook import OUR_NUMBER, TOKEN, signed_requests

    public_url = "https://fieldops.live.example"
    sink = Sink(delay=0.01)
    sink.hold = lambda subject: "cancelled" in subject.lower()
    sink.start()
    env = {**FAST_RECOVERY, **sink.env(), "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": OUR_NUMBER,
           "FIELDOPS_PUBLIC_URL": public_url, "SMS_BACKEND": "core.sms.backends.LocmemSmsBackend"}
    try:
        with pg_stack(extra_env=env) as stack:
            seeding = dict(stack.env, FIELDOPS_TASK_BACKEND="immediate", EMAIL_BACKEND=
                           "django.core.mail.backends.locmem.EmailBackend")
            done = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", SEED_PEOPLE], cwd=ROOT,
                                  env=seeding, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr[-3000:]
            people = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("PEOPLE "))[7:])
            # 60 CANCEL <n>, the rest YES or free text, in a shuffled order
            # (signed_requests picks CANCEL, YES, text by position: each person three times, one of each)
            triples = signed_requests(public_url, [person for person in people for _ in range(3)])
            cancels = [triples[3 * i] for i in range(60)]
            others = [triples[3 * i + 1 + i % 2] for i in range(60, 200)]
            assert {job[2] for job in cancels} == {"cancel"} and "cancel" not in {job[2] for job in others}
            jobs = cancels + others
            random.Random(16).shuffle(jobs)
            stack.start_servers(2)
            worker = stack.start_worker()
            stack.wait_for_heartbeats([worker.worker_id])

            def post(server, job) -> int:
                body, signature, _ = job
                request = urllib.request.Request(f"{server.http}/webhooks/twilio/sms/", data=body, headers={
                    "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return response.status
                except OSError:
                    return 0

            answered = []
            for index, job in enumerate(jobs):
                if sink.held.is_set():
                    break  # a cancellation e-mail is mid-send: every process dies now
                answered.append((job, post(stack.servers[index % 2], job)))
            assert sink.held.wait(60), stack.logs()
            for process in [s.process for s in stack.servers] + [worker.process]:
                os.killpg(process.pid, signal.SIGKILL)
            for process in [s.process for s in stack.servers] + [worker.process]:
                process.wait(10)
            sink.release()
            stack.servers.clear()
            stack.workers.clear()

            # restarted: the held e-mail's task is orphaned; staff may send it again (not "not_failed")
            [web] = stack.start_servers(1)
            time.sleep(float(FAST_RECOVERY["FIELDOPS_WORKER_LOST"]) + 1)
            [(lost_id,)] = stack.sql("SELECT id FROM outreach_emailmessage WHERE kind = 'cancellation'"
                                     " AND status = 'sending'")
            staff = stack.data["staff_token"]
            retry = graphql(web.http, "mutation($id: ID!) { retryEmail(id: $id) { errors { code } } }",
                            {"id": gid("EmailMessage", lost_id)}, staff)
            assert retry["data"]["retryEmail"]["errors"] == [], retry
            stack.start_servers(1)
            stack.start_worker()
            # what was not answered before the kill, Twilio sends again (the same MessageSid)
            rest = [job for job, status in answered if status != 200] + jobs[len(answered):]
            for index, job in enumerate(rest):
                assert post(stack.servers[index % 2], job) == 200

            cancelled = {row[0] for row in stack.sql("SELECT number FROM bookings_booking WHERE status = 'cancelled'")}
            assert len(cancelled) == 60

            def all_sent():
                return stack.sql("SELECT count(*) FROM outreach_emailmessage WHERE kind = 'cancellation'"
                                 " AND status = 'sent'")[0][0] == 60

            wait_until(all_sent, timeout=120, what="60 cancellation e-mails", stack=stack)
            subjects = [subject for _, subject in sink.delivered if "cancelled" in subject.lower()]
            assert len(subjects) == 60 and len(set(subjects)) == 60, "a cancellation e-mail was lost or sent twice"
            assert {re.search(r"#(\S+)", s).group(1) for s in subjects} == {str(n) for n in cancelled}
    finally:
        sink.stop()

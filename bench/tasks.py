"""Benchmark: the task engine (django-tasks-db rows, ``manage.py worker`` processes) on PostgreSQL.

    .venv/bin/python bench/tasks.py [--rate 50] [--seconds 6] [--io-tasks 400] [--rounds 3]

For 1 and 2 worker processes:

- enqueue-to-start: tasks enqueued at ``--rate`` per second (each in its own committed transaction,
  as a request would), p50 and p95 of ``started_at - enqueued_at`` (both stamped by this machine's
  clock: the enqueuer's insert and the worker's claim);
- throughput of I/O-bound tasks: ``--io-tasks`` tasks that each send one e-mail to an SMTP server
  on 127.0.0.1 answering after 20 ms, all committed before the workers start; tasks per second
  from the first start to the last finish.

Floor, measured in the same run on the same database: one INSERT + SELECT ... FOR UPDATE SKIP
LOCKED + UPDATE round trip (what a claim costs at the least), median ms. Medians over ``--rounds``.
Targets: p95 enqueue-to-start < 250 ms at 50 tasks/s; I/O throughput x1.6 or more from 1 to 2 workers.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, percentile, print_table

DB = "fieldops_bench_tasks"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"


def environment(smtp_port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL",)}
    env.update({"DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0",
                "SECRET_KEY": "bench-tasks-" + uuid.uuid4().hex, "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "ERROR",
                "FIELDOPS_TASK_BACKEND": "database", "FIELDOPS_SCHEDULER": "0", "PYTHONPATH": str(ROOT),
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(smtp_port), "EMAIL_USE_TLS": "0"})
    return env


def prepare(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "manage.py", "worker", "--no-schedules", "-v", "0"], cwd=ROOT, env=env,
                             start_new_session=True) for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(30)


def wait_for_workers(count: int) -> None:
    from config.models import WorkerHeartbeat

    deadline = time.monotonic() + 120
    while WorkerHeartbeat.objects.filter(stopped_at__isnull=True).count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start")
        time.sleep(0.1)


def reset() -> None:
    from django_tasks_db.models import DBTaskResult

    from config.models import WorkerHeartbeat

    DBTaskResult.objects.all().delete()
    WorkerHeartbeat.objects.all().delete()


def wait_done(count: int, timeout: float = 300) -> None:
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.finished().count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the tasks did not finish")
        time.sleep(0.05)


def latency_round(env: dict[str, str], workers: int, rate: float, seconds: float) -> tuple[float, float, float]:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from bench.task_jobs import noop

    reset()
    procs = start_workers(env, workers)
    try:
        wait_for_workers(workers)
        total = int(rate * seconds)
        t0 = time.perf_counter()
        for n in range(total):
            with transaction.atomic():
                noop.enqueue(n)
            pause = t0 + (n + 1) / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        wait_done(total)
        delays = [(started - enqueued).total_seconds() * 1000 for enqueued, started in
                  DBTaskResult.objects.values_list("enqueued_at", "started_at")]
        return percentile(delays, 50), percentile(delays, 95), total / (time.perf_counter() - t0)
    finally:
        stop_workers(procs)


def io_round(env: dict[str, str], workers: int, tasks: int) -> float:
    from django.db import transaction
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    from bench.task_jobs import send_one

    reset()
    with transaction.atomic():
        for n in range(tasks):
            send_one.enqueue(n)
    procs = start_workers(env, workers)
    try:
        wait_done(tasks)
    finally:
        stop_workers(procs)
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    assert DBTaskResult.objects.successful().count() == tasks, "some tasks failed"
    return tasks / (span["last"] - span["first"]).total_seconds()


def floor_ms(rounds: int = 300) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, status text, payload text)")
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_floor (status, payload) VALUES ('ready', 'x')")
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM bench_floor WHERE status = 'ready' ORDER BY id LIMIT 1"
                           " FOR UPDATE SKIP LOCKED")
            row = cursor.fetchone()
            cursor.execute("UPDATE bench_floor SET status = 'running' WHERE id = %s", [row[0]])
            cursor.execute("COMMIT")
        samples.append((time.perf_counter() - t0) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--io-tasks", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from tests.config.smtp_sink import Sink

    sink = Sink(delay=0.02).start()
    env = environment(sink.port)
    os.environ.update(env)
    prepare(env)
    import django

    django.setup()
    rows = []
    try:
        floors, lat, io = [], {1: [], 2: []}, {1: [], 2: []}
        for _ in range(args.rounds):
            floors.append(floor_ms())
            for workers in (1, 2):  # interleaved, so a busy stretch of the machine hits both
                lat[workers].append(latency_round(env, workers, args.rate, args.seconds))
                io[workers].append(io_round(env, workers, args.io_tasks))
        floor = statistics.median(floors)
        for workers in (1, 2):
            p50 = statistics.median(r[0] for r in lat[workers])
            p95 = statistics.median(r[1] for r in lat[workers])
            rate = statistics.median(r[2] for r in lat[workers])
            tput = statistics.median(io[workers])
            rows.append((workers, f"{rate:.1f}", p50, p95, p50 / floor, tput,
                         tput / statistics.median(io[1])))
        print(f"floor (INSERT + SELECT FOR UPDATE SKIP LOCKED + UPDATE): {floor:.2f} ms (median of {args.rounds})")
        print_table(["workers", "enqueued/s", "start p50 ms", "start p95 ms", "p50 / floor", "I/O tasks/s",
                     "I/O vs 1 worker"], rows)
        p95_2 = rows[1][3]
        ratio = rows[1][6]
        print(f"targets: p95 enqueue-to-start < 250 ms at {args.rate:.0f}/s: "
              f"{'met' if max(rows[0][3], p95_2) < 250 else 'NOT met'}; "
              f"I/O throughput x{ratio:.2f} from 1 to 2 workers (>= 1.6): {'met' if ratio >= 1.6 else 'NOT met'}")
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    finally:
        sink.stop()


if __name__ == "__main__":
    main()

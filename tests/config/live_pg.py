"""Real web and worker processes on a PostgreSQL database of their own (decision 0205's live stacks,
for PostgreSQL): a template database migrated and seeded once per pytest process (``python -m
tests.realtime.live prepare``), copied with ``CREATE DATABASE ... TEMPLATE`` for each stack, dropped
afterwards. Web processes are ``manage.py serve --worker off``; workers are ``manage.py worker``,
each with a known worker id so a test can tell which one runs what, and kill it.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

from tests.realtime.live import MARKER, ROOT, Server, _healthy, free_port, stack_env

_template: dict[str, Any] = {}


def _admin() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                           password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def base_env(directory: Path, database: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = stack_env(directory, redis_url=settings.REDIS_URL or None, debug=False, extra={
        "DATABASE_URL": _url(database), "FIELDOPS_TASK_BACKEND": "database", "FIELDOPS_SERVE_WORKER": "off",
        "SECRET_KEY": "live-pg-" + uuid.uuid4().hex, "FIELDOPS_CACHE_PREFIX": "livepg" + uuid.uuid4().hex[:8],
        **(extra or {})})
    return env


def template() -> tuple[str, dict[str, Any]]:
    if "name" not in _template:
        name = f"{settings.DATABASES['default']['NAME']}_livetpl_{uuid.uuid4().hex[:6]}"[:60]
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop, name)
        directory = Path(tempfile.mkdtemp(prefix="fieldops-livepg-"))
        done = subprocess.run([sys.executable, "-m", "tests.realtime.live", "prepare"], cwd=ROOT,
                              env=base_env(directory, name), capture_output=True, timeout=600)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        [line] = [row for row in done.stdout.decode().splitlines() if row.startswith(MARKER)]
        _template["name"], _template["data"] = name, json.loads(line[len(MARKER):])
        # the seed's own background work (confirmations) is no part of any test
        with psycopg.connect(_url(name), autocommit=True) as conn:
            conn.execute("DELETE FROM django_tasks_database_dbtaskresult")
            conn.execute("UPDATE outreach_emailmessage SET status = 'skipped', skip_reason = 'seed'"
                         " WHERE status = 'queued'")
    return _template["name"], _template["data"]


@dataclass
class Worker:
    worker_id: str
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class PgStack:
    directory: Path
    database: str
    env: dict[str, str]
    data: dict[str, Any]
    servers: list[Server] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(_url(self.database), autocommit=True)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()

    def start_servers(self, count: int) -> list[Server]:
        started = []
        for _ in range(count):
            port = free_port()
            log = self.directory / f"server-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), "--worker", "off"],
                                           cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            started.append(Server(port, process, log))
        deadline = time.monotonic() + 120
        for server in started:
            while not _healthy(server):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"The server did not start:\n{server.log.read_text()[-3000:]}")
                time.sleep(0.1)
        self.servers.extend(started)
        return started

    def start_worker(self, *, schedules: bool = False) -> Worker:
        worker_id = f"live-{uuid.uuid4().hex[:10]}"
        log = self.directory / f"{worker_id}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--worker-id", worker_id, "-v", "0",
                 "--schedules" if schedules else "--no-schedules"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        worker = Worker(worker_id, process, log)
        self.workers.append(worker)
        return worker

    def wait_for_heartbeats(self, ids: list[str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = {row[0] for row in self.sql("SELECT worker_id FROM fieldops_config_workerheartbeat"
                                                " WHERE stopped_at IS NULL")}
            if set(ids) <= seen:
                return
            time.sleep(0.2)
        raise AssertionError(f"workers did not start:\n{self.logs()}")

    def logs(self) -> str:
        parts = [f"--- {s.log.name}\n{s.log.read_text()[-2000:]}" for s in self.servers]
        parts += [f"--- {w.log.name}\n{w.log.read_text()[-2000:]}" for w in self.workers]
        return "\n".join(parts)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        for worker in self.workers:
            worker.stop()


@contextmanager
def pg_stack(*, extra_env: dict[str, str] | None = None):
    name, data = template()
    database = f"{name}_s{uuid.uuid4().hex[:6]}"[:63]
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{name}"')
    directory = Path(tempfile.mkdtemp(prefix="fieldops-livepg-"))
    stack = PgStack(directory, database, base_env(directory, database, extra_env), dict(data))
    try:
        yield stack
    finally:
        stack.stop()
        _drop(database)


def wait_until(check, *, timeout: float = 60, what: str = "", stack: PgStack | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{stack.logs() if stack else ''}")

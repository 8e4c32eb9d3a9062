"""A database migrated while the SMS app was labelled ``notifications`` is carried over to ``sms`` by
``manage.py migrate`` with its rows kept (decision 0043): real ``manage.py`` processes on a database
file (and, on PostgreSQL runs, a database) of their own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ADD_OPT_OUT = "from core.sms.models import SmsOptOut; SmsOptOut.objects.create(number='+61412345001', keyword='STOP')"
READ_OPT_OUT = "from core.sms.models import SmsOptOut; print(list(SmsOptOut.objects.values_list('number', 'keyword')))"
SMS_TABLES = ("sms_smsmessage", "sms_smsoptout", "sms_smsprompt", "sms_commentdelivery")


def _env(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1",
                "PYTHONPATH": str(ROOT), "FIELDOPS_TASK_BACKEND": "database"})
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def _back_to_the_old_label(execute: Callable[[str], None], tables: list[str]) -> None:
    """What a database migrated before the label changed looks like."""
    for table in tables:
        if table.startswith("sms_"):
            execute(f'ALTER TABLE "{table}" RENAME TO "notifications_{table[4:]}"')
    execute("UPDATE django_migrations SET app = 'notifications' WHERE app = 'sms'")
    execute("UPDATE django_content_type SET app_label = 'notifications' WHERE app_label = 'sms'")


def _carry_over(env: dict[str, str], tables: Callable[[], list[str]], execute: Callable[[str], None]) -> None:
    assert _manage(env, "migrate", "--no-input").returncode == 0
    assert _manage(env, "shell", "-c", ADD_OPT_OUT).returncode == 0
    _back_to_the_old_label(execute, tables())
    assert "notifications_smsoptout" in tables() and "sms_smsoptout" not in tables()
    # Django's own migrate would now try to create the SMS tables again; ours relabels first
    done = _manage(env, "migrate", "--no-input")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Relabelled table notifications_smsoptout -> sms_smsoptout" in done.stdout
    assert set(SMS_TABLES) <= set(tables()) and not [t for t in tables() if t.startswith("notifications_")]
    assert _manage(env, "migrate", "--check").returncode == 0
    read = _manage(env, "shell", "-c", READ_OPT_OUT)
    assert read.stdout.strip().splitlines()[-1] == "[('+61412345001', 'STOP')]", read.stderr[-2000:]
    # a second run finds nothing to carry over
    again = _manage(env, "migrate", "--no-input")
    assert again.returncode == 0 and "Relabelled" not in again.stdout


def test_an_sqlite_database_made_under_the_old_label_is_carried_over(tmp_path):
    path = tmp_path / "db.sqlite3"

    def tables() -> list[str]:
        with sqlite3.connect(path) as conn:
            return [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def execute(sql: str) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(sql)

    _carry_over(_env(f"sqlite:///{path}"), tables, execute)
    assert path.exists()


@pytest.mark.skipif(not settings.IS_POSTGRES,
                    reason="the PostgreSQL run checks the same on PostgreSQL")
def test_a_postgresql_database_made_under_the_old_label_is_carried_over():
    from tests.config.live_pg import _admin, _drop, _url

    name = f"fieldops_relabel_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        import psycopg

        def tables() -> list[str]:
            with psycopg.connect(_url(name)) as conn:
                return [row[0] for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]

        def execute(sql: str) -> None:
            with psycopg.connect(_url(name), autocommit=True) as conn:
                conn.execute(sql)

        _carry_over(_env(_url(name)), tables, execute)
        assert name.startswith("fieldops_relabel_")
    finally:
        _drop(name)

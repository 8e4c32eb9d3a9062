"""``manage.py serve``: the options it gives uvicorn (the live-process tests run the server itself)."""

from __future__ import annotations

import pytest
import uvicorn
from django.core.management import call_command


@pytest.fixture
def started(monkeypatch):
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_serves_the_asgi_application_without_lifespan_and_stops_gracefully(started, settings):
    call_command("serve", "--port", "8123", "--host", "0.0.0.0")
    [(args, kwargs)] = started
    assert args == ("config.asgi:application",)
    assert kwargs["host"] == "0.0.0.0" and kwargs["port"] == 8123
    assert kwargs["lifespan"] == "off"  # the router has no lifespan handler
    assert kwargs["server_header"] is False
    assert kwargs["timeout_graceful_shutdown"] == 30
    assert kwargs["log_config"] is None  # uvicorn's lines go through LOGGING (JSON, request ids)


@pytest.mark.parametrize(("debug", "flags", "logged"), [
    (True, [], True),  # make serve: a line per request
    (False, [], False),  # production: the reverse proxy logs
    (False, ["--access-log"], True),
    (True, ["--no-access-log"], False),
])
def test_the_access_log_follows_debug_unless_asked(started, settings, debug, flags, logged):
    settings.DEBUG = debug
    call_command("serve", *flags)
    assert started[0][1]["access_log"] is logged


def test_reload_watches_the_project_for_development(started, settings):
    call_command("serve")
    assert started[0][1]["reload"] is False
    call_command("serve", "--reload")
    assert started[1][1]["reload"] is True
    assert started[1][1]["reload_dirs"] == [str(settings.BASE_DIR)]


def test_forwarded_headers_are_believed_only_from_the_listed_proxies(started, settings):
    settings.FIELDOPS_TRUSTED_PROXIES = "10.1.2.3,10.1.2.4"
    call_command("serve")
    assert started[0][1]["proxy_headers"] is True
    assert started[0][1]["forwarded_allow_ips"] == "10.1.2.3,10.1.2.4"


def test_worker_thread_asks_the_served_processes_for_a_worker_thread(started, monkeypatch):
    import os

    monkeypatch.delenv("FIELDOPS_SERVE_WORKER", raising=False)
    call_command("serve", "--worker", "thread", "--workers", "2")
    assert os.environ["FIELDOPS_SERVE_WORKER"] == "thread"  # config/asgi.py starts one in each web process
    assert started[0][1]["workers"] == 2
    call_command("serve", "--worker", "off")
    assert "FIELDOPS_SERVE_WORKER" not in os.environ
    assert started[1][1]["workers"] is None  # one process: uvicorn's own default


def test_worker_process_starts_a_worker_child_and_stops_it_with_the_server(started, monkeypatch):
    from config.management.commands import serve

    children = []
    real_start = serve.start_worker_process

    def start_and_remember():
        child = real_start()
        children.append(child)
        return child

    monkeypatch.setattr(serve, "start_worker_process", start_and_remember)
    call_command("serve", "--worker", "process")
    [child] = children
    assert child.args[-4:] == ["worker", "--no-reload", "-v", "0"]
    assert child.poll() is not None  # the server returned: the child was stopped

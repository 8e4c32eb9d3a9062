"""The django-tasks internals config/observability.py relies on, so an upgrade fails here loudly
(pyproject.toml pins django-tasks and django-tasks-db to the minor versions these passed on)."""

from __future__ import annotations

from django_tasks import signals as library_signals
from django_tasks.signals import task_started

from config.observability import task_request_ids


def _receivers() -> list:
    return [ref() for _key, ref, *_rest in task_started.receivers]


def test_the_library_logs_task_starts_from_a_receiver_we_can_move():
    assert callable(library_signals.log_task_started)
    assert library_signals.log_task_started in _receivers()


def test_our_request_id_receiver_runs_before_the_librarys_state_line():
    receivers = _receivers()
    ours = next(index for index, receiver in enumerate(receivers)
                if getattr(receiver, "__func__", None) is type(task_request_ids).started)
    assert ours < receivers.index(library_signals.log_task_started)

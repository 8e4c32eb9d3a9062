"""The tasks bench/tasks.py enqueues (importable by the worker processes it starts)."""

from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def noop(n: int) -> int:
    return n


@task()
def send_one(n: int) -> int:
    """An I/O-bound task: one e-mail to the bench's SMTP server, which answers after 20 ms."""
    send_mail(f"bench {n}", "body", None, [f"bench{n}@example.com"])
    return n

"""Views and a task that fail on purpose, for the observability tests (in process, and in a server
process through ``tests.config.observed_settings``). Their failures carry a customer's phone
number and e-mail address, which must never reach the error reports."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django_tasks import task

from config.urls import urlpatterns as project_urlpatterns

logger = logging.getLogger(__name__)


@task()
def note_and_maybe_fail(phone: str, email: str, fail: bool) -> str:
    logger.info("task working for %s <%s>", phone, email)
    if fail:
        raise ValueError(f"task failed for {phone} <{email}>")
    return "done"


@csrf_exempt
def boom(request: HttpRequest) -> JsonResponse:
    phone, email = request.POST.get("phone", ""), request.POST.get("email", "")
    logger.info("about to fail for %s <%s>", phone, email)  # a breadcrumb of the error report
    raise RuntimeError(f"view failed for {phone} <{email}>")


@csrf_exempt
def enqueue(request: HttpRequest) -> JsonResponse:
    phone, email = request.POST.get("phone", ""), request.POST.get("email", "")
    logger.info("enqueueing for %s", phone)
    result = note_and_maybe_fail.enqueue(phone=phone, email=email, fail=request.POST.get("fail") == "1")
    return JsonResponse({"task": result.id})


urlpatterns = [
    path("test/boom", boom),
    path("test/enqueue", enqueue),
    *project_urlpatterns,
]

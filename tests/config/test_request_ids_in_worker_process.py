"""From the outside: a production-like server (``manage.py serve``, DEBUG off, JSON logs) whose
tasks run in a separate ``manage.py worker`` child process (``FIELDOPS_SERVE_WORKER=process``).
The JSON log line a task writes in that worker carries the id of the request that enqueued it
(decision 0020): the id travels with the task row, not through the server's memory."""

from __future__ import annotations

import json
import sqlite3

from tests.realtime.live import live_stack

from .support import json_lines, wait_until
from .test_observability_live import post


def test_a_task_run_by_a_worker_process_logs_with_the_id_of_the_request_that_enqueued_it():
    env = {"DJANGO_SETTINGS_MODULE": "tests.config.observed_settings", "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
           "FIELDOPS_TASK_BACKEND": "database", "FIELDOPS_SERVE_WORKER": "process",
           "TASKS_LOG_LEVEL": "INFO"}
    with live_stack(1, debug=False, extra_env=env) as stack:
        server = stack.servers[0]
        status, headers, body = post(f"{server.http}/test/enqueue", {"phone": "1", "email": "2"}, "worker-proc-7")
        assert status == 200 and headers["x-request-id"] == "worker-proc-7"
        task_id = json.loads(body)["task"]

        def task_lines() -> list[dict]:
            return [line for line in json_lines(server.log.read_text())
                    if line["logger"] == "tests.config.observed_app" and line["message"].startswith("task working")]

        [line] = wait_until(task_lines, what="the task's log line", timeout=90)
        assert line["request_id"] == "worker-proc-7", line

        def library_lines() -> list[dict]:
            return [line for line in json_lines(server.log.read_text())
                    if line["logger"] == "django_tasks" and f"id={task_id} " in line["message"]]

        # the task library's own state lines (its receivers of task_started / task_finished) carry it too
        states = wait_until(lambda: [line for line in library_lines() if "state=SUCCESSFUL" in line["message"]]
                            and library_lines(), what="the library's state lines", timeout=30)
        assert [line["message"].rsplit("state=", 1)[1] for line in states] == ["RUNNING", "SUCCESSFUL"], states
        assert {line.get("request_id") for line in states} == {"worker-proc-7"}, states

        with sqlite3.connect(stack.directory / "db.sqlite3") as db:
            [(worker_ids, args_kwargs)] = db.execute(
                "SELECT worker_ids, args_kwargs FROM django_tasks_database_dbtaskresult WHERE replace(id, '-', '') = ?",
                (task_id.replace("-", ""),)).fetchall()
        # run by the worker child process (its ids start with "p-"), not by a thread of the server
        assert [worker[:2] for worker in json.loads(worker_ids)] == ["p-"]
        stored = json.loads(args_kwargs)
        assert stored["request_id"] == "worker-proc-7" and "request_id" not in stored["kwargs"]

"""Benchmark: where the inbound SMS webhook's CPU went since a baseline commit, per cause, in one run.

    .venv/bin/python bench/webhook_regression.py [--postgres] [--rounds 30] [--per-round 4]
        [--commits f113810,4267176,...] [--here]

Each commit named is checked out as a git worktree under /tmp (``/tmp/whperf-<commit>``, made once
and reused; a tree that lacks ``web/templatetags/__init__.py`` gets an empty one: without it the
baseline finds the installed tree's template tags, which need newer code, and its e-mails fail)
and ``--here`` adds this working tree as it is. One child process per tree imports that tree's own
``bench/sms_webhook.py`` (its settings, its seeding, its signed requests) on a database of its
own, then posts signed webhooks through Django's handler on request of this process. The
rounds interleave the trees (and rotate their order), so every tree meets the same machine load:
the differences between neighbouring commits are the cost of what those commits added.

Per tree and kind of message (``CANCEL <n>``, ``YES``, free text) the figure is the process's CPU
per webhook, median over the rounds, including the background work the webhook caused: before the
durable task engine the tasks run inline (the in-memory backend's work, in the same process in
the server too); with it the webhook writes task rows and the library's worker loop runs them
right after, as the server's worker does (``make_worker(..., batch=True).run()``, which stops
when no row is ready; a webhook that wrote no row does not run it, as an idle worker's polls are
not a request's). ``GET /healthz`` is the floor. The queries of the request and of its tasks are
counted too (the first round's).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
KINDS = ("cancel", "confirm", "text")
# The baseline (before the task engine); the last commit of the features merged before the engine;
# the engine; the rawsql bar's commit and the one before it; main when this bench was written.
DEFAULT_COMMITS = "f113810,4267176,8ad7132,e6f44f2,ac0782a,7056698"


def tree_for(commit: str) -> Path:
    path = Path(f"/tmp/whperf-{commit}")
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=HERE, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    init = path / "web" / "templatetags" / "__init__.py"
    if not init.exists():
        # without it the installed tree's web.templatetags is found, whose tags need newer code
        init.parent.mkdir(exist_ok=True)
        init.write_text("")
    return path


# --- the child: one tree -------------------------------------------------------------------------


def child(tree: Path, postgres: bool, name: str, count: int) -> None:
    os.chdir(tree)
    sys.path.insert(0, str(tree))
    out = sys.stdout
    sys.stdout = sys.stderr  # the trees' own prints stay off the protocol
    import bench.sms_webhook as sw

    public_url = "https://fieldops.bench.example"
    _configure(sw, postgres, public_url, name)
    from django.db import connection, connections
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    people = sw.seed(count)
    jobs = sw.signed_requests(public_url, people)
    queues = {kind: [job for job in jobs if job[2] == kind] for kind in KINDS}
    connections.close_all()
    try:
        from config.tasks import make_worker
    except ImportError:  # before the engine: tasks ran in memory, inline here
        make_worker = None
    database = override_settings(TASKS=sw.DATABASE_TASKS) if make_worker and hasattr(sw, "DATABASE_TASKS") else None
    if database:
        database.enable()
    enqueued = []
    if make_worker is not None:
        # The server's worker polls on its own clock whatever the requests do; here its code runs
        # only after a webhook that wrote a task row, so an idle poll is not charged to a request.
        from django_tasks.signals import task_enqueued

        task_enqueued.connect(lambda **kwargs: enqueued.append(1), weak=False)
    client = Client()

    def post(kind: str) -> None:
        body, signature, _kind = queues[kind].pop()
        response = client.post(sw.PATH, data=body, content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": signature}, SERVER_NAME="127.0.0.1")
        assert response.status_code == 200, response.status_code
        if enqueued:
            enqueued.clear()
            # the library's worker loop, as the server's worker runs it, until no row is ready
            make_worker("bench", interval=0, batch=True).run()

    def health(_kind: str) -> None:
        assert client.get("/healthz", SERVER_NAME="127.0.0.1").status_code == 200

    for _ in range(20):
        health("")
    print(json.dumps({"ready": True}), file=out, flush=True)
    for line in sys.stdin:
        command, kind, n = line.split()
        if command == "check":  # what the cancellations' e-mails came to (each should be sent)
            from core.outreach.models import EmailMessage

            statuses = list(EmailMessage.objects.filter(kind="cancellation").values_list("status", flat=True))
            print(json.dumps({status: statuses.count(status) for status in set(statuses)}), file=out, flush=True)
            continue
        fn = health if kind == "floor" else post
        if command == "queries":
            with CaptureQueriesContext(connection) as queries:
                fn(kind)
            print(json.dumps({"queries": len(queries.captured_queries),
                              "sql": [q["sql"] for q in queries.captured_queries]}), file=out, flush=True)
            continue
        t0 = time.process_time()
        for _ in range(int(n)):
            fn(kind)
        print(json.dumps({"ms": (time.process_time() - t0) * 1000 / int(n)}), file=out, flush=True)


def _configure(sw, postgres: bool, public_url: str, name: str) -> None:
    """The tree's own ``configure`` on the database ``fieldops_<name>``; older benches had one fixed
    name, so their PostgreSQL database is made here and their settings pointed at it."""
    if "name" in inspect.signature(sw.configure).parameters:
        sw.configure(postgres, public_url, name=name)
        return
    if not postgres:
        sw.configure(postgres, public_url)
        return
    import django
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS fieldops_{name}")
        conn.execute(f"CREATE DATABASE fieldops_{name}")
    real_setup = django.setup

    class NoConnection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, *args, **kwargs):
            return None

    def setup(*args, **kwargs):
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/fieldops_{name}"
        return real_setup(*args, **kwargs)

    real_connect = psycopg.connect

    def connect(*args, **kwargs):  # the bench's own DROP/CREATE of its fixed database: done above
        return NoConnection() if args and str(args[0]).endswith("/postgres") else real_connect(*args, **kwargs)

    psycopg.connect, django.setup = connect, setup
    try:
        sw.configure(postgres, public_url)
    finally:
        psycopg.connect, django.setup = real_connect, real_setup


# --- the parent: interleaved rounds ---------------------------------------------------------------


class Tree:
    def __init__(self, label: str, path: Path, postgres: bool, count: int, index: int) -> None:
        self.label, self.path = label, path
        env = {**os.environ, "PYTHONPATH": str(path)}
        for key in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FIELDOPS_TASK_BACKEND"):
            env.pop(key, None)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(path), "--name", f"whperf_{index}",
             "--count", str(count)] + (["--postgres"] if postgres else []),
            cwd=path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command: str, kind: str, n: int = 1) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{command} {kind} {n}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: the child ended")
        return json.loads(line)

    def wait_ready(self) -> None:
        assert self.proc.stdout
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: the child did not start")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=4, help="webhooks of each kind per tree and round")
    parser.add_argument("--commits", default=DEFAULT_COMMITS)
    parser.add_argument("--here", action="store_true", help="also measure this working tree as it is")
    parser.add_argument("--show-queries", default="", help="print the SQL of one webhook of this kind per tree")
    parser.add_argument("--child")
    parser.add_argument("--name")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.postgres, args.name, args.count)
        return

    specs = [(commit, tree_for(commit)) for commit in args.commits.split(",") if commit]
    if args.here:
        specs.append(("this tree", HERE))
    count = len(KINDS) * (args.rounds * args.per_round + 4 + 2)
    t0 = time.perf_counter()
    trees = [Tree(label, path, args.postgres, count, index) for index, (label, path) in enumerate(specs)]
    for tree in trees:
        tree.wait_ready()
    print(f"{len(trees)} trees seeded with {count} prompted customers each in {time.perf_counter() - t0:.0f}s "
          f"({'PostgreSQL' if args.postgres else 'SQLite'})", flush=True)
    queries = {}
    for tree in trees:
        for kind in KINDS:
            tree.ask("run", kind, 1)  # warm-up
            answer = tree.ask("queries", kind)
            queries[tree.label, kind] = answer["queries"]
            if kind == args.show_queries:
                print(f"\n--- {tree.label}: {kind}, {answer['queries']} queries")
                for sql in answer["sql"]:
                    print("   ", sql[:220])
    samples: dict[tuple[str, str], list[float]] = {}
    loads = []
    for round_ in range(args.rounds):
        order = trees[round_ % len(trees):] + trees[:round_ % len(trees)]
        for tree in order:
            for kind in ("floor", *KINDS):
                samples.setdefault((tree.label, kind), []).append(tree.ask("run", kind, args.per_round)["ms"])
        loads.append(os.getloadavg()[0])
    for tree in trees:
        emails = tree.ask("check", "-")
        if set(emails) != {"sent"}:
            print(f"{tree.label}: cancellation e-mails {emails}: not all sent, its figures are not comparable")
        tree.close()

    def med(label: str, kind: str) -> float:
        return statistics.median(samples[label, kind])

    rows, previous = [], None
    for tree in trees:
        mixed = statistics.mean(med(tree.label, kind) for kind in KINDS)
        row = [tree.label, med(tree.label, "floor")]
        for kind in KINDS:
            row.append(f"{med(tree.label, kind):.2f} ({queries[tree.label, kind]}q)")
        row.append(mixed)
        row.append(f"{mixed / med(tree.label, 'floor'):.1f}x")
        row.append("-" if previous is None else f"{mixed - previous:+.2f}")
        row.append(f"{mixed / statistics.mean(med(trees[0].label, kind) for kind in KINDS) - 1:+.0%}")
        previous = mixed
        rows.append(row)
    from bench.common import print_table

    print()
    print(f"CPU ms per webhook incl. its background work (median of {args.rounds} rounds of {args.per_round}), "
          f"queries of one webhook and its tasks in brackets; "
          f"{'PostgreSQL (its own CPU not counted)' if args.postgres else 'SQLite'}:")
    print_table(["tree", "GET /healthz", "cancel", "confirm", "text", "mixed (mean)", "mixed / floor",
                 "vs previous row", "vs first row"], rows)
    half = max(1, args.rounds // 2)
    print("\nmixed, first and second half of the rounds (the spread is the noise):")
    print_table(["tree", "first half", "second half"], [
        [tree.label] + [statistics.mean(statistics.median(samples[tree.label, kind][part]) for kind in KINDS)
                        for part in (slice(0, half), slice(half - (args.rounds == 1), None))] for tree in trees])
    print(f"\nload average (1 min) during the rounds: {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()

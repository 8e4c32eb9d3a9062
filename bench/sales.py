"""Benchmark: invoices and quotes. A 50-line invoice and a 50-line quote as PDFs, and the invoices list
over GraphQL, each against a floor measured in the same run.

    .venv/bin/python bench/sales.py [--postgres] [--runs 20]

- PDF: ``core.sales.invoice_pdf.render`` (read the invoice, build the context, render the template, lay
  it out with WeasyPrint) against the floor of laying out the same HTML with WeasyPrint alone, without
  the app. Target: under 500 ms. The same for ``core.sales.quote_pdf.render`` and a 50-line quote.
- List: ``invoices(first: 100)`` over HTTP (customer, lines, payments, paid, balance, payment status)
  against the plain Django JSON view of the same data (``/bench/invoices.json``, the kind of floor the
  bookings benchmark uses). Target: at most 2x.
Each subject is timed alternately with its floor (a, b, a, b, ...), so both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, server, summary, timed_interleaved

QUERY = """
query Page($first: Int!) {
  invoices(first: $first) {
    edges { node {
      id number status total dueDate paid balance paymentStatus
      customer { name }
      lines { description quantity unitPrice net }
      payments { amount method }
    } }
  }
}
"""
N_INVOICES = 150


def configure(postgres: bool) -> dict[str, str]:
    if postgres:
        url = "postgres://postgres@127.0.0.1:5432/fieldops_bench_sales"
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{ROOT / 'var' / 'bench_sales.sqlite3'}"
    env = {"DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40), "SECURE_SSL_REDIRECT": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "ERROR", "GRAPHQL_INTROSPECTION": "0"}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname='fieldops_bench_sales'").fetchone():
                conn.execute("CREATE DATABASE fieldops_bench_sales")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def seed() -> int:
    """Invoices through the services (numbers, lines, payments as the product makes them); returns the
    id of the 50-line one."""
    from core.accounts.models import Role, User
    from core.actors import Actor, Channel
    from core.crm.models import Customer
    from core.sales import invoices, payments
    from core.sales.invoice_models import Invoice

    big = Invoice.objects.filter(notes="bench: 50 lines").first()
    if big is not None and Invoice.objects.count() >= N_INVOICES:
        return big.pk
    print(f"seeding {N_INVOICES} invoices ...", file=sys.stderr)
    staff_user = User.objects.filter(email="bench-staff@bench.local").first() or User.objects.create_user(
        email="bench-staff@bench.local", password="bench-pass-123", role=Role.STAFF)
    staff, channel = Actor.from_user(staff_user), Channel.SYSTEM
    customers = Customer.objects.bulk_create([Customer(name=f"Customer {i}", email=f"c{i}@example.com")
                                              for i in range(30)])
    line = invoices.InvoiceLineInput
    big = invoices.invoice_create(actor=staff, channel=channel, customer_id=customers[0].pk, notes="bench: 50 lines",
                                  lines=[line(description=f"Window panel {n}", quantity=Decimal(1 + n % 4),
                                              unit_price=Decimal("19.95") + n, tax_rate="10",
                                              discount_percent="5" if n % 7 == 0 else None) for n in range(49)]
                                  + [line(kind="discount", description="Loyalty", unit_price="25", tax_rate="10")])
    for i in range(N_INVOICES - 1):
        made = invoices.invoice_create(actor=staff, channel=channel, customer_id=customers[i % 30].pk, lines=[
            line(description="Regular clean", unit_price="120", tax_rate="10"),
            line(description="Oven", unit_price="80.50", tax_rate="10", quantity="2"),
            line(kind="fee", description="Call-out", unit_price="15", tax_rate="10")])
        invoices.invoice_issue(actor=staff, channel=channel, invoice_id=made.pk, send_email=False)
        payments.payment_record(actor=staff, channel=channel, invoice_id=made.pk, amount="100", method="card")
    return big.pk


def seed_quote() -> int:
    """A 50-line quote through the services; returns its id."""
    from core.accounts.models import User
    from core.actors import Actor, Channel
    from core.crm.models import Customer
    from core.sales import quotes
    from core.sales.quote_models import Quote

    big = Quote.objects.filter(notes="bench: 50 lines").first()
    if big is not None:
        return big.pk
    staff = Actor.from_user(User.objects.get(email="bench-staff@bench.local"))
    line = quotes.QuoteLineInput
    return quotes.quote_create(actor=staff, channel=Channel.SYSTEM, customer_id=Customer.objects.order_by("pk")[0].pk,
                               notes="bench: 50 lines",
                               lines=[line(description=f"Window panel {n}", quantity=Decimal(1 + n % 4),
                                           unit_price=Decimal("19.95") + n, tax_rate="10",
                                           discount_percent="5" if n % 7 == 0 else None) for n in range(49)]
                               + [line(kind="discount", description="Loyalty", unit_price="25", tax_rate="10")]).pk


def cpu_interleaved(fns, runs: int) -> list[list[float]]:
    """CPU milliseconds of this process per call, in turn: what a PDF costs whatever else the machine
    runs (rendering is single-threaded and in-process, so the process's CPU time is the PDF's)."""
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, samples in zip(fns, out, strict=True):
            start = time.process_time()
            fn()
            samples.append((time.process_time() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env = configure(args.postgres)
    big_id = seed()
    quote_id = seed_quote()

    import httpx
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from core.actors import Actor
    from core.sales import invoice_pdf, quote_pdf

    staff = Actor.system()
    document = invoice_pdf.invoice_document(invoice_pdf.loaded(big_id, staff))
    html = render_to_string(document.template, document.context)

    def app_pdf() -> bytes:
        return invoice_pdf.render(invoice_pdf.loaded(big_id, staff))

    def floor_pdf() -> bytes:
        return HTML(string=html).write_pdf()

    pdf_runs = max(5, args.runs // 2)
    app_ms, floor_ms = (summary(s) for s in timed_interleaved([app_pdf, floor_pdf], pdf_runs, warmup=2))
    app_cpu, floor_cpu = (statistics.median(s) for s in cpu_interleaved([app_pdf, floor_pdf], pdf_runs))
    rows = [("50-line invoice PDF", "WeasyPrint on the same HTML, no app (floor)", floor_ms[0], floor_ms[1],
             floor_cpu, 1.0),
            ("50-line invoice PDF", "invoice_pdf.render (read, context, template, PDF)", app_ms[0], app_ms[1],
             app_cpu, app_ms[0] / floor_ms[0])]

    quote_document = quote_pdf.quote_document(quote_pdf.loaded(quote_id, staff))
    quote_html = render_to_string(quote_document.template, quote_document.context)

    def app_quote_pdf() -> bytes:
        return quote_pdf.render(quote_pdf.loaded(quote_id, staff))

    def floor_quote_pdf() -> bytes:
        return HTML(string=quote_html).write_pdf()

    q_app_ms, q_floor_ms = (summary(s) for s in timed_interleaved([app_quote_pdf, floor_quote_pdf], pdf_runs,
                                                                  warmup=2))
    q_app_cpu, q_floor_cpu = (statistics.median(s) for s in cpu_interleaved([app_quote_pdf, floor_quote_pdf],
                                                                            pdf_runs))
    rows += [("50-line quote PDF", "WeasyPrint on the same HTML, no app (floor)", q_floor_ms[0], q_floor_ms[1],
              q_floor_cpu, 1.0),
             ("50-line quote PDF", "quote_pdf.render (read, context, template, PDF)", q_app_ms[0], q_app_ms[1],
              q_app_cpu, q_app_ms[0] / q_floor_ms[0])]

    with server(env) as base:
        client = httpx.Client(base_url=base, timeout=30)
        login_query = ('mutation { login(email: "bench-staff@bench.local", password: "bench-pass-123") '
                       "{ result { token } errors { code } } }")
        token = client.post("/graphql/", json={"query": login_query}).json()["data"]["login"]["result"]["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def http_gql():
            response = client.post("/graphql/", json={"query": QUERY, "variables": {"first": 100}}, headers=headers)
            response.raise_for_status()
            body = response.json()
            assert "errors" not in body and len(body["data"]["invoices"]["edges"]) == 100, response.text[:500]

        def http_plain():
            client.get("/bench/invoices.json", params={"first": 100}).raise_for_status()

        gql_ms, plain_ms = (summary(s) for s in timed_interleaved([http_gql, http_plain], args.runs))
    rows += [("invoices list, 100 rows", "plain Django JSON view, HTTP (floor)", plain_ms[0], plain_ms[1], "-", 1.0),
             ("invoices list, 100 rows", "GraphQL over HTTP", gql_ms[0], gql_ms[1], "-", gql_ms[0] / plain_ms[0])]
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\ninvoices, {N_INVOICES} seeded, {db}, {args.runs} runs ({pdf_runs} for the PDF) (ms)\n")
    print_table(["subject", "what", "p50 ms", "p95 ms", "CPU p50 ms", "p50 / floor"], rows)
    print(f"\ntargets: a PDF under 500 ms (invoice p50 {app_ms[0]:.0f} ms wall, {app_cpu:.0f} ms of CPU; quote "
          f"p50 {q_app_ms[0]:.0f} ms wall, {q_app_cpu:.0f} ms of CPU); "
          "the list over HTTP <= 2x the plain view")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times stretch with it; "
          "the CPU column does not)")


if __name__ == "__main__":
    main()

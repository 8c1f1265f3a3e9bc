"""How fast is the figures dashboard with 1,000,000 messages? A script that prints figures.

    python benchmarks/dashboard.py [--messages 1000000] [--flows 20] [--runs 7] [--drop-os-cache]

A throwaway PostgreSQL (tests/servers.py) is migrated and seeded in SQL (``INSERT ...
SELECT generate_series``): contacts, ~20 three-step flows, enrollments, messages spread over
60 days with plausible statuses and events, and the orders attributed to them. After
``VACUUM ANALYZE`` the dashboard (``admin:remarket_flowreport_changelist``) is requested
through Django's test ``Client`` as a superuser: *cold* is the first request after a
PostgreSQL restart (empty shared buffers; with ``--drop-os-cache`` the kernel's page cache
is dropped too, which needs root), *warm* the median of ``--runs`` requests after it
(``--nice -10``, as root, raises the priority of this process and of the server while
timing, to measure on a machine busy with other work). The
slowest query of a warm request is shown with ``EXPLAIN (ANALYZE, BUFFERS)``. Then the
figures indexes are dropped and the same is measured again: the baseline.
Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
URL = "/admin/remarket/flowreport/"
#: The indexes remarket adds for the figures (Meta.indexes of Message and Enrollment).
FIGURES_INDEXES = [
    "remarket_message_figures",
    "remarket_message_waiting",
    "remarket_message_sent_day",
    "remarket_message_click_day",
    "remarket_enrollment_figures",
]
STEPS_PER_FLOW = 3
#: --nice: scheduling priority of this process and the PostgreSQL server while timing.
NICE = 0
DAYS = 60


def configure(database: dict[str, Any]) -> None:
    import django
    from django.conf import settings

    from tests import settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values |= {"DATABASES": {"default": database}, "REMARKET": {**base.REMARKET}}
    values["REMARKET"]["CURRENCY"] = "USD"
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def insert_select(model: Any, rows: str, values: dict[str, str]) -> int:
    """``INSERT INTO <model> SELECT ... FROM <rows>``: ``values`` maps columns to SQL;
    every other column gets the field's default, so new NOT NULL fields need no change."""
    from django.db import connection

    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in values:
            exprs.append(values[field.column].replace("%", "%%"))  # SQL's modulo
        else:
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    unknown = set(values) - {f.column for f in model._meta.concrete_fields}
    assert not unknown, f"no such column in {model._meta.db_table}: {unknown}"
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM {rows.replace('%', '%%')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def seed(messages: int, flows: int) -> dict[str, int]:
    """Contacts, flows, enrollments, ``messages`` messages and their orders, in SQL."""
    from datetime import timedelta

    from django.db import connection

    from remarket.flows.models import Enrollment, Flow, FlowStatus, Step, Trigger
    from remarket.insights.models import Conversion
    from remarket.mail.models import Message
    from remarket.people.models import Contact

    enrollments = messages * 2 // 5  # 2.5 messages per enrollment on average
    contacts = enrollments * 5 // 8  # people come back: 1.6 enrollments each
    for n in range(flows):
        flow = Flow.objects.create(
            name=f"Flow {n:02d}",
            slug=f"flow-{n:02d}",
            trigger=list(Trigger)[n % len(Trigger)],
            status=FlowStatus.LIVE if n % 5 else FlowStatus.PAUSED,
            priority=90 - n,
        )
        Step.objects.bulk_create(
            Step(flow=flow, position=p, delay=timedelta(hours=p), subject=f"Email {p}", body="Hi")
            for p in range(1, STEPS_PER_FLOW + 1)
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # flow_no (0..flows-1), position -> step: the join table of the message insert.
        cursor.execute(
            "CREATE TEMP TABLE bench_step AS SELECT"
            " dense_rank() OVER (ORDER BY f.priority DESC, f.id) - 1 AS flow_no,"
            " f.id AS flow_id, s.id AS step_id, s.position"
            " FROM remarket_flow f JOIN remarket_step s ON s.flow_id = f.id"
        )
    insert_select(
        Contact,
        f"generate_series(1, {contacts}) AS n",
        {
            "email": "'person-' || n || '@example.com'",
            "name": "'Person ' || n",
            "consent": "'granted'",
            "consent_source": "'checkout'",
            "created_at": f"now() - interval '{DAYS + 30} days'",
            "updated_at": "now()",
        },
    )
    insert_select(
        Enrollment,
        f"generate_series(0, {enrollments - 1}) AS e"
        " JOIN (SELECT min(id) AS first FROM remarket_contact) c ON true"
        f" JOIN bench_step s ON s.flow_no = e % {flows} AND s.position = 1",
        {
            "flow_id": "s.flow_id",
            "contact_id": f"c.first + e % {contacts}",
            "subject_type": "'cart'",
            "subject_key": "'cart-' || e",
            "snapshot": """'{"lines": [{"name": "Coffee beans 250 g", "quantity": 2,'
                ' "price": "12.50"}], "total": "25.00"}'::jsonb""",
            "state": "CASE WHEN e % 10 = 0 THEN 'active' WHEN e % 10 < 7 THEN 'completed'"
            " ELSE 'exited' END",
            "exit_reason": "CASE WHEN e % 10 >= 7 THEN (ARRAY['ordered', 'cart_gone',"
            " 'unsubscribed'])[e % 3 + 1] ELSE '' END",
            "next_step_id": "CASE WHEN e % 10 = 0 THEN s.step_id END",
            "next_run_at": "CASE WHEN e % 10 = 0 THEN now() + interval '1 hour' END",
            "triggered_at": f"now() - interval '{DAYS} days' * (e::float / {enrollments})",
            "created_at": f"now() - interval '{DAYS} days' * (e::float / {enrollments})",
            "updated_at": "now()",
        },
    )
    # Message j: enrollment j % E, step position j // E + 1 (most people get 2-3 emails).
    # r (0..999) picks the status, h (0..9999) the events of a sent email.
    html = (
        "'<html><body><p>Hi Person ' || e.contact_id || ', your cart is waiting.</p><table>'"
        " || repeat('<tr><td class=\"item\">Coffee beans 250 g</td><td>12.50</td></tr>', 40)"
        " || '</table></body></html>'"
    )
    sent_at = "e.created_at + interval '1 hour' * m.position"
    insert_select(
        Message,
        f"""(SELECT j, j % {enrollments} + (SELECT min(id) FROM remarket_enrollment) AS eid,
                    j / {enrollments} + 1 AS position, (j * 7919) % 1000 AS r,
                    (j * 104729) % 10000 AS h
             FROM generate_series(0::bigint, {messages - 1}) AS j) m
            JOIN remarket_enrollment e ON e.id = m.eid
            JOIN remarket_step s ON s.flow_id = e.flow_id AND s.position = m.position
            JOIN LATERAL (SELECT CASE
                WHEN m.r < 80 THEN 'skipped' WHEN m.r < 100 THEN 'failed'
                WHEN m.r < 105 THEN 'review' WHEN m.r < 120 THEN 'scheduled'
                ELSE 'sent' END AS status) st ON true""",
        {
            "enrollment_id": "e.id",
            "step_id": "s.id",
            "contact_id": "e.contact_id",
            "address": "'person-' || e.contact_id || '@example.com'",
            "status": "st.status",
            "reason": """CASE st.status
                WHEN 'skipped' THEN (ARRAY['frequency_cap', 'frequency_cap', 'condition',
                    'ordered', 'cart_gone'])[m.r % 5 + 1]
                WHEN 'failed' THEN 'template error: Invalid block tag on line 3'
                WHEN 'scheduled' THEN CASE WHEN m.r < 115 THEN 'quiet_hours'
                    ELSE 'retry after attempt 1: 503' END
                ELSE '' END""",
            "attempts": "1",
            "subject": "CASE WHEN st.status = 'sent' THEN 'Your cart is waiting, Person '"
            " || e.contact_id ELSE '' END",
            "body_text": "CASE WHEN st.status = 'sent' THEN repeat('Coffee beans 250 g 12.50. ',"
            " 15) ELSE '' END",
            "body_html": f"CASE WHEN st.status = 'sent' THEN {html} ELSE '' END",
            "esp_name": "CASE WHEN st.status = 'sent' THEN 'mailgun' ELSE '' END",
            "esp_message_id": "CASE WHEN st.status = 'sent' THEN '<' || m.j || '@mg.example>'"
            " ELSE '' END",
            "created_at": sent_at,
            "claimed_at": sent_at,
            "counted_at": f"CASE WHEN st.status = 'sent' THEN {sent_at} END",
            "handed_at": f"CASE WHEN st.status = 'sent' THEN {sent_at} END",
            "sent_at": f"CASE WHEN st.status = 'sent' THEN {sent_at} END",
            "delivered_at": f"CASE WHEN st.status = 'sent' AND m.h < 9700 THEN {sent_at}"
            " + interval '1 minute' END",
            "opened_at": f"CASE WHEN st.status = 'sent' AND m.h < 3500 THEN {sent_at}"
            " + interval '3 hours' END",
            "clicked_at": f"CASE WHEN st.status = 'sent' AND m.h < 600 THEN {sent_at}"
            " + interval '4 hours' END",
            "bounced_at": f"CASE WHEN st.status = 'sent' AND m.h >= 9850 THEN {sent_at}"
            " + interval '2 minutes' END",
            "complained_at": f"CASE WHEN st.status = 'sent' AND m.h BETWEEN 3000 AND 3004"
            f" THEN {sent_at} + interval '5 hours' END",
            "unsubscribed_at": f"CASE WHEN st.status = 'sent' AND m.h BETWEEN 3100 AND 3129"
            f" THEN {sent_at} + interval '5 hours' END",
        },
    )
    # A third of the clicked emails led to an order; one in ten paid in euros.
    insert_select(
        Conversion,
        "remarket_message m JOIN remarket_step s ON s.id = m.step_id"
        " WHERE m.clicked_at IS NOT NULL AND m.id % 3 = 0",
        {
            "order_key": "'order-' || m.id",
            "contact_id": "m.contact_id",
            "value": "20 + (m.id * 37) % 200 + 0.95",
            "currency": "CASE WHEN m.id % 10 = 0 THEN 'EUR' ELSE 'USD' END",
            "placed_at": "m.clicked_at + interval '1 hour'",
            "message_id": "m.id",
            "flow_id": "s.flow_id",
            "step_id": "m.step_id",
            "rule": "'click'",
        },
    )
    connection.cursor().execute("DROP TABLE bench_step")
    return {
        "contacts": Contact.objects.count(),
        "flows": Flow.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "messages": Message.objects.count(),
        "conversions": Conversion.objects.count(),
    }


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")


def restart_postgres(drop_os_cache: bool) -> None:
    """Restart the server (empty shared buffers) and optionally drop the OS page cache."""
    from django.db import connection

    from tests.servers import _as_postgres_user, find_postgres_bindir

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data = cursor.fetchone()[0]
    port = connection.settings_dict["PORT"]
    connection.close()
    pg_ctl = [*_as_postgres_user(), str(find_postgres_bindir() / "pg_ctl"), "-D", data]
    subprocess.run([*pg_ctl, "stop", "-m", "fast", "-w"], check=True, capture_output=True)
    if drop_os_cache:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    subprocess.run(
        [*pg_ctl, "start", "-w", "-o", f"-p {port}", "-l", str(Path(data).parent / "pg.log")],
        check=True,
        capture_output=True,
    )
    if NICE:  # the new postmaster, so that every backend it forks inherits the priority
        postmaster = (Path(data) / "postmaster.pid").read_text().split()[0]
        subprocess.run(
            ["renice", "-n", str(NICE), "-p", postmaster], check=True, capture_output=True
        )


def timed_request(client: Any) -> tuple[float, list[tuple[float, str, Any]]]:
    """One dashboard request: seconds, and each statement with its own seconds."""
    from django.db import connection

    statements: list[tuple[float, str, Any]] = []

    def timing(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - started, sql, params))

    started = time.perf_counter()
    with connection.execute_wrapper(timing):
        response = client.get(URL)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed, statements


def measure(label: str, client: Any, runs: int, drop_os_cache: bool) -> dict[str, Any]:
    restart_postgres(drop_os_cache)
    cold, _ = timed_request(client)
    warm = [timed_request(client) for _ in range(runs)]
    seconds = [w[0] for w in warm]
    median = statistics.median(seconds)
    statements = min(warm, key=lambda w: abs(w[0] - median))[1]
    sql_total = sum(s[0] for s in statements)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"{label}: cold {cold * 1000:,.0f} ms | warm median {median * 1000:,.0f} ms "
        f"(min {min(seconds) * 1000:,.0f}, max {max(seconds) * 1000:,.0f}, {runs} runs) | "
        f"{len(statements)} queries, {sql_total * 1000:,.0f} ms in SQL | load average {load}"
    )
    for took, sql, _ in sorted(statements, key=lambda s: -s[0])[:6]:
        print(f"    {took * 1000:7.1f} ms  {sql[:110]}")
    return {"cold": cold, "warm": median, "statements": statements}


def time_flow_report(runs: int) -> float:
    """Median seconds of ``flow_report()`` for the flow with the most messages."""
    from django.db.models import Count

    from remarket.flows.models import Flow
    from remarket.insights.figures import flow_report

    flow = Flow.objects.annotate(n=Count("steps__messages")).order_by("-n").first()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        report = flow_report(flow)
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    print(
        f"    flow_report({flow.slug}) for its change page, {report.flows[0].figures.enrolled:,}"
        f" messages: median {median * 1000:,.0f} ms"
    )
    return median


def explain(sql: str, params: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        for (line,) in cursor.fetchall():
            print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--flows", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7, help="warm requests (median)")
    parser.add_argument("--drop-os-cache", action="store_true", help="cold = OS cache too")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="e.g. -10 (root): time at a higher priority than the machine's other work",
    )
    args = parser.parse_args()
    global NICE
    NICE = args.nice
    sys.path.insert(0, str(ROOT))

    with ExitStack() as stack:
        from tests.servers import postgres_server

        pg = stack.enter_context(postgres_server())
        configure(
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": pg.database,
                "HOST": pg.host,
                "PORT": pg.port,
                "USER": pg.user,
            }
        )
        import django
        from django.contrib.auth.models import User
        from django.db import connection
        from django.test import Client

        print(
            f"Python {sys.version.split()[0]}, Django {django.get_version()}, "
            f"PostgreSQL {connection.pg_version}"
        )
        started = time.perf_counter()
        counts = seed(args.messages, args.flows)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        vacuum_analyze()
        print(
            "seeded "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
            + f" in {seeded:.0f} s; VACUUM ANALYZE {time.perf_counter() - started:.0f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class"
                " WHERE relname IN ('remarket_message', 'remarket_enrollment')"
                " OR relname = ANY(%s) ORDER BY relname",
                [FIGURES_INDEXES],
            )
            print("sizes: " + ", ".join(f"{name} {size}" for name, size in cursor.fetchall()))
        client = Client()
        client.force_login(User.objects.create_superuser("bench", "bench@example.com", "pw"))
        client.get(URL)  # templates compiled, URLconf loaded: Python's one-off costs
        if NICE:
            os.nice(NICE)

        indexed = measure("with the figures indexes", client, args.runs, args.drop_os_cache)
        flow_page = time_flow_report(args.runs)
        took, sql, params = max(indexed["statements"], key=lambda s: s[0])
        print(f"slowest query ({took * 1000:.0f} ms), EXPLAIN (ANALYZE, BUFFERS):")
        print(f"    {sql}")
        explain(sql, params)

        with connection.cursor() as cursor:
            for name in FIGURES_INDEXES:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute("ANALYZE")
        bare = measure("without them (baseline)", client, args.runs, args.drop_os_cache)
        bare_flow_page = time_flow_report(args.runs)
        took, sql, params = max(bare["statements"], key=lambda s: s[0])
        print(f"slowest query without the indexes ({took * 1000:.0f} ms):")
        explain(sql, params)
        print(
            f"baseline / indexed: cold {bare['cold'] / indexed['cold']:.1f}x, "
            f"warm {bare['warm'] / indexed['warm']:.1f}x, "
            f"one flow {bare_flow_page / flow_page:.1f}x"
        )
        ok = indexed["warm"] < 1 and indexed["cold"] < 1
        print(f"{'OK' if ok else 'SLOW'}: target < 1 s for the dashboard with the indexes")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

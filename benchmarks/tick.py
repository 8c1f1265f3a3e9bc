"""How fast does ``run_tick()`` send N due emails? A script that prints figures.

    python benchmarks/tick.py --mode test-backend --db postgres --due 100000
    python benchmarks/tick.py --mode esp --latency-ms 50 --db postgres --due 10000 --compare-naive
    python benchmarks/tick.py --mode esp --latency-ms 50 --fail-rate 0.3 --due 10000

Django is configured in-process (tests/settings.py with a file-based SQLite in a temporary
directory, or a throwaway PostgreSQL from tests/servers.py); N due enrollments are seeded,
``run_tick()`` is timed and every message checked sent. ``--mode test-backend`` hands the
emails to anymail's test backend (no network); a no-database baseline (render + send
through the same backend) is the "CPU floor". ``--mode esp`` sends through anymail's real
Postmark backend to tests/esp_simulator.py (its own process) answering after
``--latency-ms``, ``--fail-rate`` of its answers being 429/500; failed sends are retried
by further ticks, the clock jumping over the backoff. ``--compare-naive`` then sends
``--naive-due`` more messages one after another (``SEND_CONCURRENCY`` 1) in the same
process. ``--workers N`` (PostgreSQL) ticks in N processes at once, started together, as
N Celery workers would. In esp mode an "ESP floor" is printed too: anymail's Postmark
backend alone, the same threads, emails composed beforehand, no database. Results:
benchmarks/README.md.

"Queries" counts statements through ``cursor.execute`` (an execute_wrapper): SAVEPOINTs and
SQLite's BEGIN are in, PostgreSQL's BEGIN/COMMIT and every COMMIT call are not. "Due to
accepted" is, per message, the time from the tick's start (every message was due then) to
the moment the ESP (or the test backend) accepted it (``Message.sent_at``).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.message import AnymailRecipientStatus

ROOT = Path(__file__).resolve().parent.parent
SUBJECT = "We miss you, {{ contact.name|default:'friend' }}"
BODY = (
    "<p>Hi {{ contact.name|default:'there' }},</p>\n"
    "<p>It has been a while since your last order at {{ shop_name }}.</p>\n"
    "{% if products %}<ul>{% for p in products %}<li>{{ p.name }}</li>{% endfor %}</ul>"
    "{% endif %}\n"
    '<p><a href="{{ site_url }}/">Come back and see what is new</a></p>'
)


class DiscardingBackend(AnymailTestBackend):
    """anymail's test backend minus the outbox (memory is remarket's); status still set."""

    ids = itertools.count(1)

    def post_to_esp(self, payload, message):  # type: ignore[no-untyped-def]
        payload.get_params()
        status = AnymailRecipientStatus(message_id=next(self.ids), status="sent")
        return {"recipient_status": dict.fromkeys(payload.recipient_emails, status)}


def configure(databases: dict, backend: dict, migrate: bool = True) -> None:
    import django
    from django.conf import settings

    from tests import settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values |= {
        "DATABASES": databases,
        **backend,
        "REMARKET": {
            **base.REMARKET,
            "QUIET_HOURS": None,
            "FREQUENCY_CAP": None,
            "SHOP_NAME": "Bench Shop",
        },
    }
    settings.configure(**values)
    django.setup()
    logging.getLogger("remarket").setLevel(logging.ERROR)  # one warning per failed send
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def seed(due: int, slug: str) -> None:
    """``due`` consenting contacts, each with one due enrollment in a one-step live flow.

    On PostgreSQL the tables are then analyzed, as autovacuum does after such an insert:
    without statistics the planner takes 100,000 fresh rows for a few dozen."""
    from django.db import connection

    from tests.seeding import seed_due

    seed_due(due, slug=slug, subject=SUBJECT, body=BODY)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def floor(count: int) -> tuple[float, float]:
    """Emails per second for render + AnymailMessage + send alone, with no database."""
    from django.core.mail import get_connection
    from django.template import Context, Engine

    from remarket.mail.render import html_to_text

    engine = Engine(debug=False, string_if_invalid="", autoescape=True)
    subject_t, body_t = engine.from_string(SUBJECT), engine.from_string(BODY)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        context = {"contact": {"email": f"f{i}@example.com", "name": f"Ann {i}"}}
        context |= {"shop_name": "Bench Shop", "site_url": "http://127.0.0.1:8000"}
        subject = subject_t.render(Context(context, autoescape=False))
        html = body_t.render(Context(context))
        bare = SimpleNamespace(subject=subject, text=html_to_text(html), html=html, headers={})
        email = anymail_message(i, context["contact"]["email"], bare, get_connection())
        email.send()
        assert email.anymail_status.status == {"sent"}
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def composer():  # type: ignore[no-untyped-def]
    """compose_one(i) -> (address, Composed): remarket's whole email for person i, as the
    tick renders it (context with signed links, sandboxed templates, the layout rendered
    once and filled per email, tracked links, inlined CSS, text part), with no database."""
    from remarket.flows.context import email_context
    from remarket.flows.models import Step
    from remarket.mail.compose import compose
    from remarket.mail.layout import Layouts
    from remarket.people.models import Contact
    from remarket.shop import get_adapter

    adapter, step, layouts = get_adapter(), Step(subject=SUBJECT, body=BODY, position=1), Layouts()

    def compose_one(i: int):  # type: ignore[no-untyped-def]
        contact = Contact(pk=i + 1, email=f"f{i}@example.com", name=f"Ann {i}")
        context = email_context(
            subject_type="lapse",
            snapshot={},
            contact=contact,
            cart=None,
            step=step,
            adapter=adapter,
            coupon=None,
            message_id=i + 1,
        )
        composed = compose(
            subject=SUBJECT,
            preheader="",
            body=BODY,
            context=context,
            message_id=i + 1,
            layouts=layouts,
        )
        return contact.email, composed

    return compose_one


def anymail_message(i: int | str, address: str, composed, connection, tags=None):  # type: ignore[no-untyped-def]
    """The email the tick hands to anymail, from a Composed (or anything with its
    subject, text, html and headers)."""
    from anymail.message import AnymailMessage

    email = AnymailMessage(
        subject=composed.subject,
        body=composed.text,
        from_email="shop@example.com",
        to=[address],
        headers=composed.headers,
        connection=connection,
    )
    email.attach_alternative(composed.html, "text/html")
    email.tags = tags or ["remarket", "flow:win-back", "step:1"]
    email.metadata = {"remarket_message": str(i)}
    return email


def compose_floor(count: int) -> tuple[float, float]:
    """Emails per second for remarket's whole email (context, signed links, layout, inlined
    CSS, text part) + AnymailMessage + send, with no database: what the tick renders."""
    from django.core.mail import get_connection

    compose_one = composer()
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        address, composed = compose_one(i)
        anymail_message(i, address, composed, get_connection()).send()
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def esp_floor(count: int, threads: int) -> tuple[float, float]:
    """Emails per second for anymail's Postmark backend alone: ``count`` emails composed
    beforehand, posted by ``threads`` threads with a connection each, as the tick's pool
    does, with no database and no rendering: the most one process gets through anymail
    and ``requests`` at this latency."""
    from concurrent.futures import ThreadPoolExecutor

    from django.core.mail import get_connection

    from remarket.mail import transport

    compose_one = composer()
    emails = [compose_one(i) for i in range(count)]
    local = threading.local()

    def post(i: int) -> None:
        if not hasattr(local, "connection"):
            local.connection = get_connection()
            local.connection.open()
            transport.tune(local.connection)
        address, composed = emails[i]
        # Postmark takes one tag per email (the tick finds that out on its first send)
        email = anymail_message(f"floor-{i}", address, composed, local.connection, ["remarket"])
        email.send()
        assert email.anymail_status.status == {"sent"}, email.anymail_status.status

    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, range(count)))
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def measure(
    due: int, slug: str, batch_size: int, trace: bool, workers: int = 1
) -> dict[str, float]:
    """Seed ``due`` messages and tick until none waits, in this process or in ``workers``
    processes at once; the clock jumps over retry backoffs."""
    from django.utils import timezone

    from remarket.mail.models import Message

    started = time.perf_counter()
    seed(due, slug)
    seeded = time.perf_counter() - started
    origin = timezone.now()
    if workers == 1:
        r = tick_until_done(slug, batch_size, origin, trace)
    else:
        r = run_workers(workers, slug, batch_size)
    done = Message.objects.filter(status="sent", enrollment__flow__slug=slug)
    real_start = r.get("origin_s", origin.timestamp())  # workers: when they were told to go
    latencies = [at.timestamp() - real_start for at in done.values_list("sent_at", flat=True)]
    return r | {
        "seed_s": seeded,
        "sent_rows": done.count(),
        "p50_s": percentile(latencies, 0.50),
        "p99_s": percentile(latencies, 0.99),
        "backoff_s": r["clock_s"] - real_start,
    }


def tick_until_done(slug: str, batch_size: int, origin, trace: bool = False) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The timed part: ``run_tick()`` until no enrollment of the flow waits."""
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.db.models import Max

    from remarket.flows.models import Enrollment
    from remarket.flows.tick import run_tick

    queries = 0
    lock = threading.Lock()

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        with lock:
            queries += 1
        return execute(sql, params, many, context)

    def count_too(sender, connection, **kwargs):  # type: ignore[no-untyped-def]
        # The sender's writer thread opens a connection of its own: counted as well.
        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)

    connection_created.connect(count_too)

    gc.collect()
    if trace:
        tracemalloc.start()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    now = origin
    started = time.perf_counter()
    first = float("nan")
    sent = retried = ticks = 0
    with connection.execute_wrapper(count):
        while True:
            report = run_tick(now=now, batch_size=batch_size)
            ticks += 1
            sent += report.sent
            retried += sum(f.retried for f in report.flows.values())
            if ticks == 1:
                first = time.perf_counter() - started
            waiting = Enrollment.objects.filter(state="active", flow__slug=slug)
            last_due = waiting.aggregate(at=Max("next_run_at"))["at"]
            if last_due is None or ticks >= 50:
                break
            if not report.sent:
                time.sleep(0.05)  # another worker holds what is left: no busy loop
            now = max(now, last_due)  # every retry is due: no waiting out the backoff
    wall = time.perf_counter() - started
    connection_created.disconnect(count_too)
    after = resource.getrusage(resource.RUSAGE_SELF)
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    tracemalloc.stop()
    return {
        "wall_s": wall,
        "first_tick_s": first,
        "cpu_s": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "queries": queries,
        "ticks": ticks,
        "reported": sent,
        "retried": retried,
        "clock_s": now.timestamp(),
        "traced_mb": traced,
        "rss_mb": after.ru_maxrss / 1024,
    }


#: What a --workers process needs to configure itself as this one did (set in main()).
SETUP: dict = {}


def run_workers(workers: int, slug: str, batch_size: int) -> dict[str, float]:
    """``workers`` processes (this script with ``--worker``), started together once each
    has Django set up; their figures added up (CPU, queries, sends) or the largest taken
    (wall, ticks, peak RSS)."""
    from django.utils import timezone

    config = SETUP | {"slug": slug, "batch_size": batch_size}
    env = {**os.environ, "REMARKET_BENCH_WORKER": json.dumps(config)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    procs = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(workers)
    ]
    for proc in procs:
        said = proc.stdout.readline().strip() if proc.stdout else ""
        if said != "ready":
            raise SystemExit(f"a worker did not start: it said {said!r}")
    origin, started = timezone.now(), time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{origin.isoformat()}\n")  # go, with the tick's clock
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=3600)[0] for proc in procs]
    wall = time.perf_counter() - started
    if any(proc.returncode for proc in procs):
        raise SystemExit(f"a worker failed: {outputs}")
    results = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    total = {
        key: sum(r[key] for r in results) for key in ("cpu_s", "queries", "reported", "retried")
    }
    most = {key: max(r[key] for r in results) for key in ("ticks", "clock_s", "rss_mb")}
    return (
        total
        | most
        | {
            "wall_s": wall,
            "first_tick_s": max(r["first_tick_s"] for r in results),
            "traced_mb": float("nan"),
            "per_worker": [r["reported"] for r in results],
            "origin_s": origin.timestamp(),
        }
    )


def worker() -> int:
    """One of run_workers()' processes: set up, say "ready", read the tick's clock (the
    signal to go), tick until done, print the figures as JSON."""
    from datetime import datetime

    config = json.loads(os.environ["REMARKET_BENCH_WORKER"])
    sys.path.insert(0, str(ROOT))
    configure(config["databases"], config["backend"], migrate=False)
    from django.conf import settings

    settings.REMARKET.update(config["remarket"])
    print("ready", flush=True)
    origin = datetime.fromisoformat(sys.stdin.readline().strip())
    result = tick_until_done(config["slug"], config["batch_size"], origin)
    print(json.dumps(result), flush=True)
    return 0


def describe(label: str, due: int, r: dict[str, float], args: argparse.Namespace) -> None:
    workers = r.get("per_worker")
    where = f"{len(workers)} worker processes" if workers else "this process"
    print(
        f"{label}: seed {r['seed_s']:.1f}s | {r['ticks']:.0f} tick(s) {r['wall_s']:.2f}s wall, "
        f"{r['cpu_s']:.2f}s CPU ({where}) | {due / r['wall_s']:,.0f} emails/s, "
        f"{due / r['cpu_s']:,.0f} per CPU-second | "
        f"due->accepted p50 {r['p50_s']:.2f}s p99 {r['p99_s']:.2f}s | {r['queries']:,} queries, "
        f"{r['queries'] * 1000 / due:,.1f} per 1,000 messages"
        + (f" | tracemalloc peak {r['traced_mb']:.1f} MB" if args.tracemalloc else "")
    )
    if workers:
        print(
            f"  sent per worker: {', '.join(f'{n:,}' for n in workers)}; peak RSS of a worker "
            f"{r['rss_mb']:.0f} MB; per worker process: {due / r['wall_s'] / len(workers):,.0f} "
            f"emails/s"
        )
    if r["retried"]:
        extra = r["wall_s"] - r["first_tick_s"]
        print(
            f"  retries: {r['retried']:,.0f} failed sends retried over {r['ticks'] - 1:.0f} more "
            f"tick(s); first tick {r['first_tick_s']:.2f}s, the retry ticks {extra:.2f}s more "
            f"wall time; the backoff they skipped: {r['backoff_s'] / 60:.1f} min of clock"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["test-backend", "esp"], default="test-backend")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=0, help="BATCH_SIZE (1000)")
    parser.add_argument("--concurrency", type=int, default=0, help="SEND_CONCURRENCY (100)")
    parser.add_argument("--wave", type=int, default=0, help="SEND_WAVE (500)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="esp mode")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="esp mode: 0.3 = 30%%")
    parser.add_argument("--max-attempts", type=int, default=10, help="MAX_SEND_ATTEMPTS")
    parser.add_argument("--compare-naive", action="store_true", help="also one at a time")
    parser.add_argument("--naive-due", type=int, default=0, help="default min(N, 1000) in esp")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true", help="slower; peak Python heap")
    parser.add_argument("--floor", type=int, default=0, help="baseline emails (min(N, 2000))")
    parser.add_argument("--workers", type=int, default=1, help="processes ticking at once")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()
    if args.workers > 1 and (args.db != "postgres" or args.fail_rate):
        # SQLite has one writer; retry ticks jump their clock past other workers' leases.
        parser.error("--workers needs --db postgres and no --fail-rate")
    sys.path.insert(0, str(ROOT))

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="remarket-bench-")))
        if args.db == "postgres":
            from tests.servers import postgres_server

            pg = stack.enter_context(postgres_server())
            db = {"ENGINE": "django.db.backends.postgresql", "NAME": pg.database}
            db |= {"HOST": pg.host, "PORT": pg.port, "USER": pg.user}
        else:
            db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp / "bench.sqlite3")}
        esp = None
        if args.mode == "esp":
            from tests.esp_simulator import esp_simulator

            esp = stack.enter_context(
                esp_simulator(latency_ms=args.latency_ms, fail_rate=args.fail_rate, seed=1)
            )
            backend = esp.settings()
        else:
            backend = {"EMAIL_BACKEND": f"{__name__}.DiscardingBackend"}
        configure({"default": db}, backend)
        import django
        from django.conf import settings
        from django.db import connection

        from remarket.conf import conf

        settings.REMARKET["MAX_SEND_ATTEMPTS"] = args.max_attempts
        if args.concurrency:
            settings.REMARKET["SEND_CONCURRENCY"] = args.concurrency
        if args.wave:
            settings.REMARKET["SEND_WAVE"] = args.wave
        args.batch_size = args.batch_size or conf.BATCH_SIZE
        SETUP.update(databases={"default": db}, backend=backend)
        SETUP["remarket"] = {
            name: settings.REMARKET[name]
            for name in ("MAX_SEND_ATTEMPTS", "SEND_CONCURRENCY", "SEND_WAVE")
            if name in settings.REMARKET
        }
        threads = conf.SEND_CONCURRENCY  # --compare-naive sets it to 1 further down
        server = (
            connection.pg_version if args.db == "postgres" else connection.Database.sqlite_version
        )
        print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, {args.db} {server}")
        esp_text = (
            f"esp (simulated Postmark, {args.latency_ms:g} ms, {args.fail_rate:.0%} failing)"
            if esp
            else "anymail test backend"
        )
        print(
            f"due={args.due:,} mode={esp_text} db={args.db} batch_size={args.batch_size} "
            f"SEND_CONCURRENCY={conf.SEND_CONCURRENCY} SEND_WAVE={conf.SEND_WAVE}"
        )
        ok = True
        results = []
        for run in range(1, args.repeat + 1):
            r = measure(
                args.due, f"win-back-{run}", args.batch_size, args.tracemalloc, args.workers
            )
            results.append(r)
            ok &= r["sent_rows"] == args.due == r["reported"]
            describe(f"run {run}", args.due, r, args)
        best = min(r["wall_s"] for r in results)
        # Per process: the floors below are one process's.
        tick_rate = args.due / best / args.workers
        per = " per worker process" if args.workers > 1 else ""
        if esp:
            record = esp.record()
            accepted = Counter(a["remarket_message"] for a in record["accepted"])
            twice = sum(1 for n in accepted.values() if n > 1)
            ok &= twice == 0 and len(accepted) == args.due * args.repeat
            print(
                f"simulator: {record['requests']:,} requests, {len(accepted):,} messages accepted, "
                f"{twice} accepted more than once, refused {record['refused'] or 'none'}"
            )
        if args.compare_naive:
            naive_due = args.naive_due or (min(args.due, 1_000) if esp else args.due)
            settings.REMARKET["SEND_CONCURRENCY"] = settings.REMARKET["SEND_WAVE"] = 1
            r = measure(naive_due, "naive", args.batch_size, False)
            ok &= r["sent_rows"] == naive_due == r["reported"]
            describe(f"naive (SEND_CONCURRENCY=1, {naive_due:,} due)", naive_due, r, args)
            naive_rate = naive_due / r["wall_s"]
            print(f"concurrent / naive: {tick_rate / naive_rate:.1f}x")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MB (whole process: migrate, seed, ticks)")
        if not esp:
            rate, rate_cpu = floor(args.floor or min(args.due, 2_000))
            print(
                f"floor (render + anymail send, no DB): {rate:,.0f} emails/s, "
                f"{rate_cpu:,.0f} per CPU-second"
            )
            full, full_cpu = compose_floor(args.floor or min(args.due, 2_000))
            print(
                f"compose floor (remarket's whole email + anymail send, no DB): {full:,.0f} "
                f"emails/s, {full_cpu:,.0f} per CPU-second"
            )
            print(
                f"tick (best run): {tick_rate:,.0f} emails/s{per} = {tick_rate / rate:.1%} of the "
                f"floor, {tick_rate / full:.1%} of the compose floor"
            )
        elif not args.fail_rate:
            # After the simulator's record was read: these posts are not the tick's.
            rate, rate_cpu = esp_floor(args.floor or min(args.due, 5_000), threads)
            print(
                f"ESP floor (anymail's Postmark backend alone, {threads} threads, "
                f"emails composed beforehand, no DB): {rate:,.0f} emails/s, "
                f"{rate_cpu:,.0f} per CPU-second"
            )
            print(f"tick (best run): {tick_rate:,.0f} emails/s{per} = {tick_rate / rate:.1%} of it")
        else:
            print(f"tick (best run): {tick_rate:,.0f} emails/s{per}")
        last = results[-1]
        print(
            f"{'OK' if ok else 'FAIL'}: {last['sent_rows']:,} Message rows sent, "
            f"report.sent={last['reported']:,}, expected {args.due:,}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""How fast does one ``run_tick()`` send N due emails? A script that prints figures.

    python benchmarks/tick.py --db sqlite --due 10000 [--batch-size 500] [--repeat 1]
    python benchmarks/tick.py --db postgres --due 100000

Django is configured in-process (tests/settings.py with a file-based SQLite in a temporary
directory, or a throwaway PostgreSQL from tests/servers.py); N due enrollments are seeded,
``run_tick()`` is timed and every message checked sent. A no-database baseline (render +
send through the same backend) is the "CPU floor". Results: benchmarks/README.md.

"Queries" counts statements through ``cursor.execute`` (an execute_wrapper): SAVEPOINTs and
SQLite's BEGIN are in, PostgreSQL's BEGIN/COMMIT and every COMMIT call are not. Each
``--repeat`` seeds a new flow and new contacts into the same database (tables grow).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import resource
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path

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


def configure(databases: dict) -> None:
    import django
    from django.conf import settings

    from tests import settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values |= {
        "DATABASES": databases,
        "EMAIL_BACKEND": f"{__name__}.DiscardingBackend",
        "REMARKET": {
            **base.REMARKET,
            "QUIET_HOURS": None,
            "FREQUENCY_CAP": None,
            "SHOP_NAME": "Bench Shop",
        },
    }
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed(due: int, run: int) -> None:
    """``due`` consenting contacts, each with one due enrollment in a one-step live flow."""
    from tests.seeding import seed_due

    seed_due(due, slug=f"win-back-{run}", subject=SUBJECT, body=BODY)


def floor(count: int) -> float:
    """Emails per second for render + AnymailMessage + send alone, with no database."""
    from anymail.message import AnymailMessage
    from django.core.mail import get_connection
    from django.template import Context, Engine

    from remarket.mail.render import html_to_text

    engine = Engine(debug=False, string_if_invalid="", autoescape=True)
    subject_t, body_t = engine.from_string(SUBJECT), engine.from_string(BODY)
    started = time.perf_counter()
    for i in range(count):
        context = {"contact": {"email": f"f{i}@example.com", "name": f"Ann {i}"}}
        context |= {"shop_name": "Bench Shop", "site_url": "http://127.0.0.1:8000"}
        subject = subject_t.render(Context(context, autoescape=False))
        html = body_t.render(Context(context))
        text = html_to_text(html)
        email = AnymailMessage(
            subject=subject,
            body=text,
            from_email="shop@example.com",
            to=[context["contact"]["email"]],
            connection=get_connection(),
        )
        email.attach_alternative(html, "text/html")
        email.tags = ["remarket", "flow:win-back", "step:1"]
        email.metadata = {"remarket_message": str(i)}
        email.send()
        assert email.anymail_status.status == {"sent"}
    return count / (time.perf_counter() - started)


def measure(due: int, batch_size: int, run: int, trace: bool) -> dict[str, float]:
    from django.db import connection

    from remarket.flows.tick import run_tick
    from remarket.mail.models import Message

    started = time.perf_counter()
    seed(due, run)
    seeded = time.perf_counter() - started
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    gc.collect()
    if trace:
        tracemalloc.start()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        report = run_tick(batch_size=batch_size)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    tracemalloc.stop()
    sent = Message.objects.filter(status="sent", enrollment__flow__slug=f"win-back-{run}")
    return {
        "seed_s": seeded,
        "wall_s": wall,
        "cpu_s": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "queries": queries,
        "batches": report.batches,
        "reported": report.sent,
        "sent_rows": sent.count(),
        "traced_mb": traced,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true", help="slower; peak Python heap")
    parser.add_argument("--floor", type=int, default=0, help="baseline emails (min(N, 2000))")
    args = parser.parse_args()
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
        configure({"default": db})
        import django
        from django.db import connection

        server = (
            connection.pg_version if args.db == "postgres" else connection.Database.sqlite_version
        )
        print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, {args.db} {server}")
        print(f"due={args.due:,} db={args.db} batch_size={args.batch_size}")
        ok = True
        results = []
        for run in range(1, args.repeat + 1):
            r = measure(args.due, args.batch_size, run, args.tracemalloc)
            results.append(r)
            ok &= r["sent_rows"] == args.due == r["reported"]
            print(
                f"run {run}: seed {r['seed_s']:.1f}s | tick {r['wall_s']:.2f}s wall, "
                f"{r['cpu_s']:.2f}s CPU (this process), {r['batches']} batches | "
                f"{args.due / r['wall_s']:,.0f} emails/s | {r['queries']:,} queries, "
                f"{r['queries'] * 1000 / args.due:,.0f} per 1,000 messages"
                + (f" | tracemalloc peak {r['traced_mb']:.1f} MB" if args.tracemalloc else "")
            )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        best = min(r["wall_s"] for r in results)
        rate = floor(args.floor or min(args.due, 2_000))
        print(f"peak RSS {rss:.0f} MB (whole process: migrate, seed, tick)")
        print(f"floor (render + anymail send, no DB): {rate:,.0f} emails/s")
        tick_rate = args.due / best
        print(f"tick (best run): {tick_rate:,.0f} emails/s = {tick_rate / rate:.1%} of the floor")
        last = results[-1]
        print(
            f"{'OK' if ok else 'FAIL'}: {last['sent_rows']:,} Message rows sent, "
            f"report.sent={last['reported']:,}, expected {args.due:,}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

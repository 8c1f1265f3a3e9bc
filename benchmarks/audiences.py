"""What does evaluating the audience rules cost per visitor? A script that prints figures.

    python benchmarks/audiences.py --db sqlite [--visitors 200] [--calls 200]
    python benchmarks/audiences.py --db postgres

Django is configured in-process (tests/settings.py with a file-based SQLite in a temporary
directory, or a throwaway PostgreSQL from tests/servers.py). For each combination of rule
count and activity rows per visitor, it seeds the rules (one of every kind, repeated) and
``--visitors`` visitors' activity over the last 30 days, then times ``newly_matched()`` for
visitors who match nothing (the worst case: every rule is evaluated and stays open) and
counts its queries. Repeated rule shapes share one SQL aggregate; ``--distinct`` gives
every rule its own period so that each costs its own. Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One rule of each kind that the seeded activity never satisfies.
RULES = [
    {"kind": "url_visits", "url_pattern": "/offers/*/summer", "min_count": 1000},
    {"kind": "viewed_product", "product_ids": "1, 2, 3", "min_count": 1000},
    {"kind": "viewed_category", "category": "Tea", "min_count": 1000},
    {"kind": "cart_without_purchase", "days": 1},
    {"kind": "engaged", "min_seconds": 86400},
]
KINDS = ["page_view", "page_view", "view_item", "view_item_list", "engagement", "add_to_cart"]


def configure(databases: dict) -> None:
    import django
    from django.conf import settings

    from tests import settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    settings.configure(**(values | {"DATABASES": databases}))
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed(rules: int, rows: int, visitors: int, now, distinct: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    from remarket.people.activity import Activity
    from remarket.tracking.audiences import forget_rules
    from remarket.tracking.models import AudienceMatch, AudienceRule

    AudienceMatch.objects.all().delete()
    AudienceRule.objects.all().delete()
    Activity.objects.all().delete()
    # Repeated shapes share one aggregate (same condition, same period); --distinct gives
    # every rule its own period, so every rule costs its own aggregate.
    AudienceRule.objects.bulk_create(
        AudienceRule(
            name=f"rule-{n}",
            **{**RULES[n % len(RULES)], **({"days": 1 + n // len(RULES)} if distinct else {})},
        )
        for n in range(rules)
    )
    ids = [f"bench-{rules}-{rows}-{v}" for v in range(visitors)]
    batch = []
    for visitor in ids:
        for n in range(rows):
            kind = KINDS[n % len(KINDS)]
            batch.append(
                Activity(
                    visitor_id=visitor,
                    kind=kind,
                    product_id=str(100 + n % 50),
                    data={"path": f"/p/{n % 50}/", "category": "Coffee", "seconds": 5},
                    created_at=now - timedelta(minutes=n * 30 * 24 * 60 // max(rows, 1)),
                )
            )
            if kind == "add_to_cart":  # bought right after: no cart-abandoner match
                batch.append(
                    Activity(visitor_id=visitor, kind="purchase", created_at=batch[-1].created_at)
                )
        if len(batch) >= 5000:
            Activity.objects.bulk_create(batch)
            batch = []
    Activity.objects.bulk_create(batch)
    forget_rules()  # bulk_create sends no post_save: drop the process's cached rules
    return ids


def measure(rules: int, rows: int, visitors: int, calls: int, distinct: bool) -> dict:
    from django.db import connection
    from django.utils import timezone

    from remarket.tracking.audiences import newly_matched

    now = timezone.now()
    ids = seed(rules, rows, visitors, now, distinct)
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    timings = []
    with connection.execute_wrapper(count):
        for n in range(calls):
            started = time.perf_counter()
            assert newly_matched(ids[n % len(ids)], now) == []
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": sorted(timings)[int(len(timings) * 0.95) - 1],
        "queries": queries / calls,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--distinct", action="store_true", help="every rule its own period")
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

        print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, {args.db}")
        print(
            f"visitors={args.visitors} calls={args.calls} distinct={args.distinct} "
            "(no call matches: worst case)"
        )
        print("rules | activity rows/visitor | median ms | p95 ms | queries/call")
        for rules in (1, 20, 100):
            for rows in (50, 1000):
                r = measure(rules, rows, args.visitors, args.calls, args.distinct)
                print(
                    f"{rules:5} | {rows:21} | {r['median_ms']:9.2f} | {r['p95_ms']:6.2f} | "
                    f"{r['queries']:.0f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

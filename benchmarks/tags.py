"""What does retargeting cost a page? A script that prints figures (not a test).

    pip install --group bench   # django-analytical, for the comparison only
    python benchmarks/tags.py [--n 2000]

1. ``{% remarket_head %}`` with Meta + Google (Ads and GA4) enabled, for a visitor who
   accepted the banner, with one queued ``add_to_cart`` event, against django-analytical's
   ``{% facebook_pixel_head %}{% google_analytics_gtag %}`` in the same process: with no
   audience rules; with rules this page does not concern (a page-visit rule for /offers/,
   a viewed-product rule); with a page-visit rule counting this page (the page view's
   INSERT and one evaluation, for a new visitor each time). "track() + tag" also times the
   ``track()`` call that queued the event (its INSERT belongs to the add-to-cart view);
   the "render only" line builds the same output without the database or the session.
2. ``TrackingMiddleware`` around a bare view, against the bare view alone: a visitor
   without consent, a consenting visitor with a cookie, a returning one who also has
   Meta's ``_fbp`` cookie, and a landing with click ids.

Django is configured in-process from tests/settings.py with an in-memory SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = {
    "meta": {"pixel_id": "123456789012345"},
    "google": {"ads_id": "AW-123456789", "measurement_id": "G-ABC123DEF4"},
}


def configure() -> None:
    import django
    from django.conf import settings

    sys.path.insert(0, str(ROOT))
    from tests import settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values["INSTALLED_APPS"] = [*values["INSTALLED_APPS"], "analytical"]
    values["REMARKET"] = {**values["REMARKET"], "PROVIDERS": PROVIDERS}
    values["FACEBOOK_PIXEL_ID"] = "123456789012345"
    values["GOOGLE_ANALYTICS_GTAG_PROPERTY_ID"] = "G-ABC123DEF4"
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def best(fn: Callable[[], object], n: int, rounds: int = 5) -> float:
    """Microseconds per call: the best of ``rounds`` runs of ``n`` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n * 1e6)
    return min(times)


def paired(base: Callable[[], object], fn: Callable[[], object], n: int) -> tuple[float, float]:
    """(base, fn) microseconds per call, alternating rounds so load hits both alike."""
    pairs = [(best(base, n, 1), best(fn, n, 1)) for _ in range(5)]
    return min(p[0] for p in pairs), min(p[1] for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="calls per round (best of 5)")
    n = parser.parse_args().n
    configure()

    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.http import HttpResponse
    from django.template import Context, Template
    from django.test import RequestFactory

    from remarket.tracking import page, render
    from remarket.tracking.audiences import active_rules
    from remarket.tracking.events import ConsentState
    from remarket.tracking.identity import new_visitor_id
    from remarket.tracking.middleware import TrackingMiddleware
    from remarket.tracking.models import AudienceRule
    from remarket.tracking.providers import enabled_providers
    from remarket.tracking.queue import build_event, encode, enqueue, track

    factory = RequestFactory()
    consenting = {"remarket_consent": "granted.bench", "remarket_id": "B" * 22}
    returning = {**consenting, "_fbp": "fb.1.1700000000000.123456789"}

    def request(path: str = "/p/mug/", cookies: dict | None = None):
        req = factory.get(path)
        req.COOKIES.update(cookies or {})
        req.session, req.user = SessionStore(), AnonymousUser()
        return req

    remarket_tpl = Template("{% load remarket %}{% remarket_head %}")
    analytical_tpl = Template(
        "{% load facebook_pixel google_analytics_gtag %}"
        "{% facebook_pixel_head %}{% google_analytics_gtag %}"
    )
    item = {"id": "sku-1", "name": "Sand Mug", "price": "16.00"}

    def track_and_head() -> str:
        req = request(cookies=consenting)
        track(req, "add_to_cart", item=item)
        return remarket_tpl.render(Context({"request": req}))

    def remarket_head(visitor: str = "B" * 22) -> str:
        req = request(cookies={**consenting, "remarket_id": visitor})
        enqueue(req, {"event": encode(build_event("add_to_cart", item=item))})
        return remarket_tpl.render(Context({"request": req}))

    def remarket_render_only() -> str:
        providers = enabled_providers()
        event = build_event("add_to_cart", item=item)
        calls = [
            *page.head_calls(providers, ConsentState.granted()),
            *page.event_calls(providers, [event]),
        ]
        code = "\n".join([*(p.stub() for p in providers), render.calls_js(calls)])
        urls = [p.script_url() for p in providers]
        return render.inline_script(code, None) + render.script_tags(urls, None)

    def analytical_head() -> str:
        return analytical_tpl.render(Context({"request": request()}))

    def rules(*specs: dict) -> None:
        AudienceRule.objects.all().delete()
        for number, spec in enumerate(specs):
            AudienceRule.objects.create(name=f"rule-{number}", **spec)
        active_rules()  # pages after the first find them in the process cache

    print(
        f"Output sizes: remarket {len(remarket_head())} chars (with one event), "
        f"django-analytical {len(analytical_head())} chars (no events)"
    )
    rows = [("django-analytical facebook_pixel_head + gtag", best(analytical_head, n))]
    rules()
    rows += [
        ("remarket_head, 1 queued event, no audience rules", best(remarket_head, n)),
        ("track() + remarket_head, no audience rules", best(track_and_head, n)),
    ]
    rules(
        {"kind": "url_visits", "url_pattern": "/offers/", "min_count": 3, "days": 7},
        {"kind": "viewed_product", "product_ids": "12, 57"},
    )
    rows.append(("remarket_head, rules this page does not concern", best(remarket_head, n)))
    rules({"kind": "url_visits", "url_pattern": "/p/*", "min_count": 3, "days": 7})
    rows.append(
        (
            "remarket_head, a rule counts this page (INSERT + evaluation)",
            best(lambda: remarket_head(new_visitor_id()), max(n // 4, 50)),
        )
    )
    rules()
    rows.append(("remarket_head output, render only (no database)", best(remarket_render_only, n)))
    base = rows[0][1]
    print(f"\n{'template tags (Meta + Google)':62} {'us/render':>10} {'vs analytical':>14}")
    for label, micro in rows:
        print(f"{label:62} {micro:10.1f} {micro / base:13.2f}x")

    def bare(req):
        return HttpResponse("<p>bare</p>")

    wrapped = TrackingMiddleware(bare)
    cases = [
        ("no consent (required mode)", "/p/mug/", {}),
        ("consenting visitor with a cookie", "/p/mug/", consenting),
        ("returning consenting visitor (cookie + _fbp)", "/p/mug/", returning),
        ("landing with gclid + utm (one UPDATE)", "/p/mug/?gclid=abc&utm_source=x", consenting),
    ]
    print(
        f"\n{'middleware (request built in both)':60} {'bare us':>8} {'with us':>8} "
        f"{'extra us':>9} {'ratio':>6}"
    )
    for label, path, cookies in cases:
        bare_us, micro = paired(
            lambda p=path, c=cookies: bare(request(p, c)),
            lambda p=path, c=cookies: wrapped(request(p, c)),
            n,
        )
        print(
            f"{label:60} {bare_us:8.1f} {micro:8.1f} {micro - bare_us:9.1f} {micro / bare_us:5.2f}x"
        )
    # The median of single calls hides GC pauses; the best-of-5 above is the figure to use.
    samples = [best(lambda: wrapped(request(cookies=returning)), 1, 1) for _ in range(200)]
    print(f"\nmedian single call, returning visitor: {statistics.median(samples):.1f} us")


if __name__ == "__main__":
    main()

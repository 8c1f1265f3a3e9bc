"""remarket on a django-oscar shop, start to finish: ``make demo-oscar`` runs this script.

A guest fills an Oscar basket, gives an email at Oscar's checkout and leaves; the tick
emails them (the email is printed and kept in var/oscar/mail); the link in it restores the
basket in a fresh browser through Oscar's basket cookie; the guest applies the email's
voucher and orders through Oscar's OrderCreator; the next tick records the conversion.
Every request goes through Oscar's real views (Django's test client); the clock is moved
forward with time-machine so the idle hour passes in a second. SQLite, nothing to start.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDLE = timedelta(hours=1)


def setup() -> None:
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != here)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_oscar.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    say("Migrating the SQLite database (the first run takes a minute: Oscar has many apps)")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("check", fail_level="ERROR")


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def flow_live() -> None:
    """The abandoned-cart starter flow, live: first email after an idle hour, 10 % off."""
    import io

    from django.core.management import call_command

    from remarket.flows.models import ConsentPolicy, Flow, FlowStatus

    call_command("remarket_starter_flows", stdout=io.StringIO())
    flow = Flow.objects.get(slug="abandoned-cart")
    flow.status = FlowStatus.LIVE
    flow.trigger_settings = {"idle_minutes": int(IDLE.total_seconds() // 60)}
    flow.consent_policy = ConsentPolicy.ANY_EMAIL  # the guest ticked nothing: demo only
    flow.save()
    first = flow.steps.get(position=1)
    if "coupon.code" not in first.body:
        first.body += (
            "{% if coupon %}<p>10 % off with <strong>{{ coupon.code }}</strong></p>{% endif %}"
        )
    first.coupon_kind, first.coupon_value, first.coupon_days = "percent", 10, 3
    first.save()


def story(clock) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from oscar.core.loading import get_model

    from example_oscar.shop import place_order, seed_catalogue
    from remarket.flows.models import Enrollment
    from remarket.flows.tick import run_tick
    from remarket.insights.models import Conversion

    Basket = get_model("basket", "Basket")
    products = seed_catalogue()
    flow_live()
    run = _run_number()
    email = f"guest{run}@example.com"

    say(f"A guest adds two teas to an Oscar basket and gives {email} at checkout")
    guest = Client()
    guest.post(reverse("basket:add", args=[products["Sencha Superior"].pk]), {"quantity": 2})
    guest.post(reverse("basket:add", args=[products["Earl Grey"].pk]), {"quantity": 1})
    guest.post(reverse("checkout:index"), {"username": email, "options": "anonymous"})
    basket = Basket.objects.filter(owner=None).latest("pk")
    print(f"Basket #{basket.pk}: {', '.join(str(line.product) for line in basket.lines.all())}")
    print("The guest closes the tab.")

    say("An hour later: the tick finds the idle basket and sends the reminder")
    clock.shift(IDLE + timedelta(minutes=1))
    report = run_tick()
    print(f"Enrolled {report.enrolled}, sent {report.sent}.")
    mail_file = max(Path(settings.EMAIL_FILE_PATH).glob("*.log"), key=os.path.getmtime)
    text = _text_part(mail_file.read_bytes())
    print(f"--- {_shown(mail_file)} (text part) ---\n{text.strip()}\n---")

    say("The guest opens the link in another browser: the basket comes back")
    link = re.search(r"(/remarket/r/[^\s\"<)>\]]+)", text).group(1)
    browser = Client()
    response = browser.get(link)
    print(f"GET {link[:40]}... -> {response.status_code} {response.url}")
    page = browser.get(response.url).content.decode()
    shown = [title for title in products if f">{title}<" in page]
    print(f"Oscar's basket page, in a browser that never saw the shop, lists: {', '.join(shown)}")

    code = re.search(r"\b(RM-[A-Z0-9]{8})\b", text).group(1)
    say(f"The guest applies the email's voucher {code} and orders")
    browser.post(reverse("basket:vouchers-add"), {"code": code})
    basket.refresh_from_db()
    order = place_order(basket, email=email)
    print(f"Order {order.number}: {order.total_incl_tax} {order.currency} (10 % off)")

    say("The next tick sees the order")
    clock.shift(timedelta(minutes=2))
    run_tick()
    enrollment = Enrollment.objects.filter(contact__email=email).get()
    conversion = Conversion.objects.get(order_key=str(order.pk))
    print(f"Enrollment: {enrollment.state} ({enrollment.exit_reason}).")
    print(
        f"Conversion: {conversion.value} {conversion.currency} credited to flow "
        f"{conversion.flow.slug!r} by {conversion.rule}."
    )
    print(f"\nEmails are kept in {_shown(Path(settings.EMAIL_FILE_PATH))}/.")


def _run_number() -> int:
    from remarket.people.models import Contact

    return Contact.objects.filter(email__startswith="guest").count() + 1


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _text_part(raw: bytes) -> str:
    message = message_from_bytes(raw.split(b"\n-----", 1)[0], policy=policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


def main() -> None:
    setup()
    import time_machine
    from django.db.models import Max
    from django.utils import timezone

    from remarket.flows.models import Cursor

    # Each run's story starts after the last run's: its tick cursors are in that future.
    last = Cursor.objects.aggregate(last=Max("position"))["last"]
    start = max(timezone.now(), last + IDLE) if last else timezone.now()
    with time_machine.travel(start, tick=True) as clock:
        story(clock)


if __name__ == "__main__":
    main()

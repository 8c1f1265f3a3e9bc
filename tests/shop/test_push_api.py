"""The push API: validated, idempotent, and read by the tick like any other shop."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from remarket.exceptions import InvalidPush
from remarket.flows.models import ConsentPolicy, Enrollment, EnrollmentState, ExitReason
from remarket.flows.tick import run_tick
from remarket.insights.models import Conversion
from remarket.shop import CartState, get_adapter
from remarket.shop.api import cart_updated, order_placed
from remarket.shop.models import PushedCart, PushedOrder
from tests.flows.conftest import make_flow

NOON = datetime.fromisoformat("2026-03-02T12:00:00+00:00")
SITE = "https://shop.example"
LINES = [
    {"product_id": "sku-1", "name": "Ca phe sua da", "quantity": 2, "unit_price": "3.50"},
    {"product_id": "sku-2", "name": "Banh mi", "quantity": 1, "unit_price": 4},
]


@pytest.fixture
def pushed(settings: Any) -> None:
    settings.REMARKET = {
        "SHOP_ADAPTER": "remarket.shop.api.PushAdapter",
        "SITE_URL": SITE,
        "CURRENCY": "EUR",
        "QUIET_HOURS": None,
    }


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-address"}, "email is 'not-an-address', which is not a valid email"),
        ({"currency": "euro"}, "currency is 'euro', not a three-letter code"),
        ({"lines": "sku-1"}, "lines is 'sku-1'; give a list of line mappings"),
        ({"lines": [{**LINES[0], "quantity": 0}]}, "lines[0]['quantity'] is 0, not a whole"),
        ({"lines": [{**LINES[0], "colour": "red"}]}, "lines[0] has unknown keys colour"),
        ({"lines": [{"product_id": "x", "name": "y"}]}, "lines[0] lacks quantity, unit_price."),
        ({"lines": [{**LINES[0], "unit_price": "-1"}]}, "it must be a number of at least 0"),
        ({"updated_at": datetime(2026, 3, 2, 12)}, "give a timezone-aware datetime"),
        ({"updated_at": "yesterday"}, "updated_at is 'yesterday'; give a datetime or an ISO"),
        ({"recover_url": "/cart/"}, "give the absolute http(s) address"),
        ({"consent": "yes"}, "consent is 'yes'; give True, False or None"),
        ({"lines": [{**LINES[0], "unit_price": "NaN"}]}, "lines[0]['unit_price'] is 'NaN'"),
        ({"lines": [{**LINES[0], "unit_price": "sNaN"}]}, "lines[0]['unit_price'] is 'sNaN'"),
        ({"lines": [{**LINES[0], "unit_price": float("nan")}]}, "at least 0"),
        ({"lines": [{**LINES[0], "unit_price": "Infinity"}]}, "is 'Infinity'; it must be"),
        ({"lines": [{**LINES[0], "unit_price": float("inf")}]}, "at least 0"),
        ({"total": "-Infinity"}, "total is '-Infinity'; it must be a number of at least 0"),
        ({"total": Decimal("NaN")}, "total is Decimal('NaN'); it must be"),
        ({"lines": [{**LINES[0], "unit_price": "1e30"}]}, "lines[0]['unit_price'] is '1e30'"),
        ({"lines": [{**LINES[0], "unit_price": "1e30"}]}, "at most 14 digits before"),
        ({"total": "100000000000000"}, "total is '100000000000000'; it must be less than"),
        ({"lines": [{**LINES[0], "unit_price": "0.123456789"}]}, "at most 4 decimal places"),
        ({"lines": [{**LINES[0], "unit_price": "1e-5"}]}, "lines[0]['unit_price'] is '1e-5'"),
        ({"total": "19.90001"}, "total is '19.90001'; give at most 4 decimal places"),
        ({"lines": [{**LINES[0], "quantity": 10**14}]}, "total is 350000000000000.00 (the sum"),
        ({"lines": [{**LINES[0], "quantity": 10**10**6}]}, "total, the sum of the lines, is"),
    ],
)
def test_bad_cart_data_is_refused_with_the_field_named(changes, message):
    with pytest.raises(InvalidPush) as raised:
        cart_updated("c-1", **{"lines": LINES, "email": "an@example.com", **changes})
    assert message in str(raised.value)
    assert not PushedCart.objects.exists()
    with pytest.raises(InvalidPush, match="key is ''; it must be 1 to 128 characters"):
        order_placed("", lines=LINES)
    assert not PushedOrder.objects.exists()


@pytest.mark.django_db
def test_pushes_are_idempotent_and_out_of_order_news_is_ignored(clock):
    first = cart_updated("c-1", lines=LINES, email=" An@Example.com ", currency="EUR")
    assert (first.created, first.changed) == (True, True)
    assert first.snapshot.total == Decimal("11.00")
    assert first.snapshot.email == "an@example.com"
    row = PushedCart.objects.get()

    clock.shift(timedelta(minutes=5))  # a webhook retried later: the same news
    again = cart_updated("c-1", lines=LINES, email="an@example.com", currency="EUR")
    assert (again.created, again.changed) == (False, False)
    assert PushedCart.objects.get().updated_at == row.updated_at
    assert get_adapter_cart("c-1").last_activity == NOON

    # An older update arriving late changes nothing; a newer one does.
    stale = cart_updated("c-1", lines=LINES[:1], updated_at=NOON - timedelta(hours=1))
    assert not stale.changed
    newer = cart_updated("c-1", lines=LINES[:1], email="an@example.com")
    assert newer.changed
    assert get_adapter_cart("c-1").item_count == 2
    assert get_adapter_cart("c-1").last_activity == NOON + timedelta(minutes=5)

    # Emptied: the cart is gone, not abandoned.
    cart_updated("c-1", lines=[], email="an@example.com")
    assert get_adapter_cart("c-1").state is CartState.GONE

    placed = order_placed("o-1", lines=LINES, email="an@example.com", cart_key="c-1")
    repeat = order_placed("o-1", lines=LINES[:1], email="other@example.com", total="1")
    assert (placed.created, repeat.created, repeat.changed) == (True, False, False)
    assert repeat.snapshot == placed.snapshot
    assert PushedOrder.objects.count() == 1
    assert get_adapter_cart("c-1").state is CartState.ORDERED
    assert not cart_updated("c-1", lines=LINES, email="an@example.com").changed


@pytest.mark.django_db
def test_amounts_that_fit_the_columns_are_stored_exactly():
    lines = [{**LINES[0], "unit_price": "0.1234"}, {**LINES[1], "unit_price": "99999999999.5"}]
    pushed = cart_updated("c-1", lines=lines, email="an@example.com")
    assert pushed.snapshot.total == Decimal("99999999999.5") + 2 * Decimal("0.1234")
    row = PushedCart.objects.get()
    assert row.total == pushed.snapshot.total
    assert get_adapter_cart("c-1").lines[0].unit_price == Decimal("0.1234")
    placed = order_placed("o-1", lines=lines, total="9999999999.9999")
    assert PushedOrder.objects.get().total == placed.snapshot.total
    assert order_placed("o-2", lines=LINES, total="1.50000").snapshot.total == Decimal("1.5")
    with pytest.raises(InvalidPush, match=r"lines\[1\]\['unit_price'\] is '0.00001'"):
        order_placed("o-3", lines=[LINES[0], {**LINES[1], "unit_price": "0.00001"}])
    assert PushedOrder.objects.count() == 2


def get_adapter_cart(key: str):
    from remarket.shop.api import PushAdapter

    return PushAdapter().get_cart(key)


@pytest.mark.django_db
def test_a_pushed_cart_is_emailed_recovered_and_converted(pushed, clock):
    flow = make_flow(
        settings={"idle_minutes": 60},
        delays=(timedelta(0), timedelta(days=1)),
        consent_policy=ConsentPolicy.ANY_EMAIL,
    )
    flow.steps.filter(position=1).update(
        body="<p>{% for line in cart.lines %}{{ line.name }};{% endfor %}</p>"
        '<a href="{{ links.cart_url }}">Back to your cart</a>'
    )
    cart_updated(
        "chk-42",
        lines=LINES,
        email="binh@example.com",
        recover_url=f"{SITE}/cart/?checkout=chk-42",
    )
    clock.shift(timedelta(minutes=61))
    assert run_tick().sent == 1
    [email] = mail.outbox
    assert email.to == ["binh@example.com"]
    assert "Ca phe sua da;Banh mi;" in email.body
    link = re.search(r"https://shop\.example(/remarket/r/[^\s\"<)]+)", email.body).group(1)
    response = Client().get(link)
    assert response.status_code == 302
    assert response.url == f"{SITE}/cart/?checkout=chk-42"

    # The order arrives late (pushed after the tick already passed its placed_at).
    clock.shift(timedelta(minutes=10))
    run_tick()
    order_placed(
        "1042",
        lines=LINES,
        email="binh@example.com",
        total="9.90",
        placed_at=NOON + timedelta(minutes=65),
        cart_key="chk-42",
    )
    clock.shift(timedelta(minutes=2))
    report = run_tick()
    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.exit_reason) == (
        EnrollmentState.EXITED,
        ExitReason.ORDERED,
    )
    conversion = Conversion.objects.get()
    assert (conversion.order_key, conversion.value, conversion.currency) == (
        "1042",
        Decimal("9.90"),
        "EUR",
    )
    assert conversion.flow == flow
    assert report.flows[flow.slug].converted == 1


@pytest.mark.django_db
def test_push_adapter_reads_in_one_query_per_batch(pushed, clock, django_assert_num_queries):
    for n in range(7):
        cart_updated(f"c-{n}", lines=LINES, email=f"p{n}@example.com")
        order_placed(f"o-{n}", lines=LINES[:1], email=f"p{n}@example.com", cart_key=f"c-{n}")
    for n in range(7, 12):
        cart_updated(f"c-{n}", lines=LINES, email=f"p{n}@example.com")
    adapter = get_adapter()
    with django_assert_num_queries(2):  # two batches of 3 (5 open carts)
        batches = list(adapter.idle_carts(NOON, batch_size=3))
    assert [len(b) for b in batches] == [3, 2]
    with django_assert_num_queries(1):
        assert len(adapter.get_carts([f"c-{n}" for n in range(12)])) == 12
    assert adapter.customer_stats(emails=["P1@example.com"])["p1@example.com"].orders == 1
    assert adapter.purchased_product_ids("p1@example.com") == {"sku-1"}
    assert adapter.order_for_cart("c-3").key == "o-3"


def _signed(client: Client, event: dict) -> Any:
    body = json.dumps(event).encode()
    signature = "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
    return client.post(
        "/hooks/shop/", body, content_type="application/json", HTTP_X_SHOP_SIGNATURE=signature
    )


@pytest.mark.django_db
def test_the_readme_webhook_checks_its_signature_and_reports_bad_data(settings, pushed):
    settings.ROOT_URLCONF = "tests.shop.push_webhook"
    settings.SHOP_WEBHOOK_SECRET = "hook-secret"
    event = {
        "type": "checkout_updated",
        "data": {
            "token": "chk-7",
            "email": "chi@example.com",
            "currency": "EUR",
            "updated_at": "2026-03-02T11:00:00+00:00",
            "lines": [{"sku": "sku-1", "name": "Tra", "quantity": 1, "unit_price": "2.00"}],
        },
    }
    client = Client()
    forged = client.post(
        "/hooks/shop/", event, content_type="application/json", HTTP_X_SHOP_SIGNATURE="sha256=0"
    )
    assert forged.status_code == 401
    assert not PushedCart.objects.exists()
    assert _signed(client, event).status_code == 204
    assert _signed(client, event).status_code == 204  # a retry: nothing changes
    cart = PushedCart.objects.get()
    assert (cart.key, cart.email, cart.total) == ("chk-7", "chi@example.com", Decimal("2.00"))
    event["data"]["email"] = "chi at example"
    response = _signed(client, event)
    assert response.status_code == 400
    assert "not a valid email address" in response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("lines", [LINES, []])
def test_a_cart_pushed_after_its_order_is_closed_and_not_emailed(pushed, clock, lines):
    flow = make_flow(
        settings={"idle_minutes": 60},
        delays=(timedelta(0), timedelta(days=1)),
        consent_policy=ConsentPolicy.ANY_EMAIL,
    )
    placed = order_placed("o-1", lines=LINES, email="an@example.com", cart_key="c-1")
    assert placed.created
    # The cart's last webhook (from before the order) arrives after it.
    late = cart_updated(
        "c-1", lines=lines, email="an@example.com", updated_at=NOON - timedelta(minutes=2)
    )
    assert (late.created, late.snapshot.state) == (True, CartState.ORDERED)
    assert PushedCart.objects.get().state == CartState.ORDERED
    assert get_adapter_cart("c-1").state is CartState.ORDERED
    # Another late one (or a retry) changes nothing: the order closed it for good.
    assert not cart_updated("c-1", lines=LINES[:1], email="an@example.com").changed
    # The normal order next to it: cart first, then order.
    cart_updated("c-2", lines=LINES, email="bo@example.com", updated_at=NOON - timedelta(hours=1))
    order_placed("o-2", lines=LINES, email="bo@example.com", cart_key="c-2")
    assert get_adapter_cart("c-2").state is CartState.ORDERED
    cart_updated("c-3", lines=LINES, email="cy@example.com", updated_at=NOON - timedelta(hours=1))
    clock.shift(timedelta(minutes=61))
    assert run_tick().sent == 1  # only the cart with no order
    assert [email.to for email in mail.outbox] == [["cy@example.com"]]
    assert Enrollment.objects.get().flow == flow


@pytest.mark.django_db
def test_an_open_cart_whose_order_exists_is_closed_even_by_older_news(clock):
    cart_updated("c-1", lines=LINES, email="an@example.com")
    order_placed("o-1", lines=LINES, cart_key="c-1")
    # As if the two had raced and the cart had stayed open beside its order.
    PushedCart.objects.update(state=CartState.OPEN.value)
    stale = cart_updated("c-1", lines=LINES[:1], updated_at=NOON - timedelta(hours=1))
    assert stale.changed
    assert stale.snapshot.state is CartState.ORDERED
    assert stale.snapshot.item_count == 3  # the stored lines, not the stale ones
    assert get_adapter_cart("c-1").state is CartState.ORDERED

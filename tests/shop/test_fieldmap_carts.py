"""The field-map adapter's cart operations, on both shop shapes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from remarket.exceptions import CartNotFound
from remarket.shop import CartState, get_adapter
from tests.shapes import make_user

pytestmark = pytest.mark.django_db


def idle(adapter, since, **kwargs):
    return [cart for batch in adapter.idle_carts(since, **kwargs) for cart in batch]


def test_idle_exactly_at_the_threshold_counts(shape, adapter):
    threshold = timezone.now() - timedelta(hours=1)
    on_time = shape.cart(email="on@example.com", touched=threshold)
    shape.cart(email="late@example.com", touched=threshold + timedelta(microseconds=1))

    found = idle(adapter, threshold)

    assert [c.key for c in found] == [shape.key(on_time)]
    assert found[0].last_activity == threshold
    assert found[0].state is CartState.OPEN


def test_active_after_leaves_out_carts_abandoned_long_ago(shape, adapter):
    now = timezone.now()
    shape.cart(email="old@example.com", touched=now - timedelta(days=30))
    recent = shape.cart(email="recent@example.com", touched=now - timedelta(hours=2))

    found = idle(adapter, now - timedelta(hours=1), active_after=now - timedelta(days=7))

    assert [c.key for c in found] == [shape.key(recent)]


def test_a_cart_with_an_order_is_not_idle(shape, adapter):
    cart = shape.cart(email="buyer@example.com", touched=timezone.now() - timedelta(hours=2))
    order = shape.order(cart=cart)

    assert idle(adapter, timezone.now()) == []
    assert adapter.cart_state(shape.key(cart)) is CartState.ORDERED
    assert not adapter.is_recoverable(shape.key(cart))
    converted = adapter.order_for_cart(shape.key(cart))
    assert converted.key == shape.key(order)
    assert converted.cart_key == shape.key(cart)


def test_an_empty_cart_is_not_idle_and_is_gone(shape, adapter):
    cart = shape.cart(email="empty@example.com", items=[], touched=timezone.now())

    assert idle(adapter, timezone.now()) == []
    assert adapter.cart_state(shape.key(cart)) is CartState.GONE


def test_a_cart_without_an_email_waits_until_one_is_captured(shape, adapter):
    cart = shape.cart(touched=timezone.now() - timedelta(hours=2))
    assert idle(adapter, timezone.now()) == []

    adapter.capture_email(shape.key(cart), "  Guest@Example.COM ")

    [found] = idle(adapter, timezone.now())
    assert found.key == shape.key(cart)
    assert found.email == "guest@example.com"
    assert adapter.get_cart(shape.key(cart)).email == "guest@example.com"


def test_an_email_only_on_the_user_is_used(shape, adapter):
    user = make_user(email="Member@Example.com")
    cart = shape.cart(user=user, touched=timezone.now() - timedelta(hours=2))

    [found] = idle(adapter, timezone.now())

    assert found.key == shape.key(cart)
    assert found.email == "member@example.com"
    assert found.user_id == str(user.pk)


def test_a_user_without_an_email_gives_no_known_email(shape, adapter):
    shape.cart(user=make_user(email=""), touched=timezone.now() - timedelta(hours=2))

    assert idle(adapter, timezone.now()) == []


def test_a_guest_cart_merged_into_the_users_cart_follows_it(shape, adapter):
    user = make_user(email="ann@example.com")
    earlier = timezone.now() - timedelta(hours=3)
    guest = shape.cart(email="ann@example.com", touched=earlier)
    mine = shape.cart(user=user, touched=earlier + timedelta(minutes=5), items=[])
    shape.merge(guest, into=mine)

    found = idle(adapter, timezone.now())

    assert [c.key for c in found] == [shape.key(mine)]
    followed = adapter.get_cart(shape.key(guest))
    assert followed.key == shape.key(mine)
    assert followed.state is CartState.OPEN
    assert len(followed.lines) == 1
    assert adapter.get_cart(shape.key(guest), follow_merges=False).state is CartState.GONE
    assert adapter.is_recoverable(shape.key(guest))


def test_mixed_case_duplicate_emails_are_one_address(shape, adapter):
    shape.cart(email="Dup@Example.com", touched=timezone.now() - timedelta(hours=3))
    shape.cart(email=" dup@EXAMPLE.com", touched=timezone.now() - timedelta(hours=2))

    found = idle(adapter, timezone.now())

    assert {c.email for c in found} == {"dup@example.com"}
    assert len(found) == 2


def test_snapshot_carries_lines_prices_links_and_currency(shape, adapter):
    mug = shape.product(title="Sand mug", price="12.50")
    beans = shape.product(title="Colombia beans", price="9.90")
    cart = shape.cart(email="a@example.com", items=[(mug, 2), (beans, 1)], name="Ann")

    snap = adapter.get_cart(shape.key(cart))

    assert [(line.name, line.quantity, line.unit_price) for line in snap.lines] == [
        ("Sand mug", 2, Decimal("12.50")),
        ("Colombia beans", 1, Decimal("9.90")),
    ]
    assert snap.total == Decimal("34.90")
    assert snap.currency == shape.currency
    assert snap.lines[0].product_id == shape.key(mug)
    if shape.name == "basket":
        assert snap.lines[0].product_url == f"http://127.0.0.1:8000/p/{mug.slug}/"
        assert snap.name == "Ann"


def test_snapshot_survives_a_json_round_trip(shape, adapter):
    from remarket.shop import CartSnapshot

    cart = shape.cart(email="json@example.com")
    snap = adapter.get_cart(shape.key(cart))

    assert CartSnapshot.from_json(snap.as_json()) == snap


def test_a_missing_or_malformed_key_is_gone(shape, adapter):
    for key in ["999999", "not-a-key", "00000000000000000000000000000000"]:
        with pytest.raises(CartNotFound):
            adapter.get_cart(key)
        assert adapter.cart_state(key) is CartState.GONE


def test_batches_walk_every_cart_once_in_activity_order(shape, adapter):
    start = timezone.now() - timedelta(days=1)
    same_time = start + timedelta(minutes=1)
    carts = [shape.cart(email=f"c{i}@example.com", touched=same_time) for i in range(5)]
    carts.append(shape.cart(email="first@example.com", touched=start))

    batches = list(adapter.idle_carts(timezone.now(), batch_size=2))

    assert [len(b) for b in batches] == [2, 2, 2]
    keys = [c.key for batch in batches for c in batch]
    assert keys[0] == shape.key(carts[-1])
    assert sorted(keys) == sorted(shape.key(c) for c in carts)


@pytest.mark.parametrize("count", [50, 5_000])
def test_the_scan_costs_the_same_queries_for_50_or_5000_carts(
    shape, adapter, count, django_assert_num_queries
):
    shape.bulk_carts(count, touched=timezone.now() - timedelta(hours=2))

    # One batch: the carts, their lines (with products), captured emails.
    with django_assert_num_queries(3):
        found = idle(adapter, timezone.now(), batch_size=10_000)

    assert len(found) == count
    assert found[0].email.startswith("bulk")


def test_queries_per_batch_do_not_grow_with_the_number_of_batches(
    shape, adapter, django_assert_max_num_queries
):
    shape.bulk_carts(1_000, touched=timezone.now() - timedelta(hours=2))

    # Three per batch, plus one that finds the end after the last full batch.
    with django_assert_max_num_queries(3 * 10 + 1):
        batches = list(adapter.idle_carts(timezone.now(), batch_size=100))

    assert len(batches) == 10


def test_without_an_open_filter_the_order_link_decides(shape, settings):
    settings.REMARKET = {**shape.settings, "CART": {**shape.settings["CART"], "open": None}}
    adapter = get_adapter()
    cart = shape.cart(email="x@example.com", touched=timezone.now() - timedelta(hours=2))
    other = shape.cart(email="y@example.com", touched=timezone.now() - timedelta(hours=2))
    shape.order(cart=other)

    assert [c.key for c in idle(adapter, timezone.now())] == [shape.key(cart)]
    assert adapter.get_carts([shape.key(cart), shape.key(other), "404"]) == {
        shape.key(cart): adapter.get_cart(shape.key(cart)),
        shape.key(other): adapter.get_cart(shape.key(other)),
    }
    assert adapter.cart_state(shape.key(other)) is CartState.ORDERED


def test_get_carts_reads_many_carts_in_constant_queries(
    shape, adapter, django_assert_max_num_queries
):
    carts = [shape.cart(email=f"m{i}@example.com") for i in range(20)]
    guest = shape.cart(email="g@example.com")
    shape.merge(guest, into=carts[0])

    with django_assert_max_num_queries(7):  # two rounds: the carts, then merged-into carts
        found = adapter.get_carts([shape.key(c) for c in [*carts, guest]])

    assert len(found) == 21
    assert found[shape.key(guest)].key == shape.key(carts[0])

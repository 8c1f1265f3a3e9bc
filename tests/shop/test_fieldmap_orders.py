"""The field-map adapter's order operations, on both shop shapes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from remarket.shop import OrderSnapshot
from tests.shapes import make_user

pytestmark = pytest.mark.django_db


def placed(adapter, since, **kwargs):
    return [o for batch in adapter.orders_placed_since(since, **kwargs) for o in batch]


def test_orders_placed_since_includes_the_boundary_and_excludes_until(shape, adapter):
    t = timezone.now() - timedelta(hours=1)
    product = shape.product(price="5.00")
    before = shape.order(
        email="a@example.com", placed=t - timedelta(seconds=1), items=[(product, 1)]
    )
    at = shape.order(email="b@example.com", placed=t, items=[(product, 2)])
    later = shape.order(
        email="c@example.com", placed=t + timedelta(minutes=5), items=[(product, 1)]
    )

    found = placed(adapter, t, until=t + timedelta(minutes=5))

    assert [o.key for o in found] == [shape.key(at)]
    assert {o.key for o in placed(adapter, t)} == {shape.key(at), shape.key(later)}
    assert shape.key(before) not in {o.key for o in placed(adapter, t)}


def test_an_order_snapshot_has_total_currency_lines_and_its_cart(shape, adapter):
    mug = shape.product(title="Mug", price="7.25")
    cart = shape.cart(email="Buyer@Example.com", items=[(mug, 2)])
    order = shape.order(cart=cart)

    [snap] = placed(adapter, timezone.now() - timedelta(minutes=1))

    assert snap.key == shape.key(order)
    assert snap.email == "buyer@example.com"
    assert snap.total == Decimal("14.50")
    assert snap.currency == shape.currency
    assert snap.cart_key == shape.key(cart)
    assert [(line.name, line.quantity) for line in snap.lines] == [("Mug", 2)]
    assert OrderSnapshot.from_json(snap.as_json()) == snap


def test_an_order_email_falls_back_to_the_user(shape, adapter):
    user = make_user(email="Owner@Example.com")
    shape.order(user=user, items=[(shape.product(), 1)])

    [snap] = placed(adapter, timezone.now() - timedelta(minutes=1))

    assert snap.email == "owner@example.com"
    assert snap.user_id == str(user.pk)


def test_order_batches_have_constant_queries(shape, adapter, django_assert_max_num_queries):
    product = shape.product()
    for i in range(30):
        shape.order(email=f"o{i}@example.com", items=[(product, 1)])

    # Orders (with user), their lines (with products), per batch; one more finds the end.
    with django_assert_max_num_queries(2 * 3 + 1):
        batches = list(
            adapter.orders_placed_since(timezone.now() - timedelta(hours=1), batch_size=10)
        )

    assert [len(b) for b in batches] == [10, 10, 10]


def test_customer_stats_groups_emails_case_insensitively_in_one_query(
    shape, adapter, django_assert_num_queries
):
    now = timezone.now()
    product = shape.product()
    shape.order(email="Ann@Example.com", placed=now - timedelta(days=90), items=[(product, 1)])
    shape.order(email="ann@example.com ", placed=now - timedelta(days=70), items=[(product, 1)])
    shape.order(email="bob@example.com", placed=now - timedelta(days=3), items=[(product, 1)])

    with django_assert_num_queries(1):
        stats = adapter.customer_stats()

    assert stats["ann@example.com"].orders == 2
    assert stats["bob@example.com"].orders == 1
    assert set(stats) == {"ann@example.com", "bob@example.com"}

    with django_assert_num_queries(1):
        lapsed = adapter.last_order_dates(last_order_before=now - timedelta(days=60))

    assert list(lapsed) == ["ann@example.com"]
    assert abs(lapsed["ann@example.com"] - (now - timedelta(days=70))) < timedelta(seconds=1)
    assert set(adapter.customer_stats(emails=["BOB@example.com"])) == {"bob@example.com"}


def test_order_for_cart_is_none_for_an_open_cart(shape, adapter):
    cart = shape.cart(email="open@example.com")

    assert adapter.order_for_cart(shape.key(cart)) is None

"""The adapter over pushed carts and orders (see :mod:`remarket.shop.api`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, F, Max, Q

from remarket.conf import conf
from remarket.exceptions import CartNotFound, CartRestoreNotSupported, OrderNotFound
from remarket.shop.base import CustomerStats, ShopAdapter, stats_by_email
from remarket.shop.models import PushedCart, PushedOrder
from remarket.shop.snapshots import CartSnapshot, CartState, OrderSnapshot

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


def _cart(row: PushedCart) -> CartSnapshot:
    snapshot = CartSnapshot.from_json(row.snapshot)
    if snapshot.state != row.state or snapshot.email != row.email:
        # The row's columns are the truth (an order closed it, an email was captured).
        snapshot = replace(snapshot, state=CartState(row.state), email=row.email)
    return snapshot


def _order(row: PushedOrder) -> OrderSnapshot:
    return OrderSnapshot.from_json(row.snapshot)


class PushAdapter(ShopAdapter):
    """Carts and orders the shop pushed through :func:`~remarket.shop.api.cart_updated`
    and :func:`~remarket.shop.api.order_placed`, read like any shop's.

    Orders are read by when they *arrived*, so an order pushed minutes after it was placed
    still reaches the tick (its ``placed_at`` is kept for attribution).
    """

    def cart_model(self) -> type[models.Model] | None:
        return None  # the carts live in another system

    def idle_carts(
        self,
        idle_since: datetime,
        *,
        active_after: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[CartSnapshot]]:
        carts = PushedCart.objects.filter(
            state=CartState.OPEN, last_activity__lte=idle_since
        ).exclude(email="")
        if active_after is not None:
            carts = carts.filter(last_activity__gt=active_after)
        for batch in _pages(carts, "last_activity", batch_size or conf.BATCH_SIZE):
            yield [_cart(row) for row in batch]

    def get_cart(self, key: str, *, follow_merges: bool = True) -> CartSnapshot:
        row = PushedCart.objects.filter(key=key).first()
        if row is None:
            raise CartNotFound(f"No pushed cart with key {key!r}.")
        return _cart(row)

    def get_carts(self, keys: Iterable[str]) -> dict[str, CartSnapshot]:
        return {row.key: _cart(row) for row in PushedCart.objects.filter(key__in=list(keys))}

    def order_for_cart(self, key: str) -> OrderSnapshot | None:
        row = PushedOrder.objects.filter(cart_key=key).order_by("received_at", "pk").first()
        return None if row is None else _order(row)

    def orders_placed_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[OrderSnapshot]]:
        orders = PushedOrder.objects.filter(received_at__gte=since)
        if until is not None:
            orders = orders.filter(received_at__lt=until)
        for batch in _pages(orders, "received_at", batch_size or conf.BATCH_SIZE):
            yield [_order(row) for row in batch]

    def get_order(self, key: str) -> OrderSnapshot:
        row = PushedOrder.objects.filter(key=key).first()
        if row is None:
            raise OrderNotFound(f"No pushed order with key {key!r}.")
        return _order(row)

    def customer_stats(
        self,
        *,
        emails: Iterable[str] | None = None,
        last_order_before: datetime | None = None,
        last_order_since: datetime | None = None,
    ) -> dict[str, CustomerStats]:
        rows = (
            PushedOrder.objects.exclude(email="")
            .order_by()
            .values(_email=F("email"))
            .annotate(_orders=Count("pk"), _last=Max("placed_at"))
        )
        return stats_by_email(
            rows,
            emails=emails,
            last_order_before=last_order_before,
            last_order_since=last_order_since,
        )

    def purchased_product_ids(self, email: str) -> set[str]:
        snapshots = PushedOrder.objects.filter(email=email.strip().lower()).values_list(
            "snapshot", flat=True
        )
        return {line["product_id"] for data in snapshots for line in data.get("lines", ())}

    def restore_cart(self, request: HttpRequest, key: str) -> HttpResponse | str:
        row = PushedCart.objects.filter(key=key).first()
        if row is None:
            raise CartNotFound(f"No pushed cart with key {key!r}.")
        if not row.recover_url:
            raise CartRestoreNotSupported(
                f"The pushed cart {key!r} has no recover_url: pass recover_url= to "
                "cart_updated() (the front end's page that restores the cart) so the "
                "email's cart link can lead there."
            )
        return row.recover_url

    def capture_email(self, key: str, email: str) -> None:
        from remarket.emails import normalize_email

        PushedCart.objects.filter(key=key, email="").update(email=normalize_email(email))


def _pages(queryset: models.QuerySet, ordering: str, size: int) -> Iterator[list[models.Model]]:
    """Keyset pages ordered by (``ordering``, pk): one query each, no OFFSET."""
    queryset = queryset.order_by(ordering, "pk")
    page = queryset
    while True:
        batch = list(page[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        value, pk = getattr(batch[-1], ordering), batch[-1].pk
        page = queryset.filter(
            Q(**{f"{ordering}__gt": value}) | Q(**{ordering: value, "pk__gt": pk})
        )

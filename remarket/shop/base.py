"""The shop adapter: the only door between remarket and the host shop's models.

Everything remarket needs from a shop is a method here. A subclass fills in the hooks
(:class:`~remarket.shop.fieldmap.FieldMapAdapter` does so from settings alone); the rest
of remarket calls :func:`get_adapter` and works with plain snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.utils import timezone
from django.utils.module_loading import import_string

from remarket.conf import conf
from remarket.exceptions import (
    CartNotFound,
    CartRestoreNotSupported,
    CouponsNotSupported,
    NotSupported,
    RemarketConfigurationError,
)
from remarket.shop.snapshots import (
    CartSnapshot,
    CartState,
    Coupon,
    CouponRequest,
    OrderSnapshot,
    ProductSnapshot,
)

if TYPE_CHECKING:
    from django.db import models
    from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class CustomerStats:
    """What the shop's orders say about one email address."""

    orders: int
    last_order_at: datetime


def stats_by_email(
    rows: models.QuerySet[Any],
    *,
    emails: Iterable[str] | None,
    last_order_before: datetime | None,
    last_order_since: datetime | None,
) -> dict[str, CustomerStats]:
    """Finish :meth:`ShopAdapter.customer_stats` in the one query it promises.

    ``rows`` is the shop's orders grouped by lower-case email, as ``values("_email")``
    annotated with ``_orders`` (a count) and ``_last`` (the newest order's time).
    """
    if emails is not None:
        rows = rows.filter(_email__in=[e.strip().lower() for e in emails])
    if last_order_before is not None:
        rows = rows.filter(_last__lt=last_order_before)
    if last_order_since is not None:
        rows = rows.filter(_last__gte=last_order_since)
    return {
        row["_email"]: CustomerStats(orders=row["_orders"], last_order_at=row["_last"])
        for row in rows
    }


class ShopAdapter:
    """Base class of every shop adapter.

    Subclasses implement the hooks that raise :class:`NotImplementedError`; the other
    methods are built on them and may be overridden when the shop can do better.
    """

    # -- hooks: carts -----------------------------------------------------------------

    def cart_model(self) -> type[models.Model] | None:
        """The shop's cart model, or ``None`` when carts are not Django models."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement cart_model()")

    def idle_carts(
        self,
        idle_since: datetime,
        *,
        active_after: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[CartSnapshot]]:
        """Open carts last touched at or before ``idle_since``, in batches.

        Only carts with at least one line, a known email and no order are yielded;
        ``active_after`` leaves out carts abandoned long ago. Each batch costs the same
        small number of queries, whatever the number of carts.
        """
        raise NotImplementedError(f"{type(self).__qualname__} must implement idle_carts()")

    def get_cart(self, key: str, *, follow_merges: bool = True) -> CartSnapshot:
        """A snapshot of one cart, following merges to the cart that survived.

        Raises :class:`~remarket.exceptions.CartNotFound` when the cart is gone.
        """
        raise NotImplementedError(f"{type(self).__qualname__} must implement get_cart()")

    def order_for_cart(self, key: str) -> OrderSnapshot | None:
        """The order placed from this cart, or ``None``."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement order_for_cart()")

    # -- hooks: orders ----------------------------------------------------------------

    def orders_placed_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[OrderSnapshot]]:
        """Orders placed at or after ``since`` (and before ``until``), oldest first."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement orders_placed_since()")

    def get_order(self, key: str) -> OrderSnapshot:
        """A snapshot of one order; raises :class:`~remarket.exceptions.OrderNotFound`."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement get_order()")

    def customer_stats(
        self,
        *,
        emails: Iterable[str] | None = None,
        last_order_before: datetime | None = None,
        last_order_since: datetime | None = None,
    ) -> dict[str, CustomerStats]:
        """Order count and last order time per (lower-case) email, in one query.

        ``last_order_before`` (exclusive) and ``last_order_since`` (inclusive) keep only
        customers whose *last* order falls in that window: the lapsed ones, for win-back.
        """
        raise NotImplementedError(f"{type(self).__qualname__} must implement customer_stats()")

    # -- hooks: optional features -----------------------------------------------------

    def restore_cart(self, request: HttpRequest, key: str) -> HttpResponse | str:
        """Put the cart back into this browser; return a response or a URL to go to."""
        raise CartRestoreNotSupported(
            f"{type(self).__qualname__} cannot put a cart back into a browser session. "
            "Implement restore_cart() in your adapter (or, with the field-map adapter, "
            "set REMARKET['CART']['session_key'] or REMARKET['CART']['restore'])."
        )

    def related_products(
        self, product_ids: Sequence[str], *, limit: int = 4, exclude: Iterable[str] = ()
    ) -> list[ProductSnapshot]:
        """Products to recommend to someone interested in ``product_ids``."""
        raise NotSupported(
            f"{type(self).__qualname__} cannot recommend products. Implement "
            "related_products() in your adapter (or, with the field-map adapter, set "
            "REMARKET['PRODUCT'] and REMARKET['ORDER']['line']['product'])."
        )

    def purchased_product_ids(self, email: str) -> set[str]:
        """Every product this person has ever ordered (never recommended back to them)."""
        raise NotImplementedError(
            f"{type(self).__qualname__} must implement purchased_product_ids()"
        )

    def create_coupon(self, request: CouponRequest) -> Coupon:
        """Create a single-use coupon in the shop for ``request.email``."""
        if conf.COUPON_FACTORY:
            return load_coupon_factory()(request)
        raise CouponsNotSupported(
            f"{type(self).__qualname__} cannot create coupons: the shop's discount model "
            "is unknown to remarket. Set REMARKET['COUPON_FACTORY'] to a function of a "
            "CouponRequest returning a Coupon, or implement create_coupon() in your adapter."
        )

    @classmethod
    def check(cls) -> list[checks.CheckMessage]:
        """Configuration problems of this adapter, for ``manage.py check``."""
        return []

    @classmethod
    def ready(cls) -> None:
        """Connect the shop's signals this adapter listens to (remarket's ``ready()`` calls it)."""

    # -- built on the hooks -----------------------------------------------------------

    def cart_state(self, key: str) -> CartState:
        """``open``, ``ordered`` or ``gone`` (deleted, emptied, merged away, closed)."""
        try:
            return self.get_cart(key).state
        except CartNotFound:
            return CartState.GONE

    def is_recoverable(self, key: str) -> bool:
        """Whether a reminder about this cart still makes sense (re-checked at send)."""
        return self.cart_state(key) is CartState.OPEN

    def get_carts(self, keys: Iterable[str]) -> dict[str, CartSnapshot]:
        """Snapshots of many carts by key (merges followed); gone carts are left out."""
        found = {}
        for key in keys:
            try:
                found[key] = self.get_cart(key)
            except CartNotFound:
                continue
        return found

    def last_order_dates(
        self,
        *,
        emails: Iterable[str] | None = None,
        last_order_before: datetime | None = None,
        last_order_since: datetime | None = None,
    ) -> dict[str, datetime]:
        """Last order time per email (for win-back), in one aggregate query."""
        stats = self.customer_stats(
            emails=emails, last_order_before=last_order_before, last_order_since=last_order_since
        )
        return {email: s.last_order_at for email, s in stats.items()}

    def capture_email(self, key: str, email: str) -> None:
        """Remember ``email`` for a cart that does not store one itself."""
        from remarket.emails import normalize_email
        from remarket.shop.models import CartEmail

        model = self.cart_model()
        if model is None:
            raise NotSupported(f"{type(self).__qualname__} has no cart model to capture for.")
        CartEmail.objects.update_or_create(
            cart_type=ContentType.objects.get_for_model(model),
            cart_key=key,
            defaults={"email": normalize_email(email), "captured_at": timezone.now()},
        )


def load_coupon_factory() -> Any:
    """The function named by ``REMARKET['COUPON_FACTORY']``."""
    try:
        return import_string(conf.COUPON_FACTORY)
    except ImportError as exc:
        raise RemarketConfigurationError(
            f"REMARKET['COUPON_FACTORY'] is {conf.COUPON_FACTORY!r}, which cannot be "
            f"imported: {exc}"
        ) from exc


def load_adapter_class(path: str | None = None) -> type[ShopAdapter]:
    """Import the adapter class named by ``REMARKET['SHOP_ADAPTER']``."""
    path = path or conf.SHOP_ADAPTER
    try:
        cls: Any = import_string(path)
    except ImportError as exc:
        raise RemarketConfigurationError(
            f"REMARKET['SHOP_ADAPTER'] is {path!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, ShopAdapter)):
        raise RemarketConfigurationError(
            f"REMARKET['SHOP_ADAPTER'] is {path!r}, which is not a ShopAdapter subclass."
        )
    return cls


def get_adapter() -> ShopAdapter:
    """A fresh adapter for the current settings (cheap; call it once per operation)."""
    return load_adapter_class()()

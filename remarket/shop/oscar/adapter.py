"""The django-oscar adapter: Oscar's baskets, orders, products and vouchers, no mapping."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Lower, NullIf, Trim
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from oscar.core.loading import get_class, get_model

from remarket.conf import conf
from remarket.exceptions import CartNotFound, OrderNotFound
from remarket.shop.base import CustomerStats, ShopAdapter, stats_by_email
from remarket.shop.fieldmap.adapter import _keyset_batches
from remarket.shop.keys import key_expression, key_for, key_of
from remarket.shop.models import CartEmail
from remarket.shop.snapshots import (
    CartSnapshot,
    CartState,
    Coupon,
    CouponRequest,
    OrderSnapshot,
    ProductSnapshot,
)

from .build import basket_snapshot, order_snapshot, product_snapshot, strategy

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

#: What pricing a line reads (Oscar's strategy picks the product's first stockrecord),
#: loaded with the lines so a batch of baskets costs the same queries however large.
LINE_RELATED = ("product__product_class", "product__parent__product_class", "stockrecord")
LINE_PREFETCH = ("product__images", "product__stockrecords")


class OscarAdapter(ShopAdapter):
    """Reads django-oscar through its own model loading, so forked apps keep working.

    ``REMARKET = {"SHOP_ADAPTER": "remarket.shop.oscar.OscarAdapter", ...}`` is all it
    takes. A basket's last activity is its newest line's ``date_updated`` (Oscar baskets
    have no updated field); Open and Saved baskets are recoverable, Merged ones are
    followed to their owner's open basket, Submitted ones are ordered.
    """

    def __init__(self) -> None:
        self.Basket = get_model("basket", "Basket")
        self.Line = get_model("basket", "Line")
        self.Order = get_model("order", "Order")
        self.Product = get_model("catalogue", "Product")

    @classmethod
    def ready(cls) -> None:
        from .receivers import connect

        connect()

    @classmethod
    def check(cls) -> list[checks.CheckMessage]:
        problems = []
        middleware = "oscar.apps.basket.middleware.BasketMiddleware"
        if not any(m.rsplit(".", 1)[-1] == "BasketMiddleware" for m in settings.MIDDLEWARE):
            problems.append(
                checks.Error(
                    "remarket's Oscar adapter restores baskets through Oscar's basket "
                    "cookie, but BasketMiddleware is not in settings.MIDDLEWARE.",
                    hint=f"Add {middleware!r} to MIDDLEWARE, as Oscar's install guide says.",
                    id="remarket.E301",
                )
            )
        try:
            reverse("basket:summary")
        except NoReverseMatch:
            problems.append(
                checks.Error(
                    "remarket's Oscar adapter sends people back to the basket page, but the "
                    "URL 'basket:summary' does not resolve.",
                    hint="Include Oscar's URLs: path('', include(apps.get_app_config("
                    "'oscar').urls[0])).",
                    id="remarket.E302",
                )
            )
        return problems

    # -- baskets ----------------------------------------------------------------------

    def cart_model(self) -> type[models.Model]:
        return self.Basket

    def _baskets(self) -> models.QuerySet:
        """Baskets with owner, priced lines and whether an order came from each."""
        newest = self.Line.objects.filter(basket=OuterRef("pk")).order_by("-date_updated")
        lines = (
            self.Line.objects.select_related(*LINE_RELATED)
            .prefetch_related(*LINE_PREFETCH)
            .order_by("pk")
        )
        return (
            self.Basket.objects.select_related("owner")
            .annotate(
                _activity=Subquery(newest.values("date_updated")[:1]),
                _ordered=Exists(self.Order.objects.filter(basket=OuterRef("pk"))),
            )
            .prefetch_related(Prefetch("lines", queryset=lines))
        )

    def _captured(self, keys: Iterable[str]) -> dict[str, CartEmail]:
        """remarket's own notes (guest email, who signed in) on these baskets: one query."""
        keys = list(keys)
        if not keys:
            return {}
        rows = CartEmail.objects.filter(
            cart_type=ContentType.objects.get_for_model(self.Basket), cart_key__in=keys
        )
        return {row.cart_key: row for row in rows}

    def _snapshots(self, baskets: dict[str, Any]) -> dict[str, CartSnapshot]:
        notes = self._captured(key_of(b) for b in baskets.values())
        captured = {key: note.email for key, note in notes.items() if note.email}
        pricing = strategy()
        return {
            asked: basket_snapshot(
                basket, state=self._state(basket), captured=captured, pricing=pricing
            )
            for asked, basket in baskets.items()
        }

    def _state(self, basket: Any) -> CartState:
        if basket._ordered or basket.status == self.Basket.SUBMITTED:
            return CartState.ORDERED
        if basket.status in (self.Basket.OPEN, self.Basket.SAVED) and basket.lines.all():
            return CartState.OPEN
        return CartState.GONE

    def idle_carts(
        self,
        idle_since: datetime,
        *,
        active_after: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[CartSnapshot]]:
        known_email = Exists(
            CartEmail.objects.filter(
                cart_type=ContentType.objects.get_for_model(self.Basket),
                cart_key=key_expression(OuterRef("pk")),
                email__gt="",
            )
        ) | Q(owner__email__gt="")
        baskets = self._baskets().filter(
            known_email, status=self.Basket.OPEN, _ordered=False, _activity__lte=idle_since
        )
        if active_after is not None:
            baskets = baskets.filter(_activity__gt=active_after)
        for batch in _keyset_batches(baskets, "_activity", batch_size or conf.BATCH_SIZE):
            snapshots = self._snapshots({key_of(b): b for b in batch})
            yield [s for s in snapshots.values() if s.email and s.lines]

    def get_cart(self, key: str, *, follow_merges: bool = True) -> CartSnapshot:
        found = self._basket_objects([key], follow_merges=follow_merges)
        if key not in found:
            raise CartNotFound(f"No {self.Basket._meta.label} with key {key!r}.")
        return self._snapshots(found)[key]

    def get_carts(self, keys: Iterable[str]) -> dict[str, CartSnapshot]:
        return self._snapshots(self._basket_objects(keys, follow_merges=True))

    def _basket_objects(self, keys: Iterable[str], *, follow_merges: bool) -> dict[str, Any]:
        """Baskets by the key asked for; a merged one replaced by its owner's basket.

        Oscar keeps no pointer from a merged basket to the one it went into: the owner
        is the basket's own, or (for a guest basket merged at sign-in) the account
        remarket saw sign in with it. The owner's open basket survives it; without one,
        their newest submitted basket (the merged lines were ordered). Two rounds of
        queries at most, whatever the keys.
        """
        wanted = [key for key in keys if self._is_key(key)]
        baskets = {key_of(b): b for b in self._baskets().filter(pk__in=set(wanted))}
        found = {key: baskets[key] for key in wanted if key in baskets}
        merged = {k: b for k, b in found.items() if b.status == self.Basket.MERGED}
        if not follow_merges or not merged:
            return found
        notes = self._captured(k for k, b in merged.items() if not b.owner_id)
        owners = {
            key: str(b.owner_id) if b.owner_id else getattr(notes.get(key), "user_key", "")
            for key, b in merged.items()
        }
        surviving: dict[str, Any] = {}
        for basket in (
            self._baskets()
            .filter(
                owner_id__in={o for o in owners.values() if o},
                status__in=[self.Basket.OPEN, self.Basket.SUBMITTED],
            )
            .order_by("date_created", "pk")
        ):
            owner, kept = str(basket.owner_id), surviving.get(str(basket.owner_id))
            if kept is None or basket.status == self.Basket.OPEN or kept.status != self.Basket.OPEN:
                surviving[owner] = basket  # open wins; else the newest
        for key, owner in owners.items():
            if owner in surviving:
                found[key] = surviving[owner]
        return found

    def _is_key(self, key: Any) -> bool:
        """A malformed key finds nothing, like a deleted basket."""
        try:
            self.Basket._meta.pk.to_python(key)
        except (ValidationError, ValueError, TypeError):
            return False
        return True

    def order_for_cart(self, key: str) -> OrderSnapshot | None:
        basket = self._basket_objects([key], follow_merges=True).get(key)
        keys = {key} | ({key_of(basket)} if basket is not None else set())
        order = self._orders().filter(basket_id__in=[k for k in keys if self._is_key(k)]).first()
        return None if order is None else order_snapshot(order)

    # -- orders -----------------------------------------------------------------------

    def _orders(self) -> models.QuerySet:
        lines = get_model("order", "Line").objects.select_related("product").order_by("pk")
        return (
            self.Order.objects.select_related("user")
            .prefetch_related(Prefetch("lines", queryset=lines), "discounts")
            .order_by("date_placed", "pk")
        )

    def get_order(self, key: str) -> OrderSnapshot:
        try:
            order = self._orders().filter(pk=key).first()
        except (ValidationError, ValueError, TypeError):
            order = None
        if order is None:
            raise OrderNotFound(f"No {self.Order._meta.label} with key {key!r}.")
        return order_snapshot(order)

    def orders_placed_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[OrderSnapshot]]:
        orders = self._orders().filter(date_placed__gte=since)
        if until is not None:
            orders = orders.filter(date_placed__lt=until)
        for batch in _keyset_batches(orders, "date_placed", batch_size or conf.BATCH_SIZE):
            yield [order_snapshot(order) for order in batch]

    def _orders_by_email(self) -> models.QuerySet:
        """Orders annotated with their lower-case email: the guest's, else the account's."""
        email = Lower(
            Coalesce(
                NullIf(Trim("guest_email"), models.Value("")),
                NullIf(Trim("user__email"), models.Value("")),
            )
        )
        return self.Order.objects.annotate(_email=email).filter(_email__gt="")

    def customer_stats(
        self,
        *,
        emails: Iterable[str] | None = None,
        last_order_before: datetime | None = None,
        last_order_since: datetime | None = None,
    ) -> dict[str, CustomerStats]:
        rows = (
            self._orders_by_email()
            .order_by()
            .values("_email")
            .annotate(_orders=Count("pk"), _last=Max("date_placed"))
        )
        return stats_by_email(
            rows,
            emails=emails,
            last_order_before=last_order_before,
            last_order_since=last_order_since,
        )

    def purchased_product_ids(self, email: str) -> set[str]:
        orders = self._orders_by_email().filter(_email=email.strip().lower())
        rows = (
            get_model("order", "Line")
            .objects.filter(order__in=orders, product__isnull=False)
            .values_list("product_id", flat=True)
            .distinct()
        )
        return {key_for(self.Product, pk) for pk in rows}

    # -- optional features ------------------------------------------------------------

    def restore_cart(self, request: HttpRequest, key: str) -> HttpResponse | str:
        """Guest baskets go back into the browser through Oscar's basket cookie."""
        basket = self._basket_objects([key], follow_merges=True).get(key)
        if basket is None or self._state(basket) is not CartState.OPEN:
            raise CartNotFound(f"No open {self.Basket._meta.label} with key {key!r}.")
        basket_url = resolve_url("basket:summary")
        if basket.owner_id is not None:
            if getattr(request.user, "pk", None) == basket.owner_id:
                return basket_url
            # An account's basket: Oscar shows it once the person signs in.
            return f"{resolve_url(settings.LOGIN_URL)}?next={quote(basket_url)}"
        middleware = get_class("basket.middleware", "BasketMiddleware")(lambda request: None)
        response = HttpResponseRedirect(basket_url)
        response.set_cookie(
            middleware.get_cookie_key(request),
            middleware.get_basket_hash(basket.pk),
            max_age=settings.OSCAR_BASKET_COOKIE_LIFETIME,
            secure=settings.OSCAR_BASKET_COOKIE_SECURE,
            httponly=True,
        )
        return response

    def related_products(
        self, product_ids: Sequence[str], *, limit: int = 4, exclude: Iterable[str] = ()
    ) -> list[ProductSnapshot]:
        """Oscar's recommended products (by ranking), then others from the same categories."""
        ids = [pk for pk in product_ids if str(pk).isdigit()]
        skip = {*ids, *(pk for pk in exclude if str(pk).isdigit())}
        browsable = self.Product.objects.browsable()
        recommended = (
            get_model("catalogue", "ProductRecommendation")
            .objects.filter(primary_id__in=ids, recommendation__in=browsable)
            .exclude(recommendation_id__in=skip)
            .order_by("-ranking", "recommendation_id")
            .values_list("recommendation_id", flat=True)
        )
        chosen = list(dict.fromkeys(recommended))[:limit]
        if len(chosen) < limit:
            same_category = (
                browsable.filter(categories__product__in=ids)
                .exclude(pk__in=[*skip, *chosen])
                .order_by("-date_created", "-pk")
                .values_list("pk", flat=True)
                .distinct()
            )
            chosen += list(same_category[: limit - len(chosen)])
        products = self.Product.objects.filter(pk__in=chosen).prefetch_related(
            "stockrecords", "images"
        )
        found = {p.pk: p for p in products.select_related("product_class", "parent")}
        pricing = strategy()
        return [product_snapshot(found[pk], pricing) for pk in chosen if pk in found]

    def create_coupon(self, request: CouponRequest) -> Coupon:
        """A real Oscar voucher: single use, expiring, for the whole catalogue."""
        if conf.COUPON_FACTORY:
            return super().create_coupon(request)
        from .vouchers import create_voucher

        return create_voucher(request)

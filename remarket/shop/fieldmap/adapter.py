"""The field-map adapter: any shop's carts and orders, configured from settings alone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, Lower, NullIf, Trim
from django.shortcuts import resolve_url

from remarket.conf import conf
from remarket.exceptions import (
    CartNotFound,
    CartRestoreNotSupported,
    NotSupported,
    OrderNotFound,
    RemarketConfigurationError,
)
from remarket.shop.base import CustomerStats, ShopAdapter, stats_by_email
from remarket.shop.keys import key_expression, key_for, key_of
from remarket.shop.models import CartEmail
from remarket.shop.snapshots import CartSnapshot, CartState, OrderSnapshot, ProductSnapshot

from .build import cart_snapshot, order_snapshot, product_snapshot
from .config import ShopMap, _HolderMap, compile_shop_map

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

#: How many ``merged_into`` hops get_cart() follows before giving up (a cycle guard).
MAX_MERGE_HOPS = 10


def _compile() -> tuple[ShopMap | None, list[checks.CheckMessage]]:
    return compile_shop_map(conf.raw, default_currency=conf.CURRENCY)


class FieldMapAdapter(ShopAdapter):
    """Reads the shop's own models through ``REMARKET['CART']``, ``['ORDER']``, ``['PRODUCT']``.

    See the README's "Mapping your models" for every key. Invalid maps are reported by
    ``manage.py check``; building this adapter from one raises
    :class:`~remarket.exceptions.RemarketConfigurationError` with the first problem.
    """

    def __init__(self) -> None:
        shop_map, problems = _compile()
        if shop_map is None:
            first = next((p for p in problems if p.is_serious()), None)
            detail = f"{first.msg} {first.hint}" if first else "the map is incomplete."
            raise RemarketConfigurationError(f"The shop field map is invalid: {detail}")
        self.map = shop_map

    @classmethod
    def check(cls) -> list[checks.CheckMessage]:
        return _compile()[1]

    # -- carts ------------------------------------------------------------------------

    def cart_model(self) -> type[models.Model]:
        return self.map.cart.model

    def _carts(self) -> models.QuerySet:
        """Carts with lines, people, and whether each is open and ordered (no extra query)."""
        is_open = self._is_open()
        flags: dict[str, Any] = {
            "_open": ExpressionWrapper(is_open, BooleanField()) if is_open else Value(True)
        }
        ordered = self._ordered()
        if ordered is not None:
            flags["_ordered"] = ordered
        return _with_lines(self.map.cart, self.map.cart.last_activity.lookup).annotate(**flags)

    def _is_open(self) -> Q:
        m = self.map.cart
        q = Q(**m.open)
        if m.merged_into is not None:
            q &= Q(**{f"{m.merged_into.lookup}__isnull": True})
        return q

    def _ordered(self) -> Exists | None:
        cart_path = self.map.order.cart
        if cart_path is None:
            return None
        return Exists(
            self.map.order.model._default_manager.filter(**{cart_path.lookup: OuterRef("pk")})
        )

    def _captured(self, carts: Iterable[models.Model]) -> dict[str, str]:
        """Emails remarket captured itself for these carts: one query."""
        keys = [key_of(cart) for cart in carts]
        if not keys:
            return {}
        rows = CartEmail.objects.filter(
            cart_type=ContentType.objects.get_for_model(self.map.cart.model), cart_key__in=keys
        ).values_list("cart_key", "email")
        return dict(rows)

    def idle_carts(
        self,
        idle_since: datetime,
        *,
        active_after: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[CartSnapshot]]:
        m = self.map.cart
        activity = m.last_activity.lookup
        known_email = Exists(
            CartEmail.objects.filter(
                cart_type=ContentType.objects.get_for_model(m.model),
                cart_key=key_expression(OuterRef("pk")),
            )
        )
        if m.email is not None:
            known_email |= Q(**{f"{m.email.lookup}__gt": ""})
        if m.user is not None:
            email_field = get_user_model().get_email_field_name()
            known_email |= Q(**{f"{m.user.lookup}__{email_field}__gt": ""})
        carts = self._carts().filter(
            self._is_open(),
            known_email,
            Exists(m.line.model._default_manager.filter(**{m.line_fk: OuterRef("pk")})),
            **{f"{activity}__lte": idle_since},
        )
        if active_after is not None:
            carts = carts.filter(**{f"{activity}__gt": active_after})
        ordered = self._ordered()
        if ordered is not None:
            carts = carts.exclude(ordered)
        for batch in _keyset_batches(carts, activity, batch_size or conf.BATCH_SIZE):
            captured = self._captured(batch)
            snapshots = (
                cart_snapshot(m, cart, state=CartState.OPEN, captured=captured) for cart in batch
            )
            yield [s for s in snapshots if s.email and s.lines]

    def get_cart(self, key: str, *, follow_merges: bool = True) -> CartSnapshot:
        found = self._cart_objects([key], follow_merges=follow_merges)
        if key not in found:
            raise CartNotFound(f"No {self.map.cart.model._meta.label} with key {key!r}.")
        cart = found[key]
        return cart_snapshot(
            self.map.cart, cart, state=self._state(cart), captured=self._captured([cart])
        )

    def get_carts(self, keys: Iterable[str]) -> dict[str, CartSnapshot]:
        found = self._cart_objects(keys, follow_merges=True)
        captured = self._captured(found.values())
        return {
            key: cart_snapshot(self.map.cart, cart, state=self._state(cart), captured=captured)
            for key, cart in found.items()
        }

    def _cart_objects(self, keys: Iterable[str], *, follow_merges: bool) -> dict[str, models.Model]:
        """Carts by the key asked for; a merged cart is replaced by the one it went into."""
        m = self.map.cart
        pk = m.model._meta.pk
        pending: dict[str, str] = {}
        for key in keys:
            try:
                pk.to_python(key)
            except (ValidationError, ValueError, TypeError):
                continue  # a malformed key finds nothing, like a deleted cart
            pending[key] = key
        found: dict[str, models.Model] = {}
        for _hop in range(MAX_MERGE_HOPS):
            if not pending:
                break
            carts = {key_of(c): c for c in self._carts().filter(pk__in=set(pending.values()))}
            merged, m_path = {}, m.merged_into if follow_merges else None
            for asked, key in pending.items():
                cart = carts.get(key)
                target = getattr(cart, m_path.field.attname) if cart and m_path else None
                if target is not None and len(m_path.db_parts) == 1:
                    merged[asked] = key_for(m.model, target)
                elif cart is not None:
                    found[asked] = cart
            pending = merged
        return found

    def _state(self, cart: models.Model) -> CartState:
        if getattr(cart, "_ordered", False):
            return CartState.ORDERED
        if not cart._open and self.map.order.cart is None and self._order_by_person(cart):
            return CartState.ORDERED
        if not cart._open or not getattr(cart, self.map.cart.lines).all():
            return CartState.GONE
        return CartState.OPEN

    def order_for_cart(self, key: str) -> OrderSnapshot | None:
        o = self.map.order
        if o.cart is not None:
            order = self._orders().filter(**{o.cart.lookup: key}).first()
        else:
            cart = self._cart_objects([key], follow_merges=True).get(key)
            order = self._order_by_person(cart) if cart is not None else None
        return None if order is None else order_snapshot(o, order, self.map.cart.model)

    def _order_by_person(self, cart: models.Model) -> models.Model | None:
        """Without a cart link: the first order by the cart's person after its activity."""
        c, o = self.map.cart, self.map.order
        person = Q()
        snapshot = cart_snapshot(c, cart, state=CartState.OPEN, captured=self._captured([cart]))
        if snapshot.email:
            person |= Q(_email=snapshot.email)
        if snapshot.user_id and o.user is not None:
            person |= Q(**{o.user.lookup: snapshot.user_id})
        if not person:
            return None
        return (
            self._orders()
            .annotate(_email=_email_expression(o))
            .filter(person, **{f"{o.placed_at.lookup}__gte": snapshot.last_activity})
            .first()
        )

    # -- orders -----------------------------------------------------------------------

    def _orders(self) -> models.QuerySet:
        return _with_lines(self.map.order, self.map.order.placed_at.lookup)

    def get_order(self, key: str) -> OrderSnapshot:
        try:
            order = self._orders().filter(pk=key).first()
        except (ValueError, TypeError, ValidationError):
            order = None
        if order is None:
            raise OrderNotFound(f"No {self.map.order.model._meta.label} with key {key!r}.")
        return order_snapshot(self.map.order, order, self.map.cart.model)

    def orders_placed_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        batch_size: int | None = None,
    ) -> Iterator[list[OrderSnapshot]]:
        o = self.map.order
        placed = o.placed_at.lookup
        orders = self._orders().filter(**{f"{placed}__gte": since})
        if until is not None:
            orders = orders.filter(**{f"{placed}__lt": until})
        for batch in _keyset_batches(orders, placed, batch_size or conf.BATCH_SIZE):
            yield [order_snapshot(o, order, self.map.cart.model) for order in batch]

    def customer_stats(
        self,
        *,
        emails: Iterable[str] | None = None,
        last_order_before: datetime | None = None,
        last_order_since: datetime | None = None,
    ) -> dict[str, CustomerStats]:
        o = self.map.order
        rows = (
            o.model._default_manager.annotate(_email=_email_expression(o))
            .filter(_email__gt="")
            .order_by()
            .values("_email")
            .annotate(_orders=Count("pk"), _last=Max(o.placed_at.lookup))
        )
        return stats_by_email(
            rows,
            emails=emails,
            last_order_before=last_order_before,
            last_order_since=last_order_since,
        )

    def purchased_product_ids(self, email: str) -> set[str]:
        o = self.map.order
        if o.line.product is None:
            return set()
        orders = o.model._default_manager.annotate(_email=_email_expression(o)).filter(
            _email=email.strip().lower()
        )
        product = o.line.product
        rows = o.line.model._default_manager.filter(**{f"{o.line_fk}__in": orders}).values_list(
            "__".join((*product.db_parts[:-1], product.field.attname)), flat=True
        )
        target = product.field.related_model
        return {key_for(target, pk) for pk in rows.distinct() if pk is not None}

    # -- optional features ------------------------------------------------------------

    def restore_cart(self, request: HttpRequest, key: str) -> HttpResponse | str:
        m = self.map.cart
        cart = self._cart_objects([key], follow_merges=True).get(key)
        if cart is None:
            raise CartNotFound(f"No {m.model._meta.label} with key {key!r}.")
        if m.restore is not None:
            return m.restore.func(request, cart)
        if not m.session_key:
            raise CartRestoreNotSupported(
                "The field-map adapter needs REMARKET['CART']['session_key'] (the session "
                "variable your shop keeps the cart id in) or REMARKET['CART']['restore'] "
                "(a function of request and cart) to put a cart back into a browser."
            )
        cart_url = resolve_url(m.cart_url)
        user = m.user.value_of(cart) if m.user is not None else None
        if user is not None and getattr(request.user, "pk", None) != user.pk:
            # The cart belongs to an account: the person signs in and finds it there.
            return f"{resolve_url(settings.LOGIN_URL)}?next={quote(cart_url)}"
        request.session[m.session_key] = cart.pk if isinstance(cart.pk, int) else str(cart.pk)
        return cart_url

    def related_products(
        self, product_ids: Sequence[str], *, limit: int = 4, exclude: Iterable[str] = ()
    ) -> list[ProductSnapshot]:
        p, line = self.map.product, self.map.order.line
        if p is None or line.product is None:
            return super().related_products(product_ids, limit=limit, exclude=exclude)
        ids, skip = list(product_ids), {*product_ids, *exclude}
        products = p.model._default_manager.filter(**p.available)
        order_lines = line.model._default_manager
        order_fk, product = self.map.order.line_fk, line.product.lookup
        together = (
            order_lines.filter(
                **{
                    f"{order_fk}__in": order_lines.filter(**{f"{product}__in": ids}).values(
                        order_fk
                    )
                }
            )
            .exclude(**{f"{product}__in": skip})
            .filter(**{f"{product}__in": products.values("pk")})
            .values(product)
            .annotate(_orders=Count(order_fk, distinct=True))
            .order_by("-_orders", product)[:limit]
        )
        chosen = [row[product] for row in together]
        found = {obj.pk: obj for obj in products.filter(pk__in=chosen)}
        result = [found[pk] for pk in chosen if pk in found]
        if len(result) < limit and p.category is not None:
            newest = (f"-{p.created.lookup}",) if p.created is not None else ()
            result += list(
                products.filter(
                    **{
                        f"{p.category.lookup}__in": p.model._default_manager.filter(
                            pk__in=ids
                        ).values(p.category.lookup)
                    }
                )
                .exclude(pk__in=[*skip, *(obj.pk for obj in result)])
                .order_by(*newest, "-pk")[: limit - len(result)]
            )
        return [product_snapshot(p, obj) for obj in result]


def _with_lines(m: _HolderMap, ordering: str) -> models.QuerySet:
    """Carts or orders with their people and their lines' products, in three queries."""
    lines = m.line.model._default_manager.select_related(*m.line.select_related())
    return (
        m.model._default_manager.select_related(*m.select_related())
        .prefetch_related(Prefetch(m.lines, queryset=lines.order_by("pk")))
        .order_by(ordering, "pk")
    )


def _email_expression(o: _HolderMap) -> Any:
    """SQL for the lower-case email of an order: its own, else its user's."""
    sources = []
    if o.email is not None:
        sources.append(NullIf(Trim(o.email.lookup), models.Value("")))
    if o.user is not None:
        email_field = get_user_model().get_email_field_name()
        sources.append(NullIf(Trim(f"{o.user.lookup}__{email_field}"), models.Value("")))
    if not sources:
        raise NotSupported("REMARKET['ORDER'] maps neither 'email' nor 'user'.")
    return Lower(Coalesce(*sources) if len(sources) > 1 else sources[0])


def _keyset_batches(
    queryset: models.QuerySet, ordering: str, size: int
) -> Iterator[list[models.Model]]:
    """Walk a queryset ordered by (``ordering``, pk) in pages, without OFFSET."""
    page = queryset
    while True:
        batch = list(page[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1]
        value = last
        for name in ordering.split("__"):
            value = getattr(value, name)
        page = queryset.filter(
            Q(**{f"{ordering}__gt": value}) | Q(**{ordering: value, "pk__gt": last.pk})
        )

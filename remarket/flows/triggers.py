"""What puts a person into a flow: one class per trigger type.

Each trigger validates its settings and yields *candidates* for a time window; the tick
turns candidates into enrollments in bulk. Windows are contiguous (a cursor remembers
where the last scan stopped), so each cart, order, lapse or browse is read once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from remarket.flows.conditions import _count, _decimal
from remarket.flows.models import Enrollment, Trigger
from remarket.people.activity import Activity
from remarket.shop import CartSnapshot, OrderSnapshot, ShopAdapter

#: Orders younger than this are left to the next tick: their transaction may still be open.
ORDER_SETTLE_TIME = timedelta(minutes=1)
#: Storefront events that mean the person went on to the cart.
CART_EVENTS = ("add_to_cart", "begin_checkout", "purchase")


@dataclass(frozen=True)
class Candidate:
    """Someone a trigger found: becomes an Enrollment unless one exists or cools down."""

    email: str
    subject_key: str
    triggered_at: datetime
    snapshot: dict[str, Any]
    person: CartSnapshot | OrderSnapshot | None = None
    contact_id: int | None = None


def _positive(value: Any) -> int:
    value = _count(value)
    if value < 1:
        raise ValidationError(_("%(value)s must be at least 1.") % {"value": value})
    return value


def _optional_decimal(value: Any) -> str | None:
    return None if value in (None, "") else _decimal(value)


@dataclass
class BaseTrigger:
    """A trigger type: its settings, its window and its candidates."""

    key: ClassVar[str]
    subject_type: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]
    parsers: ClassVar[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)

    def validate(self, raw: Any) -> dict[str, Any]:
        """The settings with defaults filled in, or :class:`ValidationError`."""
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise ValidationError(_("Trigger settings must be a JSON object."))
        unknown = sorted(set(raw) - set(self.defaults))
        if unknown:
            raise ValidationError(
                _("Unknown trigger setting %(names)s; this trigger takes %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(self.defaults)}
            )
        values = {**self.defaults, **raw}
        errors, clean = [], {}
        for name, value in values.items():
            try:
                clean[name] = self.parsers[name](value)
            except ValidationError as exc:
                errors += [f"{name}: {message}" for message in exc.messages]
        if errors:
            raise ValidationError(errors)
        return clean

    def window(self, now: datetime, cursor: datetime | None) -> tuple[datetime, datetime]:
        """The [start, end] of trigger times to scan now, and where the cursor goes."""
        end = self.threshold(now)
        earliest = end - timedelta(days=self.settings["max_age_days"])
        return (max(cursor, earliest) if cursor else earliest), end

    def threshold(self, now: datetime) -> datetime:
        raise NotImplementedError(f"{type(self).__qualname__} must implement threshold()")

    def candidates(
        self, adapter: ShopAdapter, start: datetime, end: datetime
    ) -> Iterator[list[Candidate]]:
        raise NotImplementedError(f"{type(self).__qualname__} must implement candidates()")

    def orders_after(self, enrollment: Enrollment) -> datetime:
        """An order placed after this moment takes the person out of the flow."""
        return enrollment.triggered_at


class CartAbandoned(BaseTrigger):
    key = Trigger.CART_ABANDONED
    subject_type = "cart"
    defaults = {"idle_minutes": 60, "min_value": None, "max_age_days": 7}
    parsers = {"idle_minutes": _positive, "min_value": _optional_decimal, "max_age_days": _positive}

    def threshold(self, now: datetime) -> datetime:
        return now - timedelta(minutes=self.settings["idle_minutes"])

    def candidates(
        self, adapter: ShopAdapter, start: datetime, end: datetime
    ) -> Iterator[list[Candidate]]:
        minimum = self.settings["min_value"]
        for batch in adapter.idle_carts(end, active_after=start):
            yield [
                Candidate(cart.email, cart.key, cart.last_activity, cart.as_json(), cart)
                for cart in batch
                if minimum is None or cart.total >= Decimal(minimum)
            ]


class OrderPlaced(BaseTrigger):
    key = Trigger.ORDER_PLACED
    subject_type = "order"
    defaults = {"min_value": None, "max_age_days": 1}
    parsers = {"min_value": _optional_decimal, "max_age_days": _positive}

    def threshold(self, now: datetime) -> datetime:
        return now - ORDER_SETTLE_TIME

    def candidates(
        self, adapter: ShopAdapter, start: datetime, end: datetime
    ) -> Iterator[list[Candidate]]:
        minimum = self.settings["min_value"]
        for batch in adapter.orders_placed_since(start, until=end):
            yield [
                Candidate(order.email, order.key, order.placed_at, order.as_json(), order)
                for order in batch
                if order.email and (minimum is None or order.total >= Decimal(minimum))
            ]


class CustomerLapsed(BaseTrigger):
    """No order for ``days`` days since the last one; once per lapse."""

    key = Trigger.CUSTOMER_LAPSED
    subject_type = "lapse"
    defaults = {"days": 60, "max_age_days": 30}
    parsers = {"days": _positive, "max_age_days": _positive}

    def threshold(self, now: datetime) -> datetime:
        return now - timedelta(days=self.settings["days"])

    def candidates(
        self, adapter: ShopAdapter, start: datetime, end: datetime
    ) -> Iterator[list[Candidate]]:
        lapse = timedelta(days=self.settings["days"])
        stats = adapter.customer_stats(last_order_since=start, last_order_before=end)
        rows = sorted(stats.items(), key=lambda item: item[1].last_order_at)
        yield [
            Candidate(
                email,
                # A new order and a new lapse give a new key: once per lapse.
                f"{email}@{s.last_order_at.isoformat()}",
                s.last_order_at + lapse,
                {"last_order_at": s.last_order_at.isoformat(), "orders": s.orders},
            )
            for email, s in rows
        ]

    def orders_after(self, enrollment: Enrollment) -> datetime:
        return datetime.fromisoformat(enrollment.snapshot["last_order_at"])


class ProductViewed(BaseTrigger):
    """Browse abandonment: a known person viewed products, then went no further."""

    key = Trigger.PRODUCT_VIEWED
    subject_type = "browse"
    defaults = {"idle_minutes": 240, "max_age_days": 3}
    parsers = {"idle_minutes": _positive, "max_age_days": _positive}

    def threshold(self, now: datetime) -> datetime:
        return now - timedelta(minutes=self.settings["idle_minutes"])

    def candidates(
        self, adapter: ShopAdapter, start: datetime, end: datetime
    ) -> Iterator[list[Candidate]]:
        views = (
            Activity.objects.filter(
                kind="view_item", contact__isnull=False, created_at__gt=start, created_at__lte=end
            )
            .select_related("contact")
            .order_by("-created_at")
        )
        by_contact: dict[int, list[Activity]] = {}
        for view in views:
            by_contact.setdefault(view.contact_id, []).append(view)
        if not by_contact:
            return
        went_on = dict(
            Activity.objects.filter(
                kind__in=CART_EVENTS, contact_id__in=by_contact, created_at__gt=start
            )
            .values("contact_id")
            .annotate(last=Max("created_at"))
            .values_list("contact_id", "last")
        )
        emails = {views[0].contact.email for views in by_contact.values()}
        ordered = adapter.last_order_dates(emails=emails)
        batch = []
        for contact_id, seen in by_contact.items():
            first = seen[-1].created_at
            email = seen[0].contact.email
            if contact_id in went_on or ordered.get(email, first) > first:
                continue
            products = list(dict.fromkeys(v.product_id for v in seen if v.product_id))[:6]
            items = {v.product_id: v.data for v in reversed(seen) if v.product_id}
            batch.append(
                Candidate(
                    email,
                    f"{first:%Y-%m-%d}",
                    seen[0].created_at,
                    {"products": [{"product_id": p, **items.get(p, {})} for p in products]},
                    contact_id=contact_id,
                )
            )
        yield batch


TRIGGERS: dict[str, type[BaseTrigger]] = {
    cls.key: cls for cls in (CartAbandoned, OrderPlaced, CustomerLapsed, ProductViewed)
}


def get_trigger(key: str, settings: dict[str, Any] | None = None) -> BaseTrigger:
    """The trigger for ``key``; with ``settings``, validated and ready to scan."""
    try:
        trigger = TRIGGERS[key]()
    except KeyError:
        raise ValidationError(_("Unknown trigger %(key)r.") % {"key": key}) from None
    if settings is not None:
        trigger.settings = trigger.validate(settings)
    return trigger

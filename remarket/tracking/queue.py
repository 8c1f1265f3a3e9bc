"""``remarket.track()``: one event, one id, stored as activity and queued for the pixels.

Events wait in the session until a page with ``{% remarket_head %}`` renders them, so an
event tracked before a redirect (add to cart, then the basket page) fires on the next page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from remarket.conf import conf
from remarket.tracking.context import get_tracker
from remarket.tracking.events import Event, Item

if TYPE_CHECKING:
    from django.http import HttpRequest

SESSION_QUEUE = "_remarket_events"
#: A runaway loop cannot grow the session without bound; the oldest entries give way.
MAX_QUEUED = 20
AUDIENCE = "remarket_audience"
#: ``[visitor id, [rule ids]]``: the audiences this browser's visitor is known to be in,
#: so a page does not ask the database again.
SESSION_MATCHED = "_remarket_audiences"


def as_item(value: Any) -> Item:
    """An :class:`Item` from an Item, a GA4-style dict, a product snapshot or a product."""
    if isinstance(value, Item):
        return value
    if isinstance(value, Mapping):
        data = dict(value)
        return Item(
            id=str(data.get("id") or data.get("item_id") or ""),
            name=str(data.get("name") or data.get("item_name") or ""),
            price=_decimal(data.get("price")),
            quantity=int(data.get("quantity") or 1),
            category=str(data.get("category") or data.get("item_category") or ""),
            brand=str(data.get("brand") or data.get("item_brand") or ""),
            variant=str(data.get("variant") or data.get("item_variant") or ""),
        )
    if hasattr(value, "product_id") and not hasattr(value, "_meta"):  # ProductSnapshot
        return Item(id=str(value.product_id), name=value.name, price=value.price)
    return _model_item(value)


def _model_item(obj: Any) -> Item:
    """A model instance: through the shop's PRODUCT field map when it maps this model."""
    from remarket.shop import get_adapter

    product_map = getattr(getattr(get_adapter(), "map", None), "product", None)
    if product_map is not None and isinstance(obj, product_map.model):
        from remarket.shop.fieldmap.build import product_snapshot

        snap = product_snapshot(product_map, obj)
        category = getattr(obj, "category", "")
        return Item(id=snap.product_id, name=snap.name, price=snap.price, category=_text(category))
    name = getattr(obj, "name", None) or getattr(obj, "title", None) or str(obj)
    return Item(
        id=str(obj.pk),
        name=str(name),
        price=_decimal(getattr(obj, "price", None)),
        category=_text(getattr(obj, "category", "")),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None  # NaN breaks JSON.parse in no-inline mode


def build_event(
    name: str,
    *,
    item: Any = None,
    items: Iterable[Any] = (),
    value: Any = None,
    currency: str = "",
    transaction_id: Any = "",
    event_id: str = "",
    **params: Any,
) -> Event:
    """The :class:`Event` for ``track()``'s arguments, with its one id.

    A purchase's id is its order id (Meta's ``eventID`` and Google's ``transaction_id`` then
    agree with any server-side call); other events get a random id. A missing value is the
    sum of the items' prices.
    """
    lines = tuple(as_item(i) for i in ([item] if item is not None else []) + list(items))
    amount = _decimal(value)
    # A list of products shown is not a basket: it gets no derived value.
    derive = name != "view_item_list"
    if amount is None and derive and lines and all(line.price is not None for line in lines):
        amount = sum((line.price * line.quantity for line in lines), Decimal(0))
    order = str(transaction_id or "")
    return Event(
        name=name,
        id=event_id or (order if name == "purchase" and order else uuid.uuid4().hex),
        items=lines,
        value=amount,
        currency=(currency or conf.CURRENCY) if amount is not None else currency,
        transaction_id=order,
        params=params,
    )


def track(request: HttpRequest, event: str, **data: Any) -> str:
    """Record a storefront event and queue it for every enabled pixel; returns its id.

    ``event`` is a GA4 name (``view_item``, ``add_to_cart``, ``begin_checkout``,
    ``purchase``...) or your own. ``data``: ``item`` or ``items`` (products, dicts with
    ``id``/``name``/``price``/``quantity``, or :class:`Item`), ``value``, ``currency``,
    ``transaction_id`` (the order id of a purchase), ``event_id``; anything else goes to the
    providers as a custom parameter.

    Without retargeting consent nothing is stored or queued; the id is returned anyway so
    calling code needs no branch.
    """
    built = build_event(event, **data)
    tracker = get_tracker(request)
    if not tracker.marketing:
        return built.id
    store_activity(request, built)
    enqueue(request, {"event": encode(built)})
    return built.id


def store_activity(
    request: HttpRequest, event: Event, *, extra: Mapping[str, Any] | None = None
) -> None:
    """One :class:`~remarket.people.activity.Activity` row for a consenting visitor."""
    from remarket.people.activity import Activity

    tracker = get_tracker(request)
    visitor = tracker.visitor_key()
    if visitor is None:
        return
    data: dict[str, Any] = {"event_id": event.id, "path": request.path[:500], **(extra or {})}
    if not event.id:
        del data["event_id"]
    if event.items:
        data["product_ids"] = [line.id for line in event.items]
        data["category"] = event.items[0].category
        # Folded here, in Python, so category audiences match beyond ASCII on any database.
        data["category_key"] = event.items[0].category.strip().casefold()
    if event.value is not None:
        data["value"] = str(event.value)
        data["currency"] = event.currency
    Activity.objects.create(
        visitor_id=visitor,
        contact_id=tracker.contact_id(),
        kind=event.name[:64],
        product_id=event.items[0].id[:64] if event.items else "",
        data=data,
    )
    tracker.stored.add(event.name[:64])


def enqueue(request: HttpRequest, entry: dict[str, Any]) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    queue = list(session.get(SESSION_QUEUE, ()))[-(MAX_QUEUED - 1) :]
    session[SESSION_QUEUE] = [*queue, entry]


def take_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Remove and return the queued entries (events and audience matches)."""
    session = getattr(request, "session", None)
    if session is None or (session.session_key is None and not session.modified):
        return []  # no session yet: nothing can be queued, and no query is spent finding out
    return session.pop(SESSION_QUEUE, None) or []


def encode(event: Event) -> dict[str, Any]:
    """A session-safe (JSON) form of an event."""
    data = asdict(event)
    data["items"] = [
        {**item, "price": None if item["price"] is None else str(item["price"])}
        for item in data["items"]
    ]
    data["value"] = None if event.value is None else str(event.value)
    data["params"] = dict(event.params)
    return data


def decode(data: Mapping[str, Any]) -> Event:
    items = tuple(
        Item(**{**item, "price": _decimal(item.get("price"))}) for item in data.get("items", ())
    )
    return Event(
        name=data["name"],
        id=data["id"],
        items=items,
        value=_decimal(data.get("value")),
        currency=data.get("currency", ""),
        transaction_id=data.get("transaction_id", ""),
        params=data.get("params") or {},
    )


def check_audiences(request: HttpRequest) -> list[tuple[str, str]]:
    """Audiences this visitor newly matches since the last check: (name, event id) pairs.

    Costs no query unless this request stored activity of a kind some active rule reads;
    then only those rules are evaluated, minus the ones the session remembers this
    visitor matched already.
    """
    tracker = get_tracker(request)
    if not tracker.stored or not tracker.marketing:
        return []
    kinds, tracker.stored = tracker.stored, set()
    from django.utils import timezone

    from remarket.tracking.audiences import active_rules, match

    rules = active_rules().reading(kinds)
    visitor = tracker.visitor_key()
    if not rules or visitor is None:
        return []
    session = getattr(request, "session", None)
    remembered = session.get(SESSION_MATCHED) if session is not None else None
    known = None
    if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == visitor:
        known = [pk for pk in remembered[1] if isinstance(pk, int)]
    if known is not None and all(rule.pk in known for rule in rules):
        return []
    outcome = match(visitor, timezone.now(), rules, known)
    if session is not None and (known is None or outcome.matched_ids != set(known)):
        session[SESSION_MATCHED] = [visitor, sorted(outcome.matched_ids)]
    return [(rule.name, uuid.uuid4().hex) for rule in outcome.new]


def queue_audiences(request: HttpRequest) -> None:
    """Queue audience matches found after the page rendered for the next page."""
    for name, event_id in check_audiences(request):
        enqueue(request, {"audience": name, "id": event_id})

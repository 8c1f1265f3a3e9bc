"""The Meta Pixel (Facebook, Instagram): ``fbq`` standard events with ``eventID``.

Standard events and their parameters follow Meta's pixel reference
(https://developers.facebook.com/docs/meta-pixel/reference): ``content_ids``,
``content_type: 'product'``, ``contents`` of ``{id, quantity, item_price}``, ``value`` and
``currency``; ``eventID`` is the fourth argument, equal to the Conversions API
``event_id`` so the two deduplicate. Consent follows Meta's GDPR guide
(https://developers.facebook.com/docs/meta-pixel/implementation/gdpr):
``fbq('consent', 'revoke')`` before ``init``, ``'grant'`` once ``ad_storage`` is granted.

Judgment call: Meta has no standard list-view event; ``view_item_list`` becomes the
custom ``ViewCategory`` event that catalog-ads guides and most shop platforms send.
"""

from __future__ import annotations

from typing import Any

from remarket.tracking.events import Call, ConsentState, Event
from remarket.tracking.providers.base import (
    AUDIENCE_EVENT,
    Provider,
    compact,
    money,
    number,
    quantity,
)

#: GA4 name -> (Meta event, whether it is a standard event, adds ``num_items``).
EVENTS: dict[str, tuple[str, bool, bool]] = {
    "view_item": ("ViewContent", True, False),
    "view_item_list": ("ViewCategory", False, False),
    "search": ("Search", True, False),
    "add_to_cart": ("AddToCart", True, False),
    "add_to_wishlist": ("AddToWishlist", True, False),
    "begin_checkout": ("InitiateCheckout", True, True),
    "add_payment_info": ("AddPaymentInfo", True, False),
    "purchase": ("Purchase", True, True),
    "sign_up": ("CompleteRegistration", True, False),
    "generate_lead": ("Lead", True, False),
}

#: GA4 names Meta has nothing for (``page_view`` is sent by setup()).
UNMAPPED = frozenset({"page_view", "remove_from_cart", "view_cart", "select_item"})


class MetaPixel(Provider):
    """Meta Pixel (``pixel_id``: the 15- or 16-digit dataset id)."""

    key = "meta"
    label = "Meta Pixel"
    csp = {
        "script-src": ("https://connect.facebook.net",),
        "img-src": ("https://www.facebook.com",),
        "connect-src": ("https://www.facebook.com", "https://connect.facebook.net"),
    }
    default_script_url = "https://connect.facebook.net/en_US/fbevents.js"
    id_formats = {"pixel_id": (r"\d{15,16}", "123456789012345")}
    required = ("pixel_id",)
    check_id = "remarket.E226"
    check_hint = (
        "Copy the pixel (dataset) id from Meta Events Manager > Data sources: 15 or 16 "
        "digits, e.g. '123456789012345', written as a string."
    )

    def stub(self) -> str:
        return (
            "(function(w){if(w.fbq)return;var q=function(){q.callMethod?"
            "q.callMethod.apply(q,arguments):q.queue.push(arguments)};"
            'w.fbq=q;if(!w._fbq)w._fbq=q;q.push=q;q.loaded=true;q.version="2.0";'
            "q.queue=[];})(window);"
        )

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        return [Call("fbq", ("consent", "grant" if state.ad_storage else "revoke"))]

    def setup(self) -> list[Call]:
        return [
            Call("fbq", ("init", self.options["pixel_id"])),
            Call("fbq", ("track", "PageView")),
        ]

    def event(self, event: Event) -> list[Call]:
        if event.name in UNMAPPED:
            return []
        name, standard, counts = EVENTS.get(event.name, (event.name, False, False))
        data: dict[str, Any] = {**event.params, **money(event)}
        if event.items:
            data["content_ids"] = [item.id for item in event.items]
            data["content_type"] = "product"
            data["contents"] = [
                compact(
                    {
                        "id": item.id,
                        "quantity": item.quantity,
                        "item_price": None if item.price is None else number(item.price),
                    }
                )
                for item in event.items
            ]
            if len(event.items) == 1 and event.items[0].name:
                data["content_name"] = event.items[0].name
            if counts:
                data["num_items"] = quantity(event.items)
        if event.name == "search" and "search_term" in event.params:
            data["search_string"] = data.pop("search_term")
        method = "track" if standard else "trackCustom"
        return [Call("fbq", (method, name, data, {"eventID": event.id}))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [
            Call("fbq", ("trackCustom", AUDIENCE_EVENT, {"audience": name}, {"eventID": event_id}))
        ]

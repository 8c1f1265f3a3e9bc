"""The TikTok Pixel: ``ttq.track`` standard events with ``event_id``.

Names and parameters follow TikTok's standard-events pages
(https://ads.tiktok.com/help/article/supported-standard-events,
https://ads.tiktok.com/help/article/about-parameters): ``contents`` of
``{content_id, content_name, quantity, price}``, ``content_type: 'product'``, ``value``
(the total) and ``currency``; ``event_id`` in the third argument deduplicates with the
Events API. A purchase is ``CompletePayment`` (the order is paid on the spot in most
shops; TikTok's ``PlaceAnOrder`` is for pay-later flows). Consent uses
``ttq.holdConsent()`` until a choice, then ``grantConsent()`` / ``revokeConsent()``.
"""

from __future__ import annotations

from typing import Any

from remarket.tracking.events import Call, ConsentState, Event
from remarket.tracking.providers.base import AUDIENCE_EVENT, Provider, compact, money, number

EVENTS = {
    "view_item": "ViewContent",
    "search": "Search",
    "add_to_cart": "AddToCart",
    "add_to_wishlist": "AddToWishlist",
    "begin_checkout": "InitiateCheckout",
    "add_payment_info": "AddPaymentInfo",
    "purchase": "CompletePayment",
    "sign_up": "CompleteRegistration",
    "generate_lead": "SubmitForm",
}

#: GA4 names TikTok has nothing for (``page_view`` is ``ttq.page()`` in setup()).
UNMAPPED = frozenset(
    {"page_view", "view_item_list", "remove_from_cart", "view_cart", "select_item"}
)


class TikTokPixel(Provider):
    """TikTok Pixel (``pixel_id``: 20 upper-case letters and digits)."""

    key = "tiktok"
    label = "TikTok Pixel"
    csp = {
        "script-src": ("https://analytics.tiktok.com",),
        "img-src": ("https://analytics.tiktok.com",),
        "connect-src": ("https://analytics.tiktok.com",),
    }
    default_script_url = "https://analytics.tiktok.com/i18n/pixel/events.js"
    id_formats = {"pixel_id": (r"[A-Z0-9]{20}", "C4A1B2C3D4E5F6G7H8I9")}
    required = ("pixel_id",)
    check_id = "remarket.E227"
    check_hint = (
        "Copy the pixel id from TikTok Events Manager > Web: 20 upper-case letters and "
        "digits, e.g. 'C4A1B2C3D4E5F6G7H8I9'."
    )

    def stub(self) -> str:
        # TikTok's queue: every method pushes [name, ...args]; load() registers the pixel
        # id that events.js reads from ttq._i when it arrives.
        return (
            '(function(w){var t="ttq";w.TiktokAnalyticsObject=t;var q=w[t]=w[t]||[];'
            "if(q.methods)return;"
            'q.methods=["page","track","identify","instances","debug","on","off","once",'
            '"ready","alias","group","enableCookie","disableCookie","holdConsent",'
            '"revokeConsent","grantConsent"];'
            "q.setAndDefer=function(o,m){o[m]=function(){"
            "o.push([m].concat(Array.prototype.slice.call(arguments,0)))}};"
            "for(var i=0;i<q.methods.length;i++)q.setAndDefer(q,q.methods[i]);"
            "q.instance=function(id){var e=q._i[id]||[];"
            "for(var n=0;n<q.methods.length;n++)q.setAndDefer(e,q.methods[n]);return e};"
            "q.load=function(id,o){q._i=q._i||{};q._i[id]=[];"
            'q._i[id]._u="https://analytics.tiktok.com/i18n/pixel/events.js";'
            "q._t=q._t||{};q._t[id]=+new Date;q._o=q._o||{};q._o[id]=o||{}};"
            "})(window);"
        )

    def script_url(self) -> str:
        return f"{super().script_url()}?sdkid={self.options['pixel_id']}&lib=ttq"

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        if state.ad_storage:
            return [Call("ttq.grantConsent")]
        return [Call("ttq.holdConsent" if default else "ttq.revokeConsent")]

    def setup(self) -> list[Call]:
        return [Call("ttq.load", (self.options["pixel_id"],)), Call("ttq.page")]

    def event(self, event: Event) -> list[Call]:
        if event.name in UNMAPPED:
            return []
        data: dict[str, Any] = {**event.params, **money(event)}
        if event.items:
            data["content_type"] = "product"
            data["contents"] = [
                compact(
                    {
                        "content_id": item.id,
                        "content_name": item.name,
                        "quantity": item.quantity,
                        "price": None if item.price is None else number(item.price),
                    }
                )
                for item in event.items
            ]
        if event.name == "search" and "search_term" in event.params:
            data["query"] = data.pop("search_term")
        name = EVENTS.get(event.name, event.name)
        return [Call("ttq.track", (name, data, {"event_id": event.id}))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [Call("ttq.track", (AUDIENCE_EVENT, {"audience": name}, {"event_id": event_id}))]

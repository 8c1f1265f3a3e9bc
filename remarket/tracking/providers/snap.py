"""The Snap Pixel: ``snaptr('track', ...)`` with ``client_dedup_id``.

Event names and parameters (``item_ids``, ``item_category``, ``price``, ``currency``,
``number_items``, ``transaction_id``, ``search_string``) follow the Snap Pixel event
data (https://docs.civilpixels.com/knowledge-base/snapchat-pixel-events-event-data/);
``client_dedup_id`` pairs with the Conversions API's ``event_id``
(https://developers.snap.com/api/marketing-api/Conversions-API/Deduplication).
Snap has no named custom events, so audiences use ``CUSTOM_EVENT_1`` (the option
``audience_event`` picks another of CUSTOM_EVENT_1..5) with the name in ``description``.
Snap has no browser consent API: the pixel only loads once consent allows it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from remarket.tracking.events import Call, Event
from remarket.tracking.providers.base import Provider, money, quantity

EVENTS = {
    "view_item": "VIEW_CONTENT",
    "view_item_list": "LIST_VIEW",
    "search": "SEARCH",
    "add_to_cart": "ADD_CART",
    "add_to_wishlist": "ADD_TO_WISHLIST",
    "begin_checkout": "START_CHECKOUT",
    "add_payment_info": "ADD_BILLING",
    "purchase": "PURCHASE",
    "sign_up": "SIGN_UP",
}

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class SnapPixel(Provider):
    """Snap Pixel (``pixel_id``: a lower-case UUID)."""

    key = "snap"
    label = "Snap Pixel"
    csp = {
        "script-src": ("https://sc-static.net",),
        "img-src": ("https://tr.snapchat.com",),
        "connect-src": ("https://tr.snapchat.com",),
    }
    default_script_url = "https://sc-static.net/scevent.min.js"
    id_formats = {"pixel_id": (UUID, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")}
    required = ("pixel_id",)
    extra_options = ("audience_event",)
    check_id = "remarket.E231"
    check_hint = (
        "Copy the pixel id from Snapchat Ads Manager > Events Manager: a lower-case UUID "
        "such as '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'; 'audience_event' is one of "
        "CUSTOM_EVENT_1 to CUSTOM_EVENT_5."
    )

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> list[str]:
        problems = super().check(options)
        chosen = options.get("audience_event", "CUSTOM_EVENT_1")
        if not (isinstance(chosen, str) and re.fullmatch(r"CUSTOM_EVENT_[1-5]", chosen)):
            problems.append(
                f"REMARKET['PROVIDERS']['snap']['audience_event'] is {chosen!r}, not one of "
                "CUSTOM_EVENT_1 to CUSTOM_EVENT_5."
            )
        return problems

    def stub(self) -> str:
        return (
            "(function(w){if(w.snaptr)return;var s=w.snaptr=function(){s.handleRequest?"
            "s.handleRequest.apply(s,arguments):s.queue.push(arguments)};"
            "s.queue=[];})(window);"
        )

    def setup(self) -> list[Call]:
        return [
            Call("snaptr", ("init", self.options["pixel_id"])),
            Call("snaptr", ("track", "PAGE_VIEW")),
        ]

    def event(self, event: Event) -> list[Call]:
        name = EVENTS.get(event.name)
        if name is None:
            return []
        data: dict[str, Any] = {}
        if event.items:
            data["item_ids"] = [item.id for item in event.items]
            if event.items[0].category:
                data["item_category"] = event.items[0].category
            data["number_items"] = quantity(event.items)
        amount = money(event)
        if amount:
            data["price"] = amount["value"]
            data["currency"] = amount["currency"]
        if event.name == "purchase":
            data["transaction_id"] = event.transaction_id or event.id
        if event.name == "search" and event.params.get("search_term"):
            data["search_string"] = event.params["search_term"]
        data["client_dedup_id"] = event.id
        return [Call("snaptr", ("track", name, data))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        chosen = self.options.get("audience_event", "CUSTOM_EVENT_1")
        return [
            Call("snaptr", ("track", chosen, {"description": name, "client_dedup_id": event_id}))
        ]

"""The Pinterest Tag: ``pintrk('track', ...)`` with ``event_id`` and ``line_items``.

Pinterest's names differ from GA4's in one trap: its ``checkout`` event is a *completed
purchase* (https://developers.pinterest.com/docs/api-features/third-party-integrations/
maps GA4 ``purchase`` to ``checkout``), so ``begin_checkout`` sends nothing. A product
page is a ``pagevisit`` with its line items; ``pintrk('page')`` in setup() counts every
page. Consent: ``pintrk('setconsent', true|false)`` (false stops events and clears the
tag's first-party cookies).
"""

from __future__ import annotations

from typing import Any

from remarket.tracking.events import Call, ConsentState, Event
from remarket.tracking.providers.base import (
    Provider,
    compact,
    money,
    number,
    quantity,
)

EVENTS = {
    "view_item": "pagevisit",
    "view_item_list": "viewcategory",
    "search": "search",
    "add_to_cart": "addtocart",
    "purchase": "checkout",
    "sign_up": "signup",
    "generate_lead": "lead",
}


class PinterestTag(Provider):
    """Pinterest Tag (``tag_id``: 13 digits)."""

    key = "pinterest"
    label = "Pinterest Tag"
    csp = {
        "script-src": ("https://s.pinimg.com",),
        "img-src": ("https://ct.pinterest.com",),
        "connect-src": ("https://ct.pinterest.com",),
    }
    default_script_url = "https://s.pinimg.com/ct/core.js"
    id_formats = {"tag_id": (r"\d{13}", "2612345678901")}
    required = ("tag_id",)
    check_id = "remarket.E228"
    check_hint = (
        "Copy the tag id from Pinterest Ads > Conversions > Pinterest Tag: 13 digits, "
        "e.g. '2612345678901', written as a string."
    )

    def stub(self) -> str:
        return (
            "(function(w){if(w.pintrk)return;var p=w.pintrk=function(){"
            "p.queue.push(Array.prototype.slice.call(arguments))};"
            'p.queue=[];p.version="3.0";})(window);'
        )

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        return [Call("pintrk", ("setconsent", state.ad_storage))]

    def setup(self) -> list[Call]:
        return [Call("pintrk", ("load", self.options["tag_id"])), Call("pintrk", ("page",))]

    def event(self, event: Event) -> list[Call]:
        name = EVENTS.get(event.name)
        if name is None:
            return []
        data: dict[str, Any] = {"event_id": event.id, **money(event)}
        if event.items:
            data["order_quantity"] = quantity(event.items)
            data["line_items"] = [
                compact(
                    {
                        "product_id": item.id,
                        "product_name": item.name,
                        "product_price": None if item.price is None else number(item.price),
                        "product_quantity": item.quantity,
                        "product_category": item.category,
                        "product_brand": item.brand,
                        "product_variant": item.variant,
                    }
                )
                for item in event.items
            ]
        if event.name == "purchase":
            data["order_id"] = event.transaction_id or event.id
        if event.name == "search" and event.params.get("search_term"):
            data["search_query"] = event.params["search_term"]
        return [Call("pintrk", ("track", name, data))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        # Pinterest's one non-standard event is "custom"; the audience name rides along.
        return [Call("pintrk", ("track", "custom", {"event_id": event_id, "audience": name}))]

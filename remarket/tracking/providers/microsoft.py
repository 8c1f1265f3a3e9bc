"""Microsoft Advertising UET: ``uetq.push('event', ...)`` with the ``ecomm_*`` parameters.

The page types and parameters follow Microsoft's e-commerce examples
(https://learn.microsoft.com/en-us/advertising/msa-help/hlp_ba_proc_uet_exampleeventsecommerce):
``ecomm_pagetype`` (``product``, ``category``, ``searchresults``, ``cart``,
``purchase``), ``ecomm_prodid`` and ``ecomm_totalvalue``; purchases add
``revenue_value`` and ``currency`` for conversion goals. Judgment call: the event action
is the GA4 name, so a custom-event goal can match on it. Consent:
``uetq.push('consent', 'default'|'update', {ad_storage})``, before the tag loads.

Unlike other vendors, UET's queue must be turned into ``new UET({ti, q})`` *after*
bat.js arrives, so :meth:`setup` loads the script itself through a constant helper.
"""

from __future__ import annotations

from typing import Any

from remarket.tracking.events import Call, ConsentState, Event
from remarket.tracking.providers.base import AUDIENCE_EVENT, Provider, granted, money

PAGE_TYPES = {
    "view_item": "product",
    "view_item_list": "category",
    "search": "searchresults",
    "add_to_cart": "cart",
    "view_cart": "cart",
    "purchase": "purchase",
}


class MicrosoftUET(Provider):
    """Microsoft Advertising UET (``tag_id``: the numeric UET tag id)."""

    key = "microsoft"
    label = "Microsoft UET"
    csp = {
        "script-src": ("https://bat.bing.com",),
        "img-src": ("https://bat.bing.com",),
        "connect-src": ("https://bat.bing.com",),
    }
    default_script_url = "https://bat.bing.com/bat.js"
    id_formats = {"tag_id": (r"\d{5,12}", "343012345")}
    required = ("tag_id",)
    check_id = "remarket.E229"
    check_hint = (
        "Copy the UET tag id from Microsoft Advertising > Tools > UET tag: digits only, "
        "e.g. '343012345', written as a string."
    )

    def stub(self) -> str:
        # The loaded script gets the nonce of the inline script that loads it.
        return (
            "(function(w,d){w.uetq=w.uetq||[];"
            "var r=w.remarketPixels=w.remarketPixels||{};"
            'r.uet=function(ti,src){var s=d.createElement("script"),c=d.currentScript;'
            "if(c&&c.nonce)s.nonce=c.nonce;s.async=true;s.src=src;"
            's.onload=function(){if(typeof w.UET!=="function")return;'
            "var o={ti:ti,enableAutoSpaTracking:true};o.q=w.uetq;w.uetq=new w.UET(o);"
            'w.uetq.push("pageLoad")};d.head.appendChild(s)};})(window,document);'
        )

    def script_url(self) -> str:
        return ""  # setup() loads it

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        mode = "default" if default else "update"
        return [Call("uetq.push", ("consent", mode, {"ad_storage": granted(state.ad_storage)}))]

    def setup(self) -> list[Call]:
        return [Call("remarketPixels.uet", (self.options["tag_id"], super().script_url()))]

    def event(self, event: Event) -> list[Call]:
        page_type = PAGE_TYPES.get(event.name)
        if page_type is None:
            return []
        data: dict[str, Any] = {"ecomm_pagetype": page_type}
        if event.items:
            data["ecomm_prodid"] = [item.id for item in event.items]
            if event.items[0].category:
                data["ecomm_category"] = event.items[0].category
        amount = money(event)
        if amount:
            data["ecomm_totalvalue"] = amount["value"]
            if event.name == "purchase":
                data["revenue_value"] = amount["value"]
                data["currency"] = amount["currency"]
        if event.name == "search" and event.params.get("search_term"):
            data["ecomm_query"] = event.params["search_term"]
        return [Call("uetq.push", ("event", event.name, data))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [
            Call(
                "uetq.push",
                ("event", AUDIENCE_EVENT, {"event_category": "audience", "event_label": name}),
            )
        ]

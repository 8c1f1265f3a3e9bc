"""The Google tag (gtag.js): Google Ads remarketing (``AW-``) and Google Analytics 4 (``G-``).

One tag serves both: events go to every configured destination. Items carry GA4's
``item_id`` and, when an Ads id is configured, the dynamic-remarketing ``id`` with
``google_business_vertical: 'retail'`` (https://support.google.com/google-ads/answer/7305793).
A purchase always has a ``transaction_id`` (the order id, else the event id): GA4 merges
every purchase with an empty one (https://support.google.com/analytics/answer/12313109).
``conversion_labels`` adds Ads conversion events (``send_to: 'AW-.../label'``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from remarket.tracking.events import Call, ConsentState, Event, Item
from remarket.tracking.providers.base import (
    AUDIENCE_EVENT,
    Provider,
    compact,
    granted,
    money,
    number,
)

ADS_ID = r"AW-\d{6,15}"
MEASUREMENT_ID = r"G-[A-Z0-9]{6,14}"
CONVERSION_LABEL = r"[A-Za-z0-9_-]{4,40}"

# Google Consent Mode v2 as gtag takes it: every signal, granted or denied.
SIGNALS = ("ad_storage", "ad_user_data", "ad_personalization", "analytics_storage")

# Sources from Google's CSP guide for the Google tag with Analytics and Ads
# (https://developers.google.com/tag-platform/security/guides/csp).
GOOGLE_CSP = {
    "script-src": ("https://*.googletagmanager.com",),
    "img-src": (
        "https://*.google-analytics.com",
        "https://*.googletagmanager.com",
        "https://*.g.doubleclick.net",
        "https://*.google.com",
    ),
    "connect-src": (
        "https://*.google-analytics.com",
        "https://*.analytics.google.com",
        "https://*.googletagmanager.com",
        "https://*.g.doubleclick.net",
        "https://*.google.com",
    ),
    "frame-src": ("https://td.doubleclick.net", "https://www.googletagmanager.com"),
}


def consent_calls(state: ConsentState, *, default: bool) -> list[Call]:
    """``gtag('consent', 'default'|'update', {...})``, shared with the GTM provider."""
    signals = {name: granted(getattr(state, name)) for name in SIGNALS}
    return [Call("gtag", ("consent", "default" if default else "update", signals))]


def ga4_item(item: Item, *, ads: bool) -> dict[str, Any]:
    """A GA4 item; with Ads, also the dynamic-remarketing ``id`` and retail vertical."""
    fields = compact(
        {
            "item_id": item.id,
            "item_name": item.name,
            "price": None if item.price is None else number(item.price),
            "quantity": item.quantity,
            "item_category": item.category,
            "item_brand": item.brand,
            "item_variant": item.variant,
        }
    )
    if ads:
        fields.update(id=item.id, google_business_vertical="retail")
    return fields


def ga4_params(event: Event, *, ads: bool = False) -> dict[str, Any]:
    """GA4 e-commerce parameters of an event (extra ``params`` first, ours win)."""
    params: dict[str, Any] = {**event.params, **money(event)}
    if event.items:
        params["items"] = [ga4_item(item, ads=ads) for item in event.items]
    if event.name == "purchase":
        params["transaction_id"] = event.transaction_id or event.id
    elif event.transaction_id:
        params["transaction_id"] = event.transaction_id
    return params


class GoogleTag(Provider):
    """Google Ads (``ads_id``) and/or GA4 (``measurement_id``) through one gtag.js."""

    key = "google"
    label = "Google tag"
    csp = GOOGLE_CSP
    default_script_url = "https://www.googletagmanager.com/gtag/js"
    id_formats = {
        "ads_id": (ADS_ID, "AW-123456789"),
        "measurement_id": (MEASUREMENT_ID, "G-ABC123DEF4"),
    }
    extra_options = ("conversion_labels",)
    check_id = "remarket.E224"
    check_hint = (
        "Give 'ads_id' (Google Ads > Tools > Google tag, e.g. 'AW-123456789'), "
        "'measurement_id' (GA4 > Admin > Data streams, e.g. 'G-ABC123DEF4') or both; "
        "'conversion_labels' maps event names to Ads conversion labels, e.g. "
        "{'purchase': 'AbC-D_efG-h12_34-567'}."
    )

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> list[str]:
        problems = super().check(options)
        if not options.get("ads_id") and not options.get("measurement_id"):
            problems.append(
                "REMARKET['PROVIDERS']['google'] has neither 'ads_id' nor 'measurement_id'."
            )
        labels = options.get("conversion_labels", {})
        if not isinstance(labels, dict) or not all(
            isinstance(label, str) and re.fullmatch(CONVERSION_LABEL, label)
            for label in labels.values()
        ):
            problems.append(
                f"REMARKET['PROVIDERS']['google']['conversion_labels'] is {labels!r}, not a "
                "dict of event names to conversion labels."
            )
        elif labels and not options.get("ads_id"):
            problems.append(
                "REMARKET['PROVIDERS']['google'] has 'conversion_labels' but no 'ads_id' "
                "to send them to."
            )
        return problems

    @property
    def ids(self) -> list[str]:
        return [self.options[k] for k in ("ads_id", "measurement_id") if self.options.get(k)]

    def stub(self) -> str:
        # gtag('js', new Date()) needs a browser clock, so it waits in a helper for setup().
        return (
            "(function(w){w.dataLayer=w.dataLayer||[];"
            "w.gtag=w.gtag||function(){w.dataLayer.push(arguments)};"
            "var r=w.remarketPixels=w.remarketPixels||{};"
            'r.gtagStart=function(){w.gtag("js",new Date())};})(window);'
        )

    def script_url(self) -> str:
        return f"{super().script_url()}?id={quote(self.ids[0])}"

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        return consent_calls(state, default=default)

    def setup(self) -> list[Call]:
        return [
            Call("remarketPixels.gtagStart"),
            *(Call("gtag", ("config", tag_id)) for tag_id in self.ids),
        ]

    def event(self, event: Event) -> list[Call]:
        if event.name == "page_view":
            return []  # gtag('config') sends it
        ads_id = self.options.get("ads_id")
        calls = [Call("gtag", ("event", event.name, ga4_params(event, ads=bool(ads_id))))]
        label = self.options.get("conversion_labels", {}).get(event.name)
        if ads_id and label:
            conversion = {"send_to": f"{ads_id}/{label}", **money(event)}
            if event.name == "purchase" or event.transaction_id:
                conversion["transaction_id"] = event.transaction_id or event.id
            calls.append(Call("gtag", ("event", "conversion", conversion)))
        return calls

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [Call("gtag", ("event", AUDIENCE_EVENT, {"audience": name}))]

"""Google Tag Manager: the container plus GA4 e-commerce objects pushed onto ``dataLayer``.

Each e-commerce event first pushes ``{ecommerce: null}`` so the previous event's object
does not leak into the next (Google's GTM e-commerce guide,
https://developers.google.com/tag-manager/ecommerce-ga4). Tags inside the container
decide where the data goes; consent uses the same ``gtag('consent', ...)`` commands,
which GTM reads from ``dataLayer``.
"""

from __future__ import annotations

from urllib.parse import quote

from remarket.tracking.events import Call, ConsentState, Event
from remarket.tracking.providers.base import AUDIENCE_EVENT, Provider
from remarket.tracking.providers.google import consent_calls, ga4_params

# GA4's e-commerce events: their parameters go under "ecommerce"; others stay top-level.
ECOMMERCE = frozenset(
    {
        "view_item",
        "view_item_list",
        "select_item",
        "add_to_cart",
        "remove_from_cart",
        "view_cart",
        "begin_checkout",
        "add_shipping_info",
        "add_payment_info",
        "purchase",
        "refund",
        "add_to_wishlist",
    }
)


class GoogleTagManager(Provider):
    """A GTM web container (``container_id``, e.g. ``GTM-AB12CD3``)."""

    key = "gtm"
    label = "Google Tag Manager"
    csp = {
        "script-src": ("https://www.googletagmanager.com",),
        "img-src": ("https://www.googletagmanager.com",),
        "connect-src": ("https://www.googletagmanager.com",),
    }
    default_script_url = "https://www.googletagmanager.com/gtm.js"
    id_formats = {"container_id": (r"GTM-[A-Z0-9]{4,10}", "GTM-AB12CD3")}
    required = ("container_id",)
    check_id = "remarket.E225"
    check_hint = "Copy the container id from Tag Manager's workspace header, e.g. 'GTM-AB12CD3'."

    def stub(self) -> str:
        # The gtm.js start event needs a browser clock and must follow the consent
        # defaults, so it waits in a helper that setup() calls.
        return (
            "(function(w){w.dataLayer=w.dataLayer||[];"
            "w.gtag=w.gtag||function(){w.dataLayer.push(arguments)};"
            "var r=w.remarketPixels=w.remarketPixels||{};"
            'r.gtmStart=function(){w.dataLayer.push({"gtm.start":new Date().getTime(),'
            'event:"gtm.js"})};})(window);'
        )

    def script_url(self) -> str:
        return f"{super().script_url()}?id={quote(self.options['container_id'])}"

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        return consent_calls(state, default=default)

    def setup(self) -> list[Call]:
        return [Call("remarketPixels.gtmStart")]

    def event(self, event: Event) -> list[Call]:
        if event.name == "page_view":
            return []  # the container's own gtm.js event is the page view
        if event.name not in ECOMMERCE:
            return [
                Call(
                    "dataLayer.push",
                    ({**ga4_params(event), "event": event.name, "event_id": event.id},),
                )
            ]
        return [
            Call("dataLayer.push", ({"ecommerce": None},)),
            Call(
                "dataLayer.push",
                ({"event": event.name, "event_id": event.id, "ecommerce": ga4_params(event)},),
            ),
        ]

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [
            Call(
                "dataLayer.push",
                ({"event": AUDIENCE_EVENT, "event_id": event_id, "audience": name},),
            )
        ]

# ruff: noqa: E501  (golden tables keep one call per line, whatever its length)
"""Golden tests: every provider's calls for every event of the GA4 vocabulary, exactly.

Each table below is the provider's mapping as the page will run it; a change to a
mapping shows up here as a one-line diff a reviewer can check against the vendor's docs
(cited in each provider module).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from remarket.tracking.events import Call, ConsentState, Event, Item
from remarket.tracking.providers import provider_class

MUG = Item("mug-1", "Mug", Decimal("12.50"), 2, "Kitchen", "Acme", "blue")
TEA = Item("tea-7", "Tea", Decimal("4"))

EVENTS = [
    Event("page_view", "e-page"),
    Event(
        "view_item", "e-view", (Item("mug-1", "Mug", Decimal("12.50"), 1, "Kitchen"),), None, "EUR"
    ),
    Event("view_item_list", "e-list", (MUG, TEA)),
    Event("search", "e-search", params={"search_term": "green tea"}),
    Event("add_to_cart", "e-cart", (MUG,), currency="EUR"),
    Event("remove_from_cart", "e-remove", (TEA,), currency="VND"),
    Event("begin_checkout", "e-checkout", (MUG, TEA), Decimal("29.00"), "EUR"),
    Event("purchase", "e-buy", (MUG, TEA), Decimal("29.00"), "EUR", transaction_id="order-1001"),
    Event("newsletter_signup", "e-custom", params={"placement": "footer"}),
]

OPTIONS: dict[str, dict[str, Any]] = {
    "google": {
        "ads_id": "AW-123456789",
        "measurement_id": "G-ABC123DEF4",
        "conversion_labels": {"purchase": "AbC-D_efG"},
    },
    "gtm": {"container_id": "GTM-AB12CD3"},
    "meta": {"pixel_id": "123456789012345"},
    "tiktok": {"pixel_id": "C4A1B2C3D4E5F6G7H8I9"},
    "pinterest": {"tag_id": "2612345678901"},
    "microsoft": {"tag_id": "343012345"},
    "linkedin": {"partner_id": "1234567", "conversions": {"purchase": 12345678}},
    "snap": {"pixel_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
}


def C(function: str, *args: Any) -> Call:
    return Call(function, args)


def provider(key: str, **options: Any) -> Any:
    return provider_class(key)({**OPTIONS[key], **options})


# fmt: off
# Each provider's calls for each event of EVENTS, in order.
TABLES: dict[str, dict[str, list[Call]]] = {
    'google': {
        'page_view': [],
        'view_item': [C('gtag', 'event', 'view_item', {'value': 12.5, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 1, 'item_category': 'Kitchen', 'id': 'mug-1', 'google_business_vertical': 'retail'}]})],
        'view_item_list': [C('gtag', 'event', 'view_item_list', {'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue', 'id': 'mug-1', 'google_business_vertical': 'retail'}, {'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1, 'id': 'tea-7', 'google_business_vertical': 'retail'}]})],
        'search': [C('gtag', 'event', 'search', {'search_term': 'green tea'})],
        'add_to_cart': [C('gtag', 'event', 'add_to_cart', {'value': 25, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue', 'id': 'mug-1', 'google_business_vertical': 'retail'}]})],
        'remove_from_cart': [C('gtag', 'event', 'remove_from_cart', {'value': 4, 'currency': 'VND', 'items': [{'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1, 'id': 'tea-7', 'google_business_vertical': 'retail'}]})],
        'begin_checkout': [C('gtag', 'event', 'begin_checkout', {'value': 29, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue', 'id': 'mug-1', 'google_business_vertical': 'retail'}, {'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1, 'id': 'tea-7', 'google_business_vertical': 'retail'}]})],
        'purchase': [C('gtag', 'event', 'purchase', {'value': 29, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue', 'id': 'mug-1', 'google_business_vertical': 'retail'}, {'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1, 'id': 'tea-7', 'google_business_vertical': 'retail'}], 'transaction_id': 'order-1001'}), C('gtag', 'event', 'conversion', {'send_to': 'AW-123456789/AbC-D_efG', 'value': 29, 'currency': 'EUR', 'transaction_id': 'order-1001'})],
        'newsletter_signup': [C('gtag', 'event', 'newsletter_signup', {'placement': 'footer'})],
    },
    'gtm': {
        'page_view': [],
        'view_item': [C('dataLayer.push', {'ecommerce': None}), C('dataLayer.push', {'event': 'view_item', 'event_id': 'e-view', 'ecommerce': {'value': 12.5, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 1, 'item_category': 'Kitchen'}]}})],
        'view_item_list': [C('dataLayer.push', {'ecommerce': None}), C('dataLayer.push', {'event': 'view_item_list', 'event_id': 'e-list', 'ecommerce': {'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue'}, {'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1}]}})],
        'search': [C('dataLayer.push', {'search_term': 'green tea', 'event': 'search', 'event_id': 'e-search'})],
        'add_to_cart': [C('dataLayer.push', {'ecommerce': None}), C('dataLayer.push', {'event': 'add_to_cart', 'event_id': 'e-cart', 'ecommerce': {'value': 25, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue'}]}})],
        'remove_from_cart': [C('dataLayer.push', {'ecommerce': None}), C('dataLayer.push', {'event': 'remove_from_cart', 'event_id': 'e-remove', 'ecommerce': {'value': 4, 'currency': 'VND', 'items': [{'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1}]}})],
        'begin_checkout': [C('dataLayer.push', {'ecommerce': None}), C('dataLayer.push', {'event': 'begin_checkout', 'event_id': 'e-checkout', 'ecommerce': {'value': 29, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue'}, {'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1}]}})],
        'purchase': [C('dataLayer.push', {'ecommerce': None}), C('dataLayer.push', {'event': 'purchase', 'event_id': 'e-buy', 'ecommerce': {'value': 29, 'currency': 'EUR', 'items': [{'item_id': 'mug-1', 'item_name': 'Mug', 'price': 12.5, 'quantity': 2, 'item_category': 'Kitchen', 'item_brand': 'Acme', 'item_variant': 'blue'}, {'item_id': 'tea-7', 'item_name': 'Tea', 'price': 4, 'quantity': 1}], 'transaction_id': 'order-1001'}})],
        'newsletter_signup': [C('dataLayer.push', {'placement': 'footer', 'event': 'newsletter_signup', 'event_id': 'e-custom'})],
    },
    'meta': {
        'page_view': [],
        'view_item': [C('fbq', 'track', 'ViewContent', {'value': 12.5, 'currency': 'EUR', 'content_ids': ['mug-1'], 'content_type': 'product', 'contents': [{'id': 'mug-1', 'quantity': 1, 'item_price': 12.5}], 'content_name': 'Mug'}, {'eventID': 'e-view'})],
        'view_item_list': [C('fbq', 'trackCustom', 'ViewCategory', {'content_ids': ['mug-1', 'tea-7'], 'content_type': 'product', 'contents': [{'id': 'mug-1', 'quantity': 2, 'item_price': 12.5}, {'id': 'tea-7', 'quantity': 1, 'item_price': 4}]}, {'eventID': 'e-list'})],
        'search': [C('fbq', 'track', 'Search', {'search_string': 'green tea'}, {'eventID': 'e-search'})],
        'add_to_cart': [C('fbq', 'track', 'AddToCart', {'value': 25, 'currency': 'EUR', 'content_ids': ['mug-1'], 'content_type': 'product', 'contents': [{'id': 'mug-1', 'quantity': 2, 'item_price': 12.5}], 'content_name': 'Mug'}, {'eventID': 'e-cart'})],
        'remove_from_cart': [],
        'begin_checkout': [C('fbq', 'track', 'InitiateCheckout', {'value': 29, 'currency': 'EUR', 'content_ids': ['mug-1', 'tea-7'], 'content_type': 'product', 'contents': [{'id': 'mug-1', 'quantity': 2, 'item_price': 12.5}, {'id': 'tea-7', 'quantity': 1, 'item_price': 4}], 'num_items': 3}, {'eventID': 'e-checkout'})],
        'purchase': [C('fbq', 'track', 'Purchase', {'value': 29, 'currency': 'EUR', 'content_ids': ['mug-1', 'tea-7'], 'content_type': 'product', 'contents': [{'id': 'mug-1', 'quantity': 2, 'item_price': 12.5}, {'id': 'tea-7', 'quantity': 1, 'item_price': 4}], 'num_items': 3}, {'eventID': 'e-buy'})],
        'newsletter_signup': [C('fbq', 'trackCustom', 'newsletter_signup', {'placement': 'footer'}, {'eventID': 'e-custom'})],
    },
    'tiktok': {
        'page_view': [],
        'view_item': [C('ttq.track', 'ViewContent', {'value': 12.5, 'currency': 'EUR', 'content_type': 'product', 'contents': [{'content_id': 'mug-1', 'content_name': 'Mug', 'quantity': 1, 'price': 12.5}]}, {'event_id': 'e-view'})],
        'view_item_list': [],
        'search': [C('ttq.track', 'Search', {'query': 'green tea'}, {'event_id': 'e-search'})],
        'add_to_cart': [C('ttq.track', 'AddToCart', {'value': 25, 'currency': 'EUR', 'content_type': 'product', 'contents': [{'content_id': 'mug-1', 'content_name': 'Mug', 'quantity': 2, 'price': 12.5}]}, {'event_id': 'e-cart'})],
        'remove_from_cart': [],
        'begin_checkout': [C('ttq.track', 'InitiateCheckout', {'value': 29, 'currency': 'EUR', 'content_type': 'product', 'contents': [{'content_id': 'mug-1', 'content_name': 'Mug', 'quantity': 2, 'price': 12.5}, {'content_id': 'tea-7', 'content_name': 'Tea', 'quantity': 1, 'price': 4}]}, {'event_id': 'e-checkout'})],
        'purchase': [C('ttq.track', 'CompletePayment', {'value': 29, 'currency': 'EUR', 'content_type': 'product', 'contents': [{'content_id': 'mug-1', 'content_name': 'Mug', 'quantity': 2, 'price': 12.5}, {'content_id': 'tea-7', 'content_name': 'Tea', 'quantity': 1, 'price': 4}]}, {'event_id': 'e-buy'})],
        'newsletter_signup': [C('ttq.track', 'newsletter_signup', {'placement': 'footer'}, {'event_id': 'e-custom'})],
    },
    'pinterest': {
        'page_view': [],
        'view_item': [C('pintrk', 'track', 'pagevisit', {'event_id': 'e-view', 'value': 12.5, 'currency': 'EUR', 'order_quantity': 1, 'line_items': [{'product_id': 'mug-1', 'product_name': 'Mug', 'product_price': 12.5, 'product_quantity': 1, 'product_category': 'Kitchen'}]})],
        'view_item_list': [C('pintrk', 'track', 'viewcategory', {'event_id': 'e-list', 'order_quantity': 3, 'line_items': [{'product_id': 'mug-1', 'product_name': 'Mug', 'product_price': 12.5, 'product_quantity': 2, 'product_category': 'Kitchen', 'product_brand': 'Acme', 'product_variant': 'blue'}, {'product_id': 'tea-7', 'product_name': 'Tea', 'product_price': 4, 'product_quantity': 1}]})],
        'search': [C('pintrk', 'track', 'search', {'event_id': 'e-search', 'search_query': 'green tea'})],
        'add_to_cart': [C('pintrk', 'track', 'addtocart', {'event_id': 'e-cart', 'value': 25, 'currency': 'EUR', 'order_quantity': 2, 'line_items': [{'product_id': 'mug-1', 'product_name': 'Mug', 'product_price': 12.5, 'product_quantity': 2, 'product_category': 'Kitchen', 'product_brand': 'Acme', 'product_variant': 'blue'}]})],
        'remove_from_cart': [],
        'begin_checkout': [],
        'purchase': [C('pintrk', 'track', 'checkout', {'event_id': 'e-buy', 'value': 29, 'currency': 'EUR', 'order_quantity': 3, 'line_items': [{'product_id': 'mug-1', 'product_name': 'Mug', 'product_price': 12.5, 'product_quantity': 2, 'product_category': 'Kitchen', 'product_brand': 'Acme', 'product_variant': 'blue'}, {'product_id': 'tea-7', 'product_name': 'Tea', 'product_price': 4, 'product_quantity': 1}], 'order_id': 'order-1001'})],
        'newsletter_signup': [],
    },
    'microsoft': {
        'page_view': [],
        'view_item': [C('uetq.push', 'event', 'view_item', {'ecomm_pagetype': 'product', 'ecomm_prodid': ['mug-1'], 'ecomm_category': 'Kitchen', 'ecomm_totalvalue': 12.5})],
        'view_item_list': [C('uetq.push', 'event', 'view_item_list', {'ecomm_pagetype': 'category', 'ecomm_prodid': ['mug-1', 'tea-7'], 'ecomm_category': 'Kitchen'})],
        'search': [C('uetq.push', 'event', 'search', {'ecomm_pagetype': 'searchresults', 'ecomm_query': 'green tea'})],
        'add_to_cart': [C('uetq.push', 'event', 'add_to_cart', {'ecomm_pagetype': 'cart', 'ecomm_prodid': ['mug-1'], 'ecomm_category': 'Kitchen', 'ecomm_totalvalue': 25})],
        'remove_from_cart': [],
        'begin_checkout': [],
        'purchase': [C('uetq.push', 'event', 'purchase', {'ecomm_pagetype': 'purchase', 'ecomm_prodid': ['mug-1', 'tea-7'], 'ecomm_category': 'Kitchen', 'ecomm_totalvalue': 29, 'revenue_value': 29, 'currency': 'EUR'})],
        'newsletter_signup': [],
    },
    'linkedin': {
        'page_view': [],
        'view_item': [],
        'view_item_list': [],
        'search': [],
        'add_to_cart': [],
        'remove_from_cart': [],
        'begin_checkout': [],
        'purchase': [C('lintrk', 'track', {'conversion_id': 12345678, 'event_id': 'e-buy'})],
        'newsletter_signup': [],
    },
    'snap': {
        'page_view': [],
        'view_item': [C('snaptr', 'track', 'VIEW_CONTENT', {'item_ids': ['mug-1'], 'item_category': 'Kitchen', 'number_items': 1, 'price': 12.5, 'currency': 'EUR', 'client_dedup_id': 'e-view'})],
        'view_item_list': [C('snaptr', 'track', 'LIST_VIEW', {'item_ids': ['mug-1', 'tea-7'], 'item_category': 'Kitchen', 'number_items': 3, 'client_dedup_id': 'e-list'})],
        'search': [C('snaptr', 'track', 'SEARCH', {'search_string': 'green tea', 'client_dedup_id': 'e-search'})],
        'add_to_cart': [C('snaptr', 'track', 'ADD_CART', {'item_ids': ['mug-1'], 'item_category': 'Kitchen', 'number_items': 2, 'price': 25, 'currency': 'EUR', 'client_dedup_id': 'e-cart'})],
        'remove_from_cart': [],
        'begin_checkout': [C('snaptr', 'track', 'START_CHECKOUT', {'item_ids': ['mug-1', 'tea-7'], 'item_category': 'Kitchen', 'number_items': 3, 'price': 29, 'currency': 'EUR', 'client_dedup_id': 'e-checkout'})],
        'purchase': [C('snaptr', 'track', 'PURCHASE', {'item_ids': ['mug-1', 'tea-7'], 'item_category': 'Kitchen', 'number_items': 3, 'price': 29, 'currency': 'EUR', 'transaction_id': 'order-1001', 'client_dedup_id': 'e-buy'})],
        'newsletter_signup': [],
    },
}

SETUP = {
    'google': [C('remarketPixels.gtagStart'), C('gtag', 'config', 'AW-123456789'), C('gtag', 'config', 'G-ABC123DEF4')],
    'gtm': [C('remarketPixels.gtmStart')],
    'meta': [C('fbq', 'init', '123456789012345'), C('fbq', 'track', 'PageView')],
    'tiktok': [C('ttq.load', 'C4A1B2C3D4E5F6G7H8I9'), C('ttq.page')],
    'pinterest': [C('pintrk', 'load', '2612345678901'), C('pintrk', 'page')],
    'microsoft': [C('remarketPixels.uet', '343012345', 'https://bat.bing.com/bat.js')],
    'linkedin': [C('_linkedin_data_partner_ids.push', '1234567')],
    'snap': [C('snaptr', 'init', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'), C('snaptr', 'track', 'PAGE_VIEW')],
}

SCRIPT_URLS = {
    'google': 'https://www.googletagmanager.com/gtag/js?id=AW-123456789',
    'gtm': 'https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD3',
    'meta': 'https://connect.facebook.net/en_US/fbevents.js',
    'tiktok': 'https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=C4A1B2C3D4E5F6G7H8I9&lib=ttq',
    'pinterest': 'https://s.pinimg.com/ct/core.js',
    'microsoft': '',
    'linkedin': 'https://snap.licdn.com/li.lms-analytics/insight.min.js',
    'snap': 'https://sc-static.net/scevent.min.js',
}

CONSENT_DEFAULT_DENIED = {
    'google': [C('gtag', 'consent', 'default', {'ad_storage': 'denied', 'ad_user_data': 'denied', 'ad_personalization': 'denied', 'analytics_storage': 'denied'})],
    'gtm': [C('gtag', 'consent', 'default', {'ad_storage': 'denied', 'ad_user_data': 'denied', 'ad_personalization': 'denied', 'analytics_storage': 'denied'})],
    'meta': [C('fbq', 'consent', 'revoke')],
    'tiktok': [C('ttq.holdConsent')],
    'pinterest': [C('pintrk', 'setconsent', False)],
    'microsoft': [C('uetq.push', 'consent', 'default', {'ad_storage': 'denied'})],
    'linkedin': [],
    'snap': [],
}

# ad_storage and ad_user_data granted, the other two denied.
CONSENT_UPDATE_PARTLY_GRANTED = {
    'google': [C('gtag', 'consent', 'update', {'ad_storage': 'granted', 'ad_user_data': 'granted', 'ad_personalization': 'denied', 'analytics_storage': 'denied'})],
    'gtm': [C('gtag', 'consent', 'update', {'ad_storage': 'granted', 'ad_user_data': 'granted', 'ad_personalization': 'denied', 'analytics_storage': 'denied'})],
    'meta': [C('fbq', 'consent', 'grant')],
    'tiktok': [C('ttq.grantConsent')],
    'pinterest': [C('pintrk', 'setconsent', True)],
    'microsoft': [C('uetq.push', 'consent', 'update', {'ad_storage': 'granted'})],
    'linkedin': [],
    'snap': [],
}

CONSENT_UPDATE_DENIED = {
    'google': [C('gtag', 'consent', 'update', {'ad_storage': 'denied', 'ad_user_data': 'denied', 'ad_personalization': 'denied', 'analytics_storage': 'denied'})],
    'gtm': [C('gtag', 'consent', 'update', {'ad_storage': 'denied', 'ad_user_data': 'denied', 'ad_personalization': 'denied', 'analytics_storage': 'denied'})],
    'meta': [C('fbq', 'consent', 'revoke')],
    'tiktok': [C('ttq.revokeConsent')],
    'pinterest': [C('pintrk', 'setconsent', False)],
    'microsoft': [C('uetq.push', 'consent', 'update', {'ad_storage': 'denied'})],
    'linkedin': [],
    'snap': [],
}

AUDIENCE = {
    'google': [C('gtag', 'event', 'remarket_audience', {'audience': 'offer-page-3x'})],
    'gtm': [C('dataLayer.push', {'event': 'remarket_audience', 'event_id': 'a-1', 'audience': 'offer-page-3x'})],
    'meta': [C('fbq', 'trackCustom', 'remarket_audience', {'audience': 'offer-page-3x'}, {'eventID': 'a-1'})],
    'tiktok': [C('ttq.track', 'remarket_audience', {'audience': 'offer-page-3x'}, {'event_id': 'a-1'})],
    'pinterest': [C('pintrk', 'track', 'custom', {'event_id': 'a-1', 'audience': 'offer-page-3x'})],
    'microsoft': [C('uetq.push', 'event', 'remarket_audience', {'event_category': 'audience', 'event_label': 'offer-page-3x'})],
    'linkedin': [],
    'snap': [C('snaptr', 'track', 'CUSTOM_EVENT_1', {'description': 'offer-page-3x', 'client_dedup_id': 'a-1'})],
}

STUBS = {
    'google': '(function(w){w.dataLayer=w.dataLayer||[];w.gtag=w.gtag||function(){w.dataLayer.push(arguments)};var r=w.remarketPixels=w.remarketPixels||{};r.gtagStart=function(){w.gtag("js",new Date())};})(window);',
    'gtm': '(function(w){w.dataLayer=w.dataLayer||[];w.gtag=w.gtag||function(){w.dataLayer.push(arguments)};var r=w.remarketPixels=w.remarketPixels||{};r.gtmStart=function(){w.dataLayer.push({"gtm.start":new Date().getTime(),event:"gtm.js"})};})(window);',
    'meta': '(function(w){if(w.fbq)return;var q=function(){q.callMethod?q.callMethod.apply(q,arguments):q.queue.push(arguments)};w.fbq=q;if(!w._fbq)w._fbq=q;q.push=q;q.loaded=true;q.version="2.0";q.queue=[];})(window);',
    'tiktok': '(function(w){var t="ttq";w.TiktokAnalyticsObject=t;var q=w[t]=w[t]||[];if(q.methods)return;q.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie","holdConsent","revokeConsent","grantConsent"];q.setAndDefer=function(o,m){o[m]=function(){o.push([m].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<q.methods.length;i++)q.setAndDefer(q,q.methods[i]);q.instance=function(id){var e=q._i[id]||[];for(var n=0;n<q.methods.length;n++)q.setAndDefer(e,q.methods[n]);return e};q.load=function(id,o){q._i=q._i||{};q._i[id]=[];q._i[id]._u="https://analytics.tiktok.com/i18n/pixel/events.js";q._t=q._t||{};q._t[id]=+new Date;q._o=q._o||{};q._o[id]=o||{}};})(window);',
    'pinterest': '(function(w){if(w.pintrk)return;var p=w.pintrk=function(){p.queue.push(Array.prototype.slice.call(arguments))};p.queue=[];p.version="3.0";})(window);',
    'microsoft': '(function(w,d){w.uetq=w.uetq||[];var r=w.remarketPixels=w.remarketPixels||{};r.uet=function(ti,src){var s=d.createElement("script"),c=d.currentScript;if(c&&c.nonce)s.nonce=c.nonce;s.async=true;s.src=src;s.onload=function(){if(typeof w.UET!=="function")return;var o={ti:ti,enableAutoSpaTracking:true};o.q=w.uetq;w.uetq=new w.UET(o);w.uetq.push("pageLoad")};d.head.appendChild(s)};})(window,document);',
    'linkedin': '(function(w){w._linkedin_data_partner_ids=w._linkedin_data_partner_ids||[];if(w.lintrk)return;w.lintrk=function(a,b){w.lintrk.q.push([a,b])};w.lintrk.q=[];})(window);',
    'snap': '(function(w){if(w.snaptr)return;var s=w.snaptr=function(){s.handleRequest?s.handleRequest.apply(s,arguments):s.queue.push(arguments)};s.queue=[];})(window);',
}
# fmt: on


@pytest.mark.parametrize("key", OPTIONS)
@pytest.mark.parametrize("event", EVENTS, ids=lambda event: event.name)
def test_mapping_table(key, event):
    assert provider(key).event(event) == TABLES[key][event.name]


@pytest.mark.parametrize("key", OPTIONS)
def test_setup_script_and_stub(key):
    subject = provider(key)
    assert subject.setup() == SETUP[key]
    assert subject.script_url() == SCRIPT_URLS[key]
    assert subject.stub() == STUBS[key]


@pytest.mark.parametrize("key", OPTIONS)
def test_stub_is_constant_and_cannot_close_the_script_element(key):
    stub = provider(key).stub()
    assert "</" not in stub
    for value in OPTIONS[key].values():
        if isinstance(value, str):
            assert value not in stub


@pytest.mark.parametrize("key", OPTIONS)
def test_consent(key):
    subject = provider(key)
    assert subject.consent(ConsentState.denied(), default=True) == CONSENT_DEFAULT_DENIED[key]
    partly = ConsentState(True, True, False, False)
    assert subject.consent(partly, default=False) == CONSENT_UPDATE_PARTLY_GRANTED[key]
    assert subject.consent(ConsentState.denied(), default=False) == CONSENT_UPDATE_DENIED[key]


@pytest.mark.parametrize("key", OPTIONS)
def test_audience(key):
    assert provider(key).audience("offer-page-3x", "a-1") == AUDIENCE[key]


def test_every_event_of_a_provider_shares_the_event_id():
    purchase = EVENTS[7]
    assert provider("meta").event(purchase)[0].args[3] == {"eventID": "e-buy"}
    assert provider("tiktok").event(purchase)[0].args[2] == {"event_id": "e-buy"}
    assert provider("pinterest").event(purchase)[0].args[2]["event_id"] == "e-buy"
    assert provider("snap").event(purchase)[0].args[2]["client_dedup_id"] == "e-buy"
    assert provider("linkedin").event(purchase)[0].args[1]["event_id"] == "e-buy"
    assert provider("gtm").event(purchase)[1].args[0]["event_id"] == "e-buy"


def test_purchase_without_order_id_uses_the_event_id_never_an_empty_one():
    purchase = Event("purchase", "e-77", (TEA,), currency="EUR")
    (ga4, conversion) = provider("google").event(purchase)
    assert ga4.args[2]["transaction_id"] == "e-77"
    assert conversion.args[2]["transaction_id"] == "e-77"
    assert provider("pinterest").event(purchase)[0].args[2]["order_id"] == "e-77"
    assert provider("snap").event(purchase)[0].args[2]["transaction_id"] == "e-77"


def test_google_analytics_alone_sends_no_remarketing_fields():
    subject = provider_class("google")({"measurement_id": "G-ABC123DEF4"})
    assert subject.setup() == [C("remarketPixels.gtagStart"), C("gtag", "config", "G-ABC123DEF4")]
    assert subject.script_url() == "https://www.googletagmanager.com/gtag/js?id=G-ABC123DEF4"
    assert subject.event(EVENTS[4]) == [
        C(
            "gtag",
            "event",
            "add_to_cart",
            {
                "value": 25,
                "currency": "EUR",
                "items": [
                    {
                        "item_id": "mug-1",
                        "item_name": "Mug",
                        "price": 12.5,
                        "quantity": 2,
                        "item_category": "Kitchen",
                        "item_brand": "Acme",
                        "item_variant": "blue",
                    }
                ],
            },
        )
    ]


def test_an_event_without_currency_takes_the_shop_currency(settings):
    settings.REMARKET = {**settings.REMARKET, "CURRENCY": "IRR"}
    event = Event("add_to_cart", "e-1", (Item("rug", price=Decimal("1500000")),))
    assert provider("meta").event(event)[0].args[2]["currency"] == "IRR"
    assert provider("meta").event(event)[0].args[2]["value"] == 1500000


def test_linkedin_sends_audiences_it_has_a_conversion_for():
    subject = provider("linkedin", conversions={"offer-page-3x": "7654321"})
    assert subject.audience("offer-page-3x", "a-9") == [
        C("lintrk", "track", {"conversion_id": 7654321, "event_id": "a-9"})
    ]
    assert subject.audience("other", "a-10") == []


def test_snap_audience_event_can_be_chosen():
    subject = provider("snap", audience_event="CUSTOM_EVENT_3")
    assert subject.audience("vip", "a-2")[0].args[1] == "CUSTOM_EVENT_3"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("meta", "/static/standins/fbevents.js"),
        ("google", "/static/standins/fbevents.js?id=AW-123456789"),
        ("tiktok", "/static/standins/fbevents.js?sdkid=C4A1B2C3D4E5F6G7H8I9&lib=ttq"),
    ],
)
def test_script_url_can_point_at_a_local_copy(key, expected):
    assert provider(key, script_url="/static/standins/fbevents.js").script_url() == expected


def test_uet_loads_an_overridden_script_itself():
    subject = provider("microsoft", script_url="/static/standins/bat.js")
    assert subject.script_url() == ""
    assert subject.setup() == [C("remarketPixels.uet", "343012345", "/static/standins/bat.js")]

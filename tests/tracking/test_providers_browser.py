"""Every provider's stub, run in Chromium, queues exactly the calls the provider returned.

The vendor scripts are not loaded (no network here); what matters is that the constant
stub defines the queue the vendor script later drains, with every call in order.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from remarket.tracking.events import Call, ConsentState, Event, Item
from remarket.tracking.providers import provider_class
from tests.tracking.test_providers import OPTIONS

MUG = Item("mug-1", "Mug", Decimal("12.50"), 2, "Kitchen")
EVENTS = [
    Event("add_to_cart", "e-cart", (MUG,), currency="EUR"),
    Event("purchase", "e-buy", (MUG,), Decimal("25"), "EUR", transaction_id="order-1001"),
]

# What each vendor's queue looks like once the calls ran, read back as JSON.
QUEUES = {
    "google": "dataLayer.map(a => Array.from(a))",
    "gtm": "dataLayer.map(a => a.length === undefined ? a : Array.from(a))",
    "meta": "fbq.queue.map(a => Array.from(a))",
    "tiktok": "[Array.from(ttq), Object.keys(ttq._i)]",
    "pinterest": "pintrk.queue",
    "microsoft": "uetq",
    "linkedin": "[_linkedin_data_partner_ids, lintrk.q]",
    "snap": "snaptr.queue.map(a => Array.from(a))",
}


def page_calls(subject: Any) -> list[Call]:
    calls = subject.consent(ConsentState.denied(), default=True)
    calls += subject.consent(ConsentState.granted(), default=False)
    calls += subject.setup()
    for event in EVENTS:
        calls += subject.event(event)
    return calls + subject.audience("offer-page-3x", "a-1")


def js(calls: list[Call]) -> str:
    return "\n".join(f"{c.function}({','.join(json.dumps(a) for a in c.args)});" for c in calls)


def expected_queue(key: str, calls: list[Call]) -> Any:
    args = [list(call.args) for call in calls]
    if key == "google":
        return [a for c, a in zip(calls, args, strict=True) if c.function == "gtag"]
    if key == "gtm":
        pairs = zip(calls, args, strict=True)
        return [a if c.function == "gtag" else a[0] for c, a in pairs if a]
    if key == "tiktok":
        queued = [
            [c.function.removeprefix("ttq."), *c.args] for c in calls if c.function != "ttq.load"
        ]
        return [queued, [OPTIONS["tiktok"]["pixel_id"]]]
    if key == "microsoft":
        return [arg for c in calls if c.function == "uetq.push" for arg in c.args]
    if key == "linkedin":
        partner = [c.args[0] for c in calls if c.function.startswith("_linkedin")]
        return [partner, [a for c, a in zip(calls, args, strict=True) if c.function == "lintrk"]]
    return args


@pytest.mark.parametrize("key", OPTIONS)
def test_the_stub_queues_every_call(page, key):
    subject = provider_class(key)(OPTIONS[key])
    calls = page_calls(subject)
    page.route("**/*", lambda route: route.abort())  # no vendor script, no network
    page.set_content("<!doctype html><html><head></head><body></body></html>")
    page.add_script_tag(content=subject.stub() + "\n" + js(calls))
    page.add_script_tag(content=subject.stub())  # a second copy on the page changes nothing
    queue = page.evaluate(QUEUES[key])
    if key == "google":
        # setup() starts with gtag('js', new Date()): after the consent calls, before config.
        assert [entry[0] for entry in queue[:4]] == ["consent", "consent", "js", "config"]
        queue = [entry for entry in queue if entry[0] != "js"]
    if key == "gtm":
        start = [entry for entry in queue if isinstance(entry, dict) and "gtm.start" in entry]
        assert start == [{"gtm.start": start[0]["gtm.start"], "event": "gtm.js"}]
        queue = [entry for entry in queue if entry not in start]
    assert queue == expected_queue(key, calls)

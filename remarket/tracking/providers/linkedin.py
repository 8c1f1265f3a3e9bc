"""The LinkedIn Insight Tag: page views by itself, conversions only where the site maps them.

LinkedIn has no event vocabulary: a conversion rule made in Campaign Manager has a
numeric id, and the page calls ``lintrk('track', {conversion_id})``
(https://docs.tealium.com/client-side-tags/linkedin-insight-tag/). ``conversions`` maps
GA4 event names and audience names to those ids; ``event_id`` deduplicates with the
Conversions API (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/conversions/deduplication).
LinkedIn has no browser consent API: the tag only loads once consent allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remarket.tracking.events import Call, Event
from remarket.tracking.providers.base import Provider


def _is_conversion_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value > 0) or (isinstance(value, str) and value.isdigit())


class LinkedInInsight(Provider):
    """LinkedIn Insight Tag (``partner_id``; ``conversions``: name -> conversion id)."""

    key = "linkedin"
    label = "LinkedIn Insight Tag"
    csp = {
        "script-src": ("https://snap.licdn.com",),
        "img-src": ("https://px.ads.linkedin.com",),
        "connect-src": ("https://px.ads.linkedin.com",),
    }
    default_script_url = "https://snap.licdn.com/li.lms-analytics/insight.min.js"
    id_formats = {"partner_id": (r"\d{4,10}", "1234567")}
    required = ("partner_id",)
    extra_options = ("conversions",)
    check_id = "remarket.E230"
    check_hint = (
        "Copy the partner id from Campaign Manager > Analyze > Insight Tag (digits, e.g. "
        "'1234567'); 'conversions' maps event or audience names to conversion ids, e.g. "
        "{'purchase': 12345678, 'offer-page-3x': 12345679}."
    )

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> list[str]:
        problems = super().check(options)
        conversions = options.get("conversions", {})
        if not isinstance(conversions, dict) or not all(
            _is_conversion_id(value) for value in conversions.values()
        ):
            problems.append(
                f"REMARKET['PROVIDERS']['linkedin']['conversions'] is {conversions!r}, not "
                "a dict of event names to numeric conversion ids."
            )
        return problems

    def stub(self) -> str:
        return (
            "(function(w){w._linkedin_data_partner_ids=w._linkedin_data_partner_ids||[];"
            "if(w.lintrk)return;w.lintrk=function(a,b){w.lintrk.q.push([a,b])};"
            "w.lintrk.q=[];})(window);"
        )

    def setup(self) -> list[Call]:
        return [Call("_linkedin_data_partner_ids.push", (self.options["partner_id"],))]

    def _conversion(self, name: str, event_id: str) -> list[Call]:
        conversion_id = self.options.get("conversions", {}).get(name)
        if conversion_id is None:
            return []
        track = {"conversion_id": int(conversion_id), "event_id": event_id}
        return [Call("lintrk", ("track", track))]

    def event(self, event: Event) -> list[Call]:
        return self._conversion(event.name, event.id)

    def audience(self, name: str, event_id: str) -> list[Call]:
        return self._conversion(name, event_id)

"""The one base class every ad-platform provider fills in.

A provider turns remarket's vocabulary (GA4 event names, Google Consent Mode v2 signals)
into :class:`~remarket.tracking.events.Call` objects: plain data that the single
renderer in :mod:`remarket.tracking.render` writes out as JSON-escaped JavaScript. No
provider ever builds JavaScript text from data; the only JavaScript a provider owns is
its :meth:`Provider.stub`, a constant that contains nothing configurable.

What a page runs for one provider, in order:

1. :meth:`~Provider.stub`: defines the vendor's queue function (``fbq``, ``ttq``...),
   so every later call is queued until the vendor script arrives;
2. :meth:`~Provider.consent` with ``default=True``: the consent state before any tag;
3. :meth:`~Provider.setup`: init/config calls, including the vendor's own page view
   (as every vendor's base code does; the ``page_view`` event therefore maps to no call);
4. the vendor script, :meth:`~Provider.script_url`, loaded ``async`` (an empty URL
   means ``setup()`` loads it itself, as Microsoft UET must);
5. :meth:`~Provider.event` for each queued event, :meth:`~Provider.audience` for each
   newly matched audience.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from remarket.conf import conf
from remarket.tracking.events import Call, ConsentState, Event, Item

#: The custom event name every provider sends when a visitor joins an audience.
AUDIENCE_EVENT = "remarket_audience"

#: Options every provider accepts besides its own.
COMMON_OPTIONS = ("script_url",)


class Provider:
    """An ad platform's browser tag, configured by ``REMARKET['PROVIDERS'][key]``.

    Subclasses set the class attributes and implement :meth:`setup`, :meth:`event` and
    :meth:`audience`; the rest has sensible defaults.
    """

    #: The key in ``REMARKET['PROVIDERS']``, e.g. ``"meta"``.
    key: ClassVar[str] = ""
    #: The platform's name as people know it, e.g. ``"Meta Pixel"``.
    label: ClassVar[str] = ""
    #: Sources the provider needs per CSP directive, e.g. ``{"script-src": (...)}``.
    csp: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: The vendor script; ``options["script_url"]`` replaces it (local stand-ins in tests).
    default_script_url: ClassVar[str] = ""
    #: Option name -> (regular expression its value must match fully, an example value).
    id_formats: ClassVar[dict[str, tuple[str, str]]] = {}
    #: Options among :attr:`id_formats` that must be present.
    required: ClassVar[tuple[str, ...]] = ()
    #: Further options the provider understands (besides ids and :data:`COMMON_OPTIONS`).
    extra_options: ClassVar[tuple[str, ...]] = ()
    #: The system check id for malformed options of this provider.
    check_id: ClassVar[str] = "remarket.E233"
    #: How to fix malformed options (the check's hint).
    check_hint: ClassVar[str] = "See the provider's documentation for the options it takes."

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)

    # -- configuration -------------------------------------------------------------------

    @classmethod
    def known_options(cls) -> tuple[str, ...]:
        """Every option name this provider accepts."""
        return (*cls.id_formats, *cls.extra_options, *COMMON_OPTIONS)

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> list[str]:
        """Sentences describing malformed options; empty when the options are fine.

        The default checks :attr:`required` ids and every :attr:`id_formats` value.
        """
        problems = []
        for name in cls.required:
            if not options.get(name):
                example = cls.id_formats[name][1]
                problems.append(
                    f"REMARKET['PROVIDERS'][{cls.key!r}] has no {name!r} (for example {example!r})."
                )
        for name, (pattern, example) in cls.id_formats.items():
            value = options.get(name)
            if value is None or (value == "" and name in cls.required):
                continue
            if not isinstance(value, str) or not re.fullmatch(pattern, value):
                problems.append(
                    f"REMARKET['PROVIDERS'][{cls.key!r}][{name!r}] is {value!r}, which is "
                    f"not a {cls.label} id like {example!r}."
                )
        return problems

    # -- what the page runs --------------------------------------------------------------

    def stub(self) -> str:
        """Constant bootstrap JavaScript (the vendor's queue function); ``""`` if none."""
        return ""

    def script_url(self) -> str:
        """The vendor script to load ``async``; ``""`` when :meth:`setup` loads it."""
        return str(self.options.get("script_url") or self.default_script_url)

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        """Calls telling the vendor the consent state (``default=True``: before any tag).

        The default is no call: platforms without a consent API (LinkedIn, Snap) only
        ever run after consent, which the tracking middleware enforces.
        """
        return []

    def setup(self) -> list[Call]:
        """Init/config calls, including the vendor's page view."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement setup()")

    def event(self, event: Event) -> list[Call]:
        """The calls for one event, from the provider's mapping table; ``[]`` if unmapped."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement event()")

    def audience(self, name: str, event_id: str) -> list[Call]:
        """The named custom event telling the platform this visitor joined ``name``."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement audience()")


# -- helpers the providers share -----------------------------------------------------------


def number(amount: Decimal | float | int) -> float | int:
    """A JSON number for a money amount: whole amounts stay integers (``12``, ``12.5``)."""
    amount = Decimal(str(amount))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def event_value(event: Event) -> Decimal | None:
    """The event's value, or the sum of its items when every item has a price.

    A list view gets no derived value: the products shown are not a basket.
    """
    if event.value is not None:
        return event.value
    if event.name == "view_item_list":
        return None
    if event.items and all(item.price is not None for item in event.items):
        return sum((item.price * item.quantity for item in event.items), Decimal(0))  # type: ignore[operator]
    return None


def money(event: Event) -> dict[str, Any]:
    """``{"value": ..., "currency": ...}`` when the event has a value, else ``{}``.

    An event without a currency gets ``REMARKET['CURRENCY']``: platforms drop a value
    without one.
    """
    value = event_value(event)
    if value is None:
        return {}
    return {"value": number(value), "currency": event.currency or conf.CURRENCY}


def quantity(items: tuple[Item, ...]) -> int:
    """How many units the items hold together."""
    return sum(item.quantity for item in items)


def compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping without empty values (``None``, ``""``), keeping ``0`` and ``False``."""
    return {key: value for key, value in mapping.items() if value is not None and value != ""}


def granted(flag: bool) -> str:
    """Consent Mode's word for a signal."""
    return "granted" if flag else "denied"

"""System checks for ``settings.REMARKET`` (ids are stable and never reused).

===============  ===========================================================
id               problem
===============  ===========================================================
remarket.E001    ``REMARKET`` is not a dict
remarket.E002    ``REMARKET`` has a key remarket does not know (a typo?)
remarket.E003    ``REMARKET['SHOP_ADAPTER']`` cannot be imported / is no adapter
remarket.E004    ``REMARKET['SITE_URL']`` is missing or not an absolute URL
remarket.E005    ``REMARKET['CURRENCY']`` is not a three-letter ISO 4217 code
remarket.E006    ``REMARKET['BATCH_SIZE']`` is not a positive integer
remarket.E007    ``REMARKET['TIME_ZONE']`` is not an IANA time zone
remarket.E008    ``REMARKET['QUIET_HOURS']`` is not None or a pair of "HH:MM" strings
remarket.E009    a duration setting is not a (positive) ``timedelta``
remarket.E010    ``REMARKET['SHOP_NAME']``, ``['FROM_EMAIL']`` or ``['REPLY_TO']`` is no string
remarket.E011    ``REMARKET['COUPON_FACTORY']`` cannot be imported or is not callable
remarket.E012    ``REMARKET['LINK_HOSTS']`` is not a list of host names
remarket.E013    ``REMARKET['MAX_SEND_ATTEMPTS']`` is not a positive integer
remarket.E014    ``REMARKET['SEND_CONCURRENCY']`` is not a positive integer
remarket.E015    ``REMARKET['MAX_SENDS_PER_MINUTE']`` is not None or a positive integer
remarket.E016    ``REMARKET['SEND_WAVE']`` is not a positive integer
remarket.E101    a field-map section (``CART``, ``ORDER``, ...) is missing / no dict
remarket.E102    a field-map ``model`` is not an installed model
remarket.E103    a field path does not exist on its model
remarket.E104    a required field-map key is missing
remarket.E105    a field-map section has a key remarket does not know
remarket.E106    a constant or callable spec is malformed or cannot be imported
remarket.E107    a path the database filters on is not a suitable model field
remarket.E108    the map cannot tell whether a cart has been ordered
remarket.E109    a filter (``open``, ``available``) is not a valid lookup
remarket.W101    the cart's last-activity field has no database index
remarket.W102    carts have neither an email nor a user mapped
remarket.E2xx    retargeting settings: see :mod:`remarket.tracking.checks`
remarket.E220+   ``REMARKET['PROVIDERS']``: see :mod:`remarket.tracking.providers.checks`
remarket.E301    Oscar adapter: ``BasketMiddleware`` is not in ``MIDDLEWARE``
remarket.E302    Oscar adapter: the URL ``basket:summary`` does not resolve
===============  ===========================================================
"""

from __future__ import annotations

import difflib
import re
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from remarket.conf import DEFAULTS, conf
from remarket.exceptions import RemarketConfigurationError


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Validate ``settings.REMARKET``; registered by ``RemarketConfig.ready()``."""
    raw = getattr(settings, "REMARKET", {})
    if not isinstance(raw, dict):
        return [
            checks.Error(
                f"settings.REMARKET is {raw!r}, not a dict.",
                hint="Write REMARKET = {'SITE_URL': 'https://shop.example', ...}.",
                id="remarket.E001",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for key in raw:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            errors.append(
                checks.Error(
                    f"REMARKET[{key!r}] is not a setting remarket knows.",
                    hint=(f"Did you mean {close[0]!r}? " if close else "")
                    + f"Known keys: {', '.join(DEFAULTS)}.",
                    id="remarket.E002",
                )
            )
    errors += _check_site_url(conf.SITE_URL)
    currency = conf.CURRENCY
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        errors.append(
            checks.Error(
                f"REMARKET['CURRENCY'] is {currency!r}, not a three-letter currency code.",
                hint="Use an upper-case ISO 4217 code such as 'EUR', 'USD', 'IRR' or 'VND'.",
                id="remarket.E005",
            )
        )
    errors += _positive_int("BATCH_SIZE", 1000, "remarket.E006")
    errors += _check_providers()
    from remarket.tracking.checks import check_tracking

    return errors + _check_scheduling() + _check_adapter() + check_tracking()


def _positive_int(key: str, default: int, check_id: str) -> list[checks.CheckMessage]:
    value = conf.get(key)
    if not isinstance(value, bool) and isinstance(value, int) and value >= 1:
        return []
    return [
        checks.Error(
            f"REMARKET[{key!r}] is {value!r}, not a positive whole number.",
            hint=f"Use a number such as {default} (the default) or remove the key.",
            id=check_id,
        )
    ]


def _check_scheduling() -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    zone = conf.get("TIME_ZONE")
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            errors.append(
                checks.Error(
                    f"REMARKET['TIME_ZONE'] is {zone!r}, which is not a known time zone.",
                    hint="Use an IANA name such as 'Asia/Tehran' or 'Asia/Ho_Chi_Minh', or "
                    "remove the key to use settings.TIME_ZONE.",
                    id="remarket.E007",
                )
            )
    quiet = conf.QUIET_HOURS
    if quiet is not None and not _is_hour_pair(quiet):
        errors.append(
            checks.Error(
                f"REMARKET['QUIET_HOURS'] is {quiet!r}, not a pair of \"HH:MM\" times.",
                hint="Write ('21:00', '08:00') for no sends from 21:00 to 08:00 local time, "
                "or None to send at any hour.",
                id="remarket.E008",
            )
        )
    for key in (
        "FREQUENCY_CAP",
        "CLICK_ATTRIBUTION_WINDOW",
        "OPEN_ATTRIBUTION_WINDOW",
        "SEND_LEASE",
    ):
        value = conf.get(key)
        if value is None and key == "FREQUENCY_CAP":
            continue
        if not isinstance(value, timedelta) or value <= timedelta(0):
            errors.append(
                checks.Error(
                    f"REMARKET[{key!r}] is {value!r}, not a positive duration.",
                    hint="Use a datetime.timedelta, e.g. timedelta(hours=16)"
                    + (" (or None for no cap)." if key == "FREQUENCY_CAP" else "."),
                    id="remarket.E009",
                )
            )
    for key in ("SHOP_NAME", "FROM_EMAIL", "REPLY_TO"):
        if not isinstance(conf.get(key), str):
            errors.append(
                checks.Error(
                    f"REMARKET[{key!r}] is {conf.get(key)!r}, not a string.",
                    hint="Use text, e.g. 'Remarket Coffee <hello@coffee.example>'.",
                    id="remarket.E010",
                )
            )
    return errors + _check_email_settings()


def _check_email_settings() -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    factory = conf.COUPON_FACTORY
    if factory:
        try:
            func = import_string(factory)
        except ImportError as exc:
            func, problem = None, f"cannot be imported ({exc})"
        else:
            problem = "" if callable(func) else "is not callable"
        if problem:
            errors.append(
                checks.Error(
                    f"REMARKET['COUPON_FACTORY'] is {factory!r}, which {problem}.",
                    hint="Give the dotted path of a function taking a "
                    "remarket.shop.CouponRequest and returning a remarket.shop.Coupon.",
                    id="remarket.E011",
                )
            )
    hosts = conf.get("LINK_HOSTS")
    if isinstance(hosts, str) or not all(isinstance(h, str) and h for h in hosts or ()):
        errors.append(
            checks.Error(
                f"REMARKET['LINK_HOSTS'] is {hosts!r}, not a list of host names.",
                hint="Write e.g. ['blog.shop.example']: hosts besides SITE_URL's that "
                "tracked links may lead to.",
                id="remarket.E012",
            )
        )
    errors += _positive_int("MAX_SEND_ATTEMPTS", 5, "remarket.E013")
    return errors + _check_send_rate()


def _check_send_rate() -> list[checks.CheckMessage]:
    errors = _positive_int("SEND_CONCURRENCY", 100, "remarket.E014")
    errors += _positive_int("SEND_WAVE", 500, "remarket.E016")
    cap = conf.get("MAX_SENDS_PER_MINUTE")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        errors.append(
            checks.Error(
                f"REMARKET['MAX_SENDS_PER_MINUTE'] is {cap!r}, not a positive whole number.",
                hint="Use your ESP's limit per minute, e.g. 6000, a little under it, or None "
                "(the default) for no cap.",
                id="remarket.E015",
            )
        )
    return errors


def _is_hour_pair(value: Any) -> bool:
    if not isinstance(value, tuple | list) or len(value) != 2:
        return False
    try:
        return all(isinstance(v, str) and time.fromisoformat(v) for v in value)
    except ValueError:
        return False


def _check_site_url(url: Any) -> list[checks.CheckMessage]:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts and parts.scheme in {"http", "https"} and parts.netloc and not parts.query:
        return []
    shown = "not set" if not url else f"{url!r}, which is not an absolute http(s) URL"
    return [
        checks.Error(
            f"REMARKET['SITE_URL'] is {shown}; links in emails need it.",
            hint="Set it to the storefront's public address, e.g. 'https://shop.example'.",
            id="remarket.E004",
        )
    ]


def _check_providers() -> list[checks.CheckMessage]:
    # remarket.E220-E239 live with the providers they check.
    from remarket.tracking.providers.checks import check_providers

    return check_providers()


def _check_adapter() -> list[checks.CheckMessage]:
    from remarket.shop.base import load_adapter_class

    try:
        adapter = load_adapter_class()
    except RemarketConfigurationError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Use 'remarket.shop.fieldmap.FieldMapAdapter' (the default), "
                "'remarket.shop.oscar.OscarAdapter', 'remarket.shop.api.PushAdapter', "
                "or the dotted path of your own "
                "subclass of remarket.shop.ShopAdapter.",
                id="remarket.E003",
            )
        ]
    return adapter.check()

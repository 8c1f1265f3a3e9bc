"""System checks for the retargeting settings (ids remarket.E201-E219, W201-W209).

===============  ===================================================================
id               problem
===============  ===================================================================
remarket.E201    ``CONSENT`` is not "required", "implied" or an importable callable
remarket.E202    ``COOKIE_NAME`` / ``CONSENT_COOKIE_NAME`` is no valid, distinct name
remarket.E203    ``COOKIE_AGE`` is not a timedelta between one day and 400 days
remarket.E204    ``COOKIE_DOMAIN`` is neither None nor a domain string
remarket.E205    ``INTERNAL_IPS`` is not a list of IP addresses or CIDR ranges
remarket.E206    ``TRACK_STAFF`` or ``NO_INLINE`` is not True or False
remarket.E207    ``SKIP_PATHS`` is not a list of paths starting with "/"
remarket.W201    the tracking middleware is missing from ``MIDDLEWARE``
remarket.W202    the tracking middleware runs before sessions or authentication
===============  ===================================================================
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from remarket.conf import conf

MIDDLEWARE = "remarket.tracking.middleware.TrackingMiddleware"
_COOKIE_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


def check_tracking() -> list[checks.CheckMessage]:
    """Every retargeting setting; called from :func:`remarket.checks.check_settings`."""
    return [*_consent(), *_cookies(), *_switches(), *_middleware()]


def _consent() -> list[checks.CheckMessage]:
    mode = conf.CONSENT
    if mode in {"required", "implied"}:
        return []
    problem = "is not a string"
    if isinstance(mode, str):
        try:
            problem = "" if callable(import_string(mode)) else "is not callable"
        except ImportError as exc:
            problem = f"cannot be imported ({exc})"
    if not problem:
        return []
    return [
        checks.Error(
            f"REMARKET['CONSENT'] is {mode!r}, which {problem}.",
            hint="Use 'required' (opt-in, the default), 'implied' (opt-out), or the dotted "
            "path of a function f(request) returning a ConsentState, True, False or None.",
            id="remarket.E201",
        )
    ]


def _cookies() -> list[checks.CheckMessage]:
    errors = []
    names = [conf.COOKIE_NAME, conf.CONSENT_COOKIE_NAME]
    bad = [n for n in names if not (isinstance(n, str) and _COOKIE_NAME.fullmatch(n))]
    if bad or names[0] == names[1]:
        errors.append(
            checks.Error(
                f"REMARKET['COOKIE_NAME'] and ['CONSENT_COOKIE_NAME'] are {names[0]!r} and "
                f"{names[1]!r}; they must be two different cookie names.",
                hint="Use letters, digits, '_' or '-', e.g. 'remarket_id' and "
                "'remarket_consent' (the defaults).",
                id="remarket.E202",
            )
        )
    age = conf.COOKIE_AGE
    if not isinstance(age, timedelta) or not timedelta(days=1) <= age <= timedelta(days=400):
        errors.append(
            checks.Error(
                f"REMARKET['COOKIE_AGE'] is {age!r}, not a duration between 1 and 400 days.",
                hint="Browsers cap cookies at 400 days; use e.g. timedelta(days=365) "
                "(the default) or timedelta(days=90).",
                id="remarket.E203",
            )
        )
    domain = conf.COOKIE_DOMAIN
    if domain is not None and not (isinstance(domain, str) and domain.strip(".")):
        errors.append(
            checks.Error(
                f"REMARKET['COOKIE_DOMAIN'] is {domain!r}, not a domain.",
                hint="Use None (this host only, the default) or e.g. '.shop.example' to "
                "share the cookies with subdomains.",
                id="remarket.E204",
            )
        )
    return errors


def _is_network(value: Any) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except (ValueError, TypeError):
        return False
    return isinstance(value, str)


def _switches() -> list[checks.CheckMessage]:
    errors = []
    ranges = conf.get("INTERNAL_IPS")
    if isinstance(ranges, str) or not all(_is_network(r) for r in ranges or ()):
        errors.append(
            checks.Error(
                f"REMARKET['INTERNAL_IPS'] is {ranges!r}, not a list of IP addresses or ranges.",
                hint="Write e.g. ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'].",
                id="remarket.E205",
            )
        )
    for key in ("TRACK_STAFF", "NO_INLINE"):
        if not isinstance(conf.get(key), bool):
            errors.append(
                checks.Error(
                    f"REMARKET[{key!r}] is {conf.get(key)!r}, not True or False.",
                    hint="Use True or False (the default).",
                    id="remarket.E206",
                )
            )
    paths = conf.get("SKIP_PATHS")
    if isinstance(paths, str) or not all(
        isinstance(p, str) and p.startswith("/") for p in paths or ()
    ):
        errors.append(
            checks.Error(
                f"REMARKET['SKIP_PATHS'] is {paths!r}, not a list of paths starting with '/'.",
                hint="Write e.g. ['/api/', '/healthz'] for paths the tracking middleware "
                "should ignore (static files, media and the admin are always skipped).",
                id="remarket.E207",
            )
        )
    return errors


def _middleware() -> list[checks.CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    if MIDDLEWARE not in middleware:
        if not conf.raw.get("PROVIDERS"):
            return []
        return [
            checks.Warning(
                f"{MIDDLEWARE} is not in settings.MIDDLEWARE, so no visitor cookie is set "
                "and the consent banner's choice is not applied.",
                hint="Add it after 'django.contrib.auth.middleware.AuthenticationMiddleware'.",
                id="remarket.W201",
            )
        ]
    position = middleware.index(MIDDLEWARE)
    needed = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    late = [m for m in needed if m in middleware and middleware.index(m) > position]
    if not late:
        return []
    return [
        checks.Warning(
            f"{MIDDLEWARE} comes before {', '.join(late)} in settings.MIDDLEWARE: events "
            "cannot wait in the session and staff users are not recognised.",
            hint="Move it after 'django.contrib.auth.middleware.AuthenticationMiddleware'.",
            id="remarket.W202",
        )
    ]

"""Every error remarket raises.

Configuration problems subclass :class:`~django.core.exceptions.ImproperlyConfigured`;
runtime problems share the root :class:`RemarketError` and also subclass the matching
built-in exception, so ``except ValueError`` keeps working for callers who expect it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class RemarketError(Exception):
    """The root of every runtime error remarket raises."""


class RemarketConfigurationError(RemarketError, ImproperlyConfigured):
    """A ``REMARKET`` setting is wrong; ``manage.py check`` names the key and the fix."""


class InvalidEmail(RemarketError, ValueError):
    """An email address is empty or not a valid address."""


class CartNotFound(RemarketError, LookupError):
    """No cart with this key exists in the shop (any more)."""


class OrderNotFound(RemarketError, LookupError):
    """No order with this key exists in the shop."""


class NotSupported(RemarketError, NotImplementedError):
    """The shop adapter cannot do this; the message says how to enable it."""


class CouponsNotSupported(NotSupported):
    """The shop adapter cannot create coupons."""


class CartRestoreNotSupported(NotSupported):
    """The shop adapter cannot put a cart back into a browser session."""


class InvalidPush(RemarketError, ValueError):
    """Data given to the push API (:mod:`remarket.shop.api`) is malformed; nothing was saved."""

"""The template tags and filters a shop owner's email may use: Django's, minus a few.

``{% url %}`` would reach every route of the project, ``{% debug %}`` prints the context
and loaded modules, and ``{% load %}``, ``{% include %}`` and ``{% extends %}`` would reach
further template libraries and files; emails need none of them.
"""

from __future__ import annotations

from django.template import Library, defaultfilters, defaulttags

FORBIDDEN = {"url", "debug", "load", "include", "extends", "block", "ssi"}

register = Library()
register.filters.update(defaultfilters.register.filters)
register.tags.update(
    {name: tag for name, tag in defaulttags.register.tags.items() if name not in FORBIDDEN}
)

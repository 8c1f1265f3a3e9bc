"""The dashboard's charts: bar charts drawn as inline SVG on the server (no script, no CDN).

Each series (emails sent, emails clicked, orders, revenue per currency) gets a panel of its
own with its own scale, so a small series is not flattened by a big one. The SVG is
accessible (``role="img"`` with a ``<title>`` and a ``<desc>`` saying the total and the
busiest day; every bar has a ``<title>`` tooltip) and the templates put the same numbers
in a table next to it. Colours come from the admin's CSS variables through classes
(``remarket/admin/figures.css``), so light and dark mode follow the admin. ``direction``
is fixed to ``ltr``: in an RTL (e.g. Persian) admin the days still run left to right
and the labels stay inside the box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from remarket.insights.figures import Day

WIDTH = 600
HEIGHT = 120
GAP = 0.2  # share of a day's slot left empty between bars

Number = int | Decimal


@dataclass(frozen=True)
class Panel:
    """One chart: what it shows, its total and highest day, its first and last day, the SVG.

    The labels are HTML around the SVG, not SVG text: the drawing stretches to the width
    of its box, and text inside it would stretch with it.
    """

    name: str
    title: str
    total: str
    highest: str
    first_day: str
    last_day: str
    svg: SafeString


def number(value: Number) -> str:
    """A count or an amount as the current language writes it (1,234 or 1.234...)."""
    decimals = 2 if isinstance(value, Decimal) else 0
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def bar_chart(
    days: Sequence[date],
    values: Sequence[Number],
    *,
    title: str,
    describe: Callable[[Number], str] = number,
) -> SafeString:
    """An SVG bar chart of ``values``, one bar per day, scaled to the highest value."""
    highest = max(values, default=0)
    plot = HEIGHT
    slot = WIDTH / max(len(values), 1)
    bars = []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        height = float(value) / float(highest) * plot if highest else 0.0
        bars.append(
            (
                f"{index * slot + slot * GAP / 2:.1f}",
                f"{plot - height:.1f}",
                f"{slot * (1 - GAP):.1f}",
                f"{height:.1f}",
                date_format(day, "SHORT_DATE_FORMAT"),
                describe(value),
            )
        )
    rects = format_html_join(
        "",
        '<rect class="remarket-bar" x="{}" y="{}" width="{}" height="{}">'
        "<title>{}: {}</title></rect>",
        bars,
    )
    busiest = max(range(len(values)), key=lambda i: values[i]) if values and highest else None
    if busiest is None:
        description = _("Nothing on any day.")
    else:
        description = _("Total %(total)s; busiest day %(day)s with %(value)s.") % {
            "total": describe(sum(values)),
            "day": date_format(days[busiest], "SHORT_DATE_FORMAT"),
            "value": describe(values[busiest]),
        }
    return format_html(
        '<svg class="remarket-chart" viewBox="0 0 {w} {h}" width="100%" height="{h}" '
        'preserveAspectRatio="none" role="img" direction="ltr" '
        'xmlns="http://www.w3.org/2000/svg">'
        "<title>{title}</title><desc>{desc}</desc>"
        '<line class="remarket-baseline" x1="0" y1="{h}" x2="{w}" y2="{h}"/>'
        "{rects}</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        desc=description,
        rects=rects,
    )


def series_panels(days: Sequence[Day], currencies: Sequence[str]) -> list[Panel]:
    """The charts of the last 30 days: sent, clicked, orders, and revenue per currency."""
    dates = [day.day for day in days]
    first = date_format(dates[0], "SHORT_DATE_FORMAT") if dates else ""
    last = date_format(dates[-1], "SHORT_DATE_FORMAT") if dates else ""
    series: list[tuple[str, str, list[Number], str]] = [
        ("sends", str(_("Emails sent")), [day.sends for day in days], ""),
        ("clicks", str(_("Emails clicked")), [day.clicks for day in days], ""),
        ("conversions", str(_("Orders attributed")), [day.conversions for day in days], ""),
    ]
    for currency in currencies:
        title = _("Revenue (%(currency)s)") % {"currency": currency}
        values = [day.revenue.get(currency, Decimal(0)) for day in days]
        series.append(("revenue", title, values, f" {currency}"))
    return [
        Panel(
            name=name,
            title=title,
            total=number(sum(values, Decimal(0)) if unit else sum(values)) + unit,
            highest=number(max(values, default=0)) + unit,
            first_day=first,
            last_day=last,
            svg=bar_chart(dates, values, title=title),
        )
        for name, title, values, unit in series
    ]

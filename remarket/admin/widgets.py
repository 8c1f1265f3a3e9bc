"""Widgets of the flow builder: durations in the units a shop owner thinks in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_duration
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

#: (seconds, label), largest first: a stored duration is shown in the largest unit it fills.
UNITS: list[tuple[int, Any]] = [
    (86400, _("days")),
    (3600, _("hours")),
    (60, _("minutes")),
]


def split_duration(value: timedelta) -> tuple[str, int]:
    """``timedelta(hours=36)`` -> ``("36", 3600)``: the largest unit that divides it evenly."""
    seconds = int(value.total_seconds())
    for size, _label in UNITS:
        if seconds % size == 0:
            return str(seconds // size), size
    # Seconds are not offered; show the nearest fraction of a minute rather than lose them.
    return str(Decimal(seconds) / 60), 60


def describe_duration(value: timedelta) -> str:
    """``timedelta(hours=36)`` -> "36 hours", in the active language."""
    number, size = split_duration(value)
    amount = Decimal(number)
    count = int(amount) if amount == amount.to_integral_value() else 2  # fractions: plural
    if size == 86400:
        text = ngettext("%(n)s day", "%(n)s days", count)
    elif size == 3600:
        text = ngettext("%(n)s hour", "%(n)s hours", count)
    else:
        text = ngettext("%(n)s minute", "%(n)s minutes", count)
    return text % {"n": number}


class DurationWidget(forms.MultiWidget):
    """A number and a unit (minutes / hours / days) over a ``DurationField``.

    The form gets a ``timedelta`` back; input that is not a number goes through as text,
    so the field refuses it with its own "Enter a valid duration." message.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        number = forms.NumberInput(attrs={"min": "0", "step": "any", "class": "vIntegerField"})
        unit = forms.Select(choices=UNITS, attrs={"aria-label": _("unit")})
        super().__init__([number, unit], attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, str):
            value = parse_duration(value)  # the form field prepares it as text
        if isinstance(value, timedelta):
            return list(split_duration(value))
        return ["", 3600]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        number, unit = super().value_from_datadict(data, files, name)
        if number in (None, ""):
            return None
        try:
            amount = Decimal(str(number).strip())
            size = int(unit)
        except (InvalidOperation, TypeError, ValueError):
            return f"{number} {unit}"  # not a duration: the field says so
        if size not in {s for s, _label in UNITS} or not amount.is_finite():
            return f"{number} {unit}"
        return timedelta(seconds=float(amount * size))


class DurationField(forms.DurationField):
    """A duration entered as number + unit, never negative."""

    widget = DurationWidget

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["widget"] = DurationWidget
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> timedelta | None:
        value = super().to_python(value)
        if value is not None and value < timedelta(0):
            raise ValidationError(_("A duration cannot be negative."), code="negative")
        return value

"""Action-based audiences: rules a shop owner writes in the admin, and who matched them.

When a visitor newly matches a rule, every enabled ad platform receives a named custom
event (``remarket_audience`` with the rule's name), so the platform can build the
audience from it. :func:`remarket.tracking.audiences.newly_matched` does the matching.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

#: At most this many ``*`` in a URL pattern: each one is a ``.*`` in the regex it becomes,
#: and a handful keeps matching a long path cheap.
MAX_WILDCARDS = 3
# A path pattern: starts with "/", no whitespace, no query, fragment or character class.
_PATTERN = re.compile(r"/[^\s?#\[\]]*")


def url_regex(pattern: str) -> re.Pattern[str]:
    """The regex for a URL pattern: a path prefix, or a glob where ``*`` is any text.

    ``/offers/`` matches every path under it; ``/offers/*/summer`` matches
    ``/offers/2026/summer`` exactly. Everything but ``*`` is literal.
    """
    if "*" not in pattern:
        return re.compile(re.escape(pattern))  # used with .match(): a prefix
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


class AudienceRule(models.Model):
    """Who joins an audience: a visitor who did something (enough times, recently)."""

    class Kind(models.TextChoices):
        URL_VISITS = "url_visits", _("Visited pages matching a URL pattern")
        VIEWED_PRODUCT = "viewed_product", _("Viewed one of some products")
        VIEWED_CATEGORY = "viewed_category", _("Viewed products of a category")
        CART_WITHOUT_PURCHASE = "cart_without_purchase", _("Added to cart and has not bought")
        ENGAGED = "engaged", _("Spent time on the site")

    name = models.SlugField(
        _("audience name"),
        max_length=64,
        unique=True,
        allow_unicode=True,
        help_text=_(
            "Sent to every ad platform as the audience name, e.g. offer-page-3x. Build the "
            "audience there from the custom event remarket_audience with this name."
        ),
    )
    kind = models.CharField(_("visitors who"), max_length=32, choices=Kind.choices)
    url_pattern = models.CharField(
        _("URL pattern"),
        max_length=200,
        blank=True,
        help_text=_(
            "For page visits: a path prefix such as /offers/ (every page under it), or a "
            "pattern where * stands for any text, such as /offers/*/summer."
        ),
    )
    product_ids = models.CharField(
        _("product ids"),
        max_length=500,
        blank=True,
        help_text=_("For viewed products: the shop's product ids, comma-separated, e.g. 12, 57."),
    )
    category = models.CharField(
        _("category"),
        max_length=200,
        blank=True,
        help_text=_("For viewed categories: the category name as products carry it, e.g. Tea."),
    )
    min_count = models.PositiveIntegerField(
        _("at least (times)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("How many visits or views it takes, e.g. 3 for three visits."),
    )
    min_seconds = models.PositiveIntegerField(
        _("at least (seconds)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(86400)],
        help_text=_("For time on site: seconds in total over the period, e.g. 120."),
    )
    days = models.PositiveIntegerField(
        _("within (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(400)],
        help_text=_("Only activity of the last this many days counts, e.g. 7."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive rules match nobody new; existing matches stay."),
    )
    created_at = models.DateTimeField(_("created"), default=now, editable=False)

    class Meta:
        verbose_name = _("audience rule")
        verbose_name_plural = _("audience rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        kinds = self.Kind
        if self.kind == kinds.URL_VISITS:
            pattern = self.url_pattern.strip()
            if not _PATTERN.fullmatch(pattern):
                errors["url_pattern"] = _(
                    "Write a path that starts with /, such as /offers/ or /offers/*/summer "
                    "(no spaces, ?, # or brackets)."
                )
            elif pattern.count("*") > MAX_WILDCARDS:
                errors["url_pattern"] = _("Use at most three * in a pattern.")
            self.url_pattern = pattern
        if self.kind == kinds.VIEWED_PRODUCT and not self.product_id_list():
            errors["product_ids"] = _("Give at least one product id, e.g. 12, 57.")
        if self.kind == kinds.VIEWED_CATEGORY and not self.category.strip():
            errors["category"] = _("Give the category name, e.g. Tea.")
        if errors:
            raise ValidationError(errors)

    def describe(self) -> str:
        """The rule in one line, e.g. "at least 3 visits to /offers/ in the last 7 days"."""
        values = {
            "count": self.min_count,
            "pattern": self.url_pattern,
            "products": ", ".join(self.product_id_list()),
            "category": self.category,
            "seconds": self.min_seconds,
        }
        kinds = self.Kind
        if self.kind == kinds.URL_VISITS:
            text = ngettext(
                "at least %(count)d visit to %(pattern)s",
                "at least %(count)d visits to %(pattern)s",
                self.min_count,
            )
        elif self.kind == kinds.VIEWED_PRODUCT:
            text = ngettext(
                "viewed product %(products)s at least %(count)d time",
                "viewed product %(products)s at least %(count)d times",
                self.min_count,
            )
        elif self.kind == kinds.VIEWED_CATEGORY:
            text = ngettext(
                "viewed category %(category)s at least %(count)d time",
                "viewed category %(category)s at least %(count)d times",
                self.min_count,
            )
        elif self.kind == kinds.CART_WITHOUT_PURCHASE:
            text = gettext("added to cart and bought nothing since")
        else:
            text = gettext("at least %(seconds)d seconds on the site")
        period = ngettext("in the last day", "in the last %(days)d days", self.days)
        return f"{text % values} {period % {'days': self.days}}"

    def product_id_list(self) -> list[str]:
        """The product ids, trimmed, without empties."""
        return [part.strip() for part in self.product_ids.split(",") if part.strip()]


class AudienceMatch(models.Model):
    """A visitor who matched a rule: each visitor matches each rule once."""

    rule = models.ForeignKey(
        AudienceRule,
        on_delete=models.CASCADE,
        related_name="matches",
        verbose_name=_("audience rule"),
    )
    visitor_id = models.CharField(_("visitor id"), max_length=64)
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audience_matches",
        verbose_name=_("contact"),
    )
    matched_at = models.DateTimeField(_("matched"), default=now)

    class Meta:
        verbose_name = _("audience match")
        verbose_name_plural = _("audience matches")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "visitor_id"], name="remarket_audience_match_once"
            )
        ]
        indexes = [
            models.Index(fields=["visitor_id"], name="remarket_audience_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.visitor_id}"

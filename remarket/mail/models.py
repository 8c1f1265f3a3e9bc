"""The outbox: one email to one address, its status, ESP id and what happened to it."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    SKIPPED = "skipped", _("skipped")
    FAILED = "failed", _("failed")
    REVIEW = "review", _("needs review")


class Message(models.Model):
    """One email of one flow step to one person (DESIGN decision 4: exactly once).

    The row is written as ``sending`` before the ESP is called and finished after; the
    unique (enrollment, step) pair means no second row, so no second email, can exist.
    ``handed_at`` is set just before the ESP call: a crashed ``sending`` row without it
    provably never left, one with it needs a person to check (status ``review``).
    """

    enrollment = models.ForeignKey(
        "remarket.Enrollment",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("enrollment"),
    )
    step = models.ForeignKey(
        "remarket.Step", on_delete=models.PROTECT, related_name="messages", verbose_name=_("step")
    )
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("contact"),
    )
    address = models.EmailField(_("address"), max_length=254)
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.SCHEDULED
    )
    reason = models.CharField(
        _("reason"),
        max_length=200,
        blank=True,
        help_text=_("Why it was skipped, deferred or failed, e.g. frequency_cap."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    esp_name = models.CharField(_("email provider"), max_length=40, blank=True)
    esp_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim = models.CharField(_("claim token"), max_length=32, blank=True, editable=False)
    counted_at = models.DateTimeField(
        _("counted against the frequency cap at"), null=True, blank=True
    )
    handed_at = models.DateTimeField(_("handed to the provider at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    coupon_code = models.CharField(_("coupon code"), max_length=64, blank=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("last clicked at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    complained_at = models.DateTimeField(_("complained at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step"], name="remarket_message_once_per_step"
            )
        ]
        indexes = [
            models.Index(fields=["esp_message_id"], name="remarket_message_esp_id"),
            models.Index(fields=["status", "claimed_at"], name="remarket_message_status"),
            models.Index(fields=["claim"], name="remarket_message_claim"),
            models.Index(fields=["contact", "counted_at"], name="remarket_message_cap"),
            # The figures (remarket.insights.figures): on PostgreSQL, counting a million
            # messages per step reads this narrow index alone instead of the wide rows.
            models.Index(
                fields=["step", "status"],
                include=[
                    "sent_at",  # a single flow's daily series (its change page)
                    "delivered_at",
                    "opened_at",
                    "clicked_at",
                    "unsubscribed_at",
                    "bounced_at",
                    "complained_at",
                ],
                name="remarket_message_figures",
            ),
            models.Index(
                fields=["step", "status", "reason"],
                condition=models.Q(status__in=["skipped", "scheduled"]),
                name="remarket_message_waiting",
            ),
            models.Index(
                fields=["sent_at"],
                condition=models.Q(status="sent"),
                name="remarket_message_sent_day",
            ),
            models.Index(
                fields=["clicked_at"],
                condition=models.Q(clicked_at__isnull=False),
                name="remarket_message_click_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address}: {self.subject or self.step_id}"


class MessageEvent(models.Model):
    """One tracking event an ESP reported (anymail's ``tracking`` signal), kept once."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("message"),
    )
    esp_name = models.CharField(_("email provider"), max_length=40)
    event_id = models.CharField(_("event id"), max_length=255, blank=True)
    event_type = models.CharField(_("event"), max_length=20)
    timestamp = models.DateTimeField(_("time"))
    recipient = models.EmailField(_("recipient"), max_length=254, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(
                fields=["esp_name", "event_id"],
                condition=~models.Q(event_id=""),
                name="remarket_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.recipient}"

"""Flows, their steps, and the people moving through them."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    CART_ABANDONED = "cart_abandoned", _("cart abandoned")
    ORDER_PLACED = "order_placed", _("order placed")
    CUSTOMER_LAPSED = "customer_lapsed", _("customer lapsed")
    PRODUCT_VIEWED = "product_viewed", _("product viewed without cart")


class FlowStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    LIVE = "live", _("live")
    PAUSED = "paused", _("paused")


class ConsentPolicy(models.TextChoices):
    OPTED_IN = "opted_in", _("only people who opted in")
    CUSTOMERS = "customers", _("people who opted in, and existing customers (soft opt-in)")
    ANY_EMAIL = "any_email", _("anyone who gave an email at checkout (your legal choice)")


class Flow(models.Model):
    """A trigger and a chain of steps that the tick moves people through."""

    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. Abandoned cart"))
    slug = models.SlugField(
        _("slug"), max_length=60, unique=True, help_text=_("Used in email tags, e.g. cart")
    )
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices)
    trigger_settings = models.JSONField(
        _("trigger settings"),
        default=dict,
        blank=True,
        help_text=_('Depends on the trigger, e.g. {"idle_minutes": 60} for an abandoned cart.'),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=FlowStatus.choices, default=FlowStatus.DRAFT
    )
    consent_policy = models.CharField(
        _("who may receive it"),
        max_length=16,
        choices=ConsentPolicy.choices,
        default=ConsentPolicy.OPTED_IN,
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=50,
        help_text=_(
            "When the frequency cap allows one email, the flow with the higher number wins, "
            "e.g. 90 for abandoned cart, 10 for win-back."
        ),
    )
    reentry_cooldown = models.DurationField(
        _("re-entry cooldown"),
        default=timedelta(days=7),
        help_text=_("Nobody enters this flow again sooner than this, e.g. 7 days."),
    )
    exit_on_order = models.BooleanField(
        _("exit when the person orders"),
        default=True,
        help_text=_("Stop the flow for anyone who places an order after entering it."),
    )
    from_email = models.CharField(
        _("from"),
        max_length=254,
        blank=True,
        help_text=_('Sender, e.g. "Shop <hello@shop.example>". Empty: DEFAULT_FROM_EMAIL.'),
    )
    reply_to = models.EmailField(
        _("reply-to"),
        blank=True,
        help_text=_("Where replies go, e.g. help@shop.example. Empty: REMARKET['REPLY_TO']."),
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("flow")
        verbose_name_plural = _("flows")
        ordering = ["-priority", "name"]
        # Editing a flow and switching it on are separate: builders build, publishers publish.
        permissions = [("publish_flow", _("Can publish flows (switch them live)"))]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from remarket.flows.triggers import get_trigger

        try:
            self.trigger_settings = get_trigger(self.trigger).validate(self.trigger_settings)
        except ValidationError as exc:
            raise ValidationError({"trigger_settings": exc.messages}) from exc

    @property
    def is_live(self) -> bool:
        return self.status == FlowStatus.LIVE


class Step(models.Model):
    """One email of a flow, sent ``delay`` after the previous step (or the trigger)."""

    flow = models.ForeignKey(
        Flow, on_delete=models.CASCADE, related_name="steps", verbose_name=_("flow")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    delay = models.DurationField(
        _("delay"),
        default=timedelta(hours=1),
        help_text=_("After the previous step, or after the trigger for the first, e.g. 1 hour."),
    )
    condition = models.JSONField(
        _("condition"),
        default=dict,
        blank=True,
        help_text=_(
            'Send only if all hold, e.g. {"min_cart_total": "50", "not_opened_previous": true,'
            ' "min_orders": 1, "max_orders": 3}. Empty: always.'
        ),
    )
    subject = models.CharField(_("subject"), max_length=300)
    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The preview line inboxes show after the subject, e.g. Your cart is saved."),
    )
    coupon_kind = models.CharField(
        _("include a unique coupon"),
        max_length=8,
        choices=[("", _("no coupon")), ("percent", _("percent off")), ("amount", _("amount off"))],
        blank=True,
        default="",
    )
    coupon_value = models.DecimalField(
        _("coupon value"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        # xgettext:no-python-format
        help_text=_("e.g. 10 for 10% or 5.00 off"),
    )
    coupon_days = models.PositiveSmallIntegerField(
        _("coupon valid for (days)"), default=3, help_text=_("e.g. 3: expires 3 days after sending")
    )
    body = models.TextField(
        _("body"), help_text=_("A Django template, e.g. Hi {{ contact.name }}, your cart…")
    )

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="remarket_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.flow} #{self.position}: {self.subject}"

    def clean(self) -> None:
        from remarket.flows.conditions import validate_condition
        from remarket.mail.render import template_error

        errors: dict[str, list[str]] = {}
        try:
            self.condition = validate_condition(self.condition)
        except ValidationError as exc:
            errors["condition"] = exc.messages
        for name in ("subject", "preheader", "body"):
            problem = template_error(getattr(self, name) or "")
            if problem:
                errors[name] = [problem]
        if self.coupon_kind and (self.coupon_value is None or self.coupon_value <= 0):
            errors["coupon_value"] = [_("Give the coupon's value, e.g. 10.")]
        if self.coupon_kind == "percent" and self.coupon_value and self.coupon_value > 100:
            errors["coupon_value"] = [_("A percentage cannot be more than 100.")]
        if errors:
            raise ValidationError(errors)


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", _("active")
    COMPLETED = "completed", _("completed")
    EXITED = "exited", _("exited")


class ExitReason(models.TextChoices):
    ORDERED = "ordered", _("placed an order")
    CART_GONE = "cart_gone", _("cart emptied, merged away or deleted")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    SUPPRESSED = "suppressed", _("address suppressed")
    CONSENT = "consent", _("no consent")
    FLOW_PAUSED = "flow_paused", _("flow paused")
    ERASED = "erased", _("personal data erased")


class Enrollment(models.Model):
    """One person in one flow for one subject (a cart, an order, a lapse, a browse)."""

    flow = models.ForeignKey(
        Flow, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("flow")
    )
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("contact"),
    )
    subject_type = models.CharField(_("subject type"), max_length=16)
    subject_key = models.CharField(_("subject key"), max_length=128)
    snapshot = models.JSONField(_("snapshot"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE
    )
    exit_reason = models.CharField(
        _("exit reason"), max_length=16, choices=ExitReason.choices, blank=True
    )
    next_step = models.ForeignKey(
        Step,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("next step"),
    )
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    triggered_at = models.DateTimeField(_("triggered at"))
    created_at = models.DateTimeField(_("entered at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "contact", "subject_type", "subject_key"],
                name="remarket_enrollment_once",
            )
        ]
        indexes = [
            # The claim's order (next_run_at, then id) straight from the index: with the id
            # in it, taking 1,000 of a 100,000 backlog due at once reads 1,000 rows instead
            # of sorting all 100,000 on every claim.
            models.Index(fields=["state", "next_run_at", "id"], name="remarket_enrollment_due"),
            models.Index(fields=["contact", "state"], name="remarket_enrollment_contact"),
            # The figures: enrollments per flow, state and waiting step, from the index alone.
            models.Index(fields=["flow", "state", "next_step"], name="remarket_enrollment_figures"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.flow}"


class FlowOptOut(models.Model):
    """A person who left one flow from the preferences page (the rest still reaches them)."""

    flow = models.ForeignKey(
        Flow, on_delete=models.CASCADE, related_name="opt_outs", verbose_name=_("flow")
    )
    contact = models.ForeignKey(
        "remarket.Contact",
        on_delete=models.CASCADE,
        related_name="flow_opt_outs",
        verbose_name=_("contact"),
    )
    created_at = models.DateTimeField(_("left at"), default=now)

    class Meta:
        verbose_name = _("flow opt-out")
        verbose_name_plural = _("flow opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["flow", "contact"], name="remarket_flow_opt_out")
        ]

    def __str__(self) -> str:
        return f"{self.contact} left {self.flow}"


class Cursor(models.Model):
    """How far a scan has read (per flow enrollment, conversions), so the next starts there."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    position = models.DateTimeField(_("position"))

    class Meta:
        verbose_name = _("scan cursor")
        verbose_name_plural = _("scan cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.position:%Y-%m-%d %H:%M:%S}"

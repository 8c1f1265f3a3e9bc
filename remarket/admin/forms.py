"""Forms of the flow builder: a flow with typed trigger settings, its steps, a preview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from remarket.admin.widgets import DurationField
from remarket.flows.models import Enrollment, Flow, Step
from remarket.flows.triggers import TRIGGERS


def _idle() -> forms.Field:
    return DurationField(
        label=_("wait after the last activity"),
        required=False,
        help_text=_("How long a cart or a browse must sit untouched first, e.g. 1 hour."),
    )


def _min_value() -> forms.Field:
    return forms.DecimalField(
        label=_("only when worth at least"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
        help_text=_("Leave empty for any value, e.g. 20.00."),
    )


def _max_age() -> forms.Field:
    return forms.IntegerField(
        label=_("look back (days)"),
        required=False,
        min_value=1,
        help_text=_("Ignore anything older than this when the flow goes live, e.g. 7."),
    )


def _lapse_days() -> forms.Field:
    return forms.IntegerField(
        label=_("days without an order"),
        required=False,
        min_value=1,
        help_text=_("A customer enters when their last order is this old, e.g. 60."),
    )


#: The form field behind each trigger setting; ``idle_minutes`` is shown as a duration.
SETTING_FIELDS = {
    "idle_minutes": _idle,
    "min_value": _min_value,
    "max_age_days": _max_age,
    "days": _lapse_days,
}


def setting_field_name(trigger: str, setting: str) -> str:
    return f"{trigger}__{setting}"


def trigger_field_names(trigger: str) -> list[str]:
    return [setting_field_name(trigger, name) for name in TRIGGERS[trigger].defaults]


class FlowForm(forms.ModelForm):
    """A flow whose trigger settings are real fields, one group per trigger type.

    Every group is in the page (so it works without JavaScript); only the chosen trigger's
    group is read, validated by the trigger itself and stored in ``trigger_settings``.
    """

    class Meta:
        model = Flow
        fields = [
            "name",
            "slug",
            "trigger",
            "consent_policy",
            "priority",
            "reentry_cooldown",
            "exit_on_order",
            "from_email",
            "reply_to",
        ]
        field_classes = {"reentry_cooldown": DurationField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for trigger, cls in TRIGGERS.items():
            current = self.instance.trigger_settings if self.instance.trigger == trigger else {}
            for setting, default in cls.defaults.items():
                field = SETTING_FIELDS[setting]()
                value = (current or {}).get(setting, default)
                if setting == "idle_minutes" and value is not None:
                    value = timedelta(minutes=value)
                field.initial = value
                self.fields[setting_field_name(trigger, setting)] = field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        trigger = cleaned.get("trigger")
        for other in TRIGGERS:
            if other != trigger:  # hidden groups of other triggers cannot block a save
                for name in trigger_field_names(other):
                    self._errors.pop(name, None)
                    cleaned.pop(name, None)
        if trigger not in TRIGGERS:
            return cleaned
        raw: dict[str, Any] = {}
        for setting in TRIGGERS[trigger].defaults:
            name = setting_field_name(trigger, setting)
            if name in self._errors:
                continue
            value = cleaned.get(name)
            if setting == "min_value":
                raw[setting] = None if value is None else str(value)
            elif value is None:
                self.add_error(name, _("This field is required."))
            elif setting == "idle_minutes":
                minutes, rest = divmod(int(value.total_seconds()), 60)
                if rest or minutes < 1:
                    self.add_error(name, _("Give at least one minute, in whole minutes."))
                raw[setting] = minutes
            else:
                raw[setting] = value
        if any(name in self._errors for name in trigger_field_names(trigger)):
            return cleaned
        try:
            self.instance.trigger_settings = TRIGGERS[trigger]().validate(raw)
        except ValidationError as exc:
            for message in exc.messages:
                setting, _sep, text = message.partition(": ")
                name = setting_field_name(trigger, setting)
                self.add_error(name if name in self.fields else None, text or message)
        return cleaned


class StepForm(forms.ModelForm):
    """One step in the flow page; its position is set by the up/down buttons."""

    class Meta:
        model = Step
        fields = [
            "position",
            "delay",
            "subject",
            "preheader",
            "body",
            "condition",
            "coupon_kind",
            "coupon_value",
            "coupon_days",
        ]
        field_classes = {"delay": DurationField}
        widgets = {
            "position": forms.NumberInput(attrs={"class": "step-position", "min": "1"}),
            "body": forms.Textarea(attrs={"rows": 10, "class": "vLargeTextField step-body"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "position" in self.fields:  # the step editor leaves ordering to the flow page
            if self.instance.pk is None:
                self.initial["position"] = None  # a new step goes last unless moved
            self.fields["position"].required = False
            self.fields["position"].help_text = _(
                "Order of the steps; the arrows change it, or type a number."
            )

    def _get_validation_exclusions(self) -> set[str]:
        # The formset renumbers positions and saves them in an order the unique
        # constraint accepts, so the per-row (flow, position) check would only misfire.
        return super()._get_validation_exclusions() | {"position"}


#: Positions are moved this far up while a reordered formset saves, away from 1..n.
_PARKING = 1000


class StepFormSet(forms.BaseInlineFormSet):
    """Steps renumbered 1..n in the order given; deletions that would strand people refused."""

    def clean(self) -> None:
        # Before the admin's own check of protected rows, whose message explains less.
        self._refuse_stranding_deletions()
        super().clean()
        if any(self.errors):
            return
        kept = [
            (index, form)
            for index, form in enumerate(self.forms)
            if form not in self.deleted_forms and (form.instance.pk or form.has_changed())
        ]
        kept.sort(key=lambda item: (item[1].cleaned_data.get("position") or 10**6, item[0]))
        for number, (_index, form) in enumerate(kept, start=1):
            form.cleaned_data["position"] = number
            form.instance.position = number
        if len(kept) >= _PARKING:
            raise ValidationError(_("A flow cannot have that many steps."))

    def _refuse_stranding_deletions(self) -> None:
        going = [
            form.instance
            for form in self.forms
            if self._should_delete_form(form) and form.instance.pk
        ]
        if not going:
            return
        problems = []
        for step in going:
            waiting = Enrollment.objects.filter(next_step=step).count()
            sent = step.messages.count()
            if waiting:
                problems.append(
                    ngettext(
                        "Step %(position)s cannot be deleted: %(count)s person is waiting for it. "
                        "Pause the flow first (the Pause button at the top): everyone waiting "
                        "leaves the flow at the next run, and the step can then be deleted.",
                        "Step %(position)s cannot be deleted: %(count)s people are waiting for "
                        "it. Pause the flow first (the Pause button at the top): everyone "
                        "waiting leaves the flow at the next run, and the step can then be "
                        "deleted.",
                        waiting,
                    )
                    % {"position": step.position, "count": waiting}
                )
            elif sent:
                problems.append(
                    ngettext(
                        "Step %(position)s cannot be deleted: it has sent %(count)s email, kept "
                        "for the figures. Edit it instead, or pause this flow and build a new one.",
                        "Step %(position)s cannot be deleted: it has sent %(count)s emails, kept "
                        "for the figures. Edit it instead, or pause this flow and build a new one.",
                        sent,
                    )
                    % {"position": step.position, "count": sent}
                )
        if problems:
            raise ValidationError(problems)

    def save(self, commit: bool = True) -> list[Step]:
        if commit and self.instance.pk:
            # Swapping 1 and 2 row by row would collide on (flow, position): park them first.
            Step.objects.filter(flow=self.instance).update(position=F("position") + _PARKING)
        saved = super().save(commit)
        if commit:
            done = {step.pk for step in saved}
            for form in self.forms:
                step = form.instance
                if step.pk and step.pk not in done and form not in self.deleted_forms:
                    Step.objects.filter(pk=step.pk).update(position=step.position)
        return saved


class PreviewForm(forms.Form):
    """Whose email to preview: a contact, a cart or an order, in one of the shop's languages."""

    contact = forms.EmailField(
        label=_("contact"),
        required=False,
        help_text=_("A customer's email address; empty: a sample person."),
    )
    cart = forms.CharField(
        label=_("cart"), required=False, max_length=128, help_text=_("A cart of the shop.")
    )
    order = forms.CharField(
        label=_("order"), required=False, max_length=128, help_text=_("An order number.")
    )
    language = forms.ChoiceField(label=_("language"), required=False)

    def __init__(self, *args: Any, carts: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("the contact's language")), *settings.LANGUAGES]
        if carts:
            self.fields["cart"].widget = forms.Select(
                choices=[("", _("a sample cart from the latest order")), *carts]
            )

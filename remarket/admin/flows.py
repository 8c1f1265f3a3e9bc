"""The flow builder: a flow and its steps on one page; going live and pausing.

Permissions: ``remarket.add/change/delete_flow`` build flows and their steps (steps follow
their flow's permissions); ``remarket.publish_flow`` switches a flow live. Pausing is one
click for anyone who may change the flow: stopping must never wait for a publisher.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from remarket.admin.base import RemarketAdmin
from remarket.admin.forms import FlowForm, StepForm, StepFormSet, trigger_field_names
from remarket.admin.variables import help_panels
from remarket.admin.widgets import describe_duration
from remarket.flows.models import Enrollment, EnrollmentState, Flow, FlowStatus, Step
from remarket.flows.reach import reach
from remarket.flows.triggers import TRIGGERS

PUBLISH_PERMISSION = "remarket.publish_flow"


def can_publish(request: HttpRequest) -> bool:
    """Whether this user may switch flows live (``remarket.publish_flow``)."""
    return request.user.has_perm(PUBLISH_PERMISSION)


def flow_permission(request: HttpRequest, action: str) -> bool:
    return request.user.has_perm(f"remarket.{action}_flow")


def _count(model: Any, **filters: Any) -> Coalesce:
    """A per-flow count as a subquery: joins of two counts would multiply each other."""
    rows = (
        model.objects.filter(flow=OuterRef("pk"), **filters)
        .order_by()
        .values("flow")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def publish_problems(flow: Flow) -> list[str]:
    """Why ``flow`` cannot go live yet (empty: it can)."""
    problems = []
    try:
        flow.full_clean()
    except ValidationError as exc:
        problems += exc.messages
    steps = list(flow.steps.order_by("position"))
    if not steps:
        problems.append(str(_("Add at least one step: a live flow with no email sends nothing.")))
    for step in steps:
        try:
            step.full_clean(exclude=["flow"])
        except ValidationError as exc:
            for message in exc.messages:
                problems.append(
                    str(_("Step %(position)s: %(problem)s"))
                    % {"position": step.position, "problem": message}
                )
    return problems


class StepInline(admin.StackedInline):
    """The steps of a flow, in order; each opens in the step editor for a preview."""

    model = Step
    form = StepForm
    formset = StepFormSet
    fields = [
        "position",
        "editor",
        "delay",
        "subject",
        "preheader",
        "body",
        "condition",
        ("coupon_kind", "coupon_value", "coupon_days"),
    ]
    readonly_fields = ["editor"]
    ordering = ["position"]
    classes = ["remarket-steps"]

    def get_extra(self, request: HttpRequest, obj: Flow | None = None, **kwargs: Any) -> int:
        return 2 if obj is None else 1  # a new flow starts with room for a reminder and a nudge

    @admin.display(description=_("preview and test"))
    def editor(self, step: Step) -> str:
        if not step.pk:
            return str(_("Save the flow to preview this step."))
        url = reverse("admin:remarket_step_change", args=[step.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview and send a test"))

    # Steps are part of their flow: the flow's permissions decide.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return flow_permission(request, "view") or flow_permission(request, "change")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return flow_permission(request, "change") or flow_permission(request, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return flow_permission(request, "change") or flow_permission(request, "add")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return flow_permission(request, "change")


@admin.register(Flow)
class FlowAdmin(RemarketAdmin):
    form = FlowForm
    inlines = [StepInline]
    list_display = ["name", "trigger", "status_badge", "priority", "steps", "waiting", "updated_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["pause_flows"]
    save_as = False
    change_form_template = "admin/remarket/flow/change_form.html"

    class Media:
        css = {"all": ["remarket/admin/builder.css"]}
        js = ["remarket/admin/builder.js"]

    def get_fieldsets(self, request: HttpRequest, obj: Flow | None = None) -> list[Any]:
        fieldsets: list[Any] = [(None, {"fields": ["name", "slug", "trigger"]})]
        for trigger, cls in TRIGGERS.items():
            fieldsets.append(
                (
                    _("Trigger settings: %(trigger)s") % {"trigger": cls.key.label},
                    {
                        "fields": trigger_field_names(trigger),
                        "classes": ["trigger-settings", f"trigger-{trigger}"],
                    },
                )
            )
        fieldsets += [
            (
                _("Who receives it"),
                {"fields": ["consent_policy", "priority", "reentry_cooldown", "exit_on_order"]},
            ),
            (_("Sender"), {"fields": ["from_email", "reply_to"], "classes": ["collapse"]}),
        ]
        return fieldsets

    def get_form(self, request: HttpRequest, obj: Flow | None = None, **kwargs: Any) -> Any:
        # The trigger settings fields are made per form (FlowForm.__init__), not model fields.
        kwargs["fields"] = FlowForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flow]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                step_count=_count(Step),
                waiting_count=_count(Enrollment, state=EnrollmentState.ACTIVE),
            )
        )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, flow: Flow) -> str:
        return format_html(
            '<span class="remarket-status remarket-status-{}">{}</span>',
            flow.status,
            flow.get_status_display(),
        )

    @admin.display(description=_("steps"), ordering="step_count")
    def steps(self, flow: Flow) -> int:
        return flow.step_count

    @admin.display(description=_("people in it now"), ordering="waiting_count")
    def waiting(self, flow: Flow) -> int:
        return flow.waiting_count

    @admin.action(description=_("Pause the selected flows"), permissions=["change"])
    def pause_flows(self, request: HttpRequest, queryset: QuerySet[Flow]) -> None:
        live = list(queryset.filter(status=FlowStatus.LIVE))
        for flow in live:
            self._pause(request, flow)
        self.message_user(
            request,
            ngettext("%(count)d flow paused.", "%(count)d flows paused.", len(live))
            % {"count": len(live)},
            messages.SUCCESS,
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return can_publish(request)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/publish/",
                view(self.publish_view),
                name="remarket_flow_publish",
            ),
            path(
                "<path:object_id>/pause/",
                view(require_POST(self.pause_view)),
                name="remarket_flow_pause",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), **self._builder_context(request)}
        flow = self.get_object(request, object_id)
        if flow is not None and request.user.has_perm("remarket.view_flowreport"):
            from remarket.insights.figures import flow_report

            context["report"] = flow_report(flow)
        return super().change_view(request, object_id, form_url, context)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **self._builder_context(request)}
        return super().add_view(request, form_url, context)

    def _builder_context(self, request: HttpRequest) -> dict[str, Any]:
        return {"help_panels": help_panels(), "can_publish": can_publish(request)}

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Going live: a confirmation page that says what happens now, then a POST."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        flow = self.get_object_or_404(request, object_id)
        change_url = reverse("admin:remarket_flow_change", args=[flow.pk])
        if flow.is_live:
            self.message_user(request, _("This flow is already live."), messages.INFO)
            return HttpResponseRedirect(change_url)
        problems = publish_problems(flow)
        if request.method == "POST" and not problems:
            flow.status = FlowStatus.LIVE
            flow.save(update_fields=["status", "updated_at"])
            self.log_change(request, flow, [{"changed": {"fields": ["status"]}}])
            self.message_user(
                request,
                _("%(flow)s is live: the next run enrolls the people it finds.") % {"flow": flow},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Go live with %(flow)s?") % {"flow": flow},
            "opts": self.opts,
            "flow": flow,
            "steps": [(s, describe_duration(s.delay)) for s in flow.steps.order_by("position")],
            "problems": problems,
            "reach": None if problems else reach(flow),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/remarket/flow/publish.html", context)

    def pause_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """One click: nobody new enters; the people waiting leave it at the next run."""
        flow = self.get_object_or_404(request, object_id)
        if not self.has_change_permission(request, flow):
            raise PermissionDenied
        if flow.is_live:
            self._pause(request, flow)
            waiting = flow.enrollments.filter(state=EnrollmentState.ACTIVE).count()
            self.message_user(
                request,
                ngettext(
                    "%(flow)s is paused. The %(count)d person waiting leaves it at the next run.",
                    "%(flow)s is paused. The %(count)d people waiting leave it at the next run.",
                    waiting,
                )
                % {"flow": flow, "count": waiting},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:remarket_flow_change", args=[flow.pk]))

    def _pause(self, request: HttpRequest, flow: Flow) -> None:
        flow.status = FlowStatus.PAUSED
        flow.save(update_fields=["status", "updated_at"])
        self.log_change(request, flow, [{"changed": {"fields": ["status"]}}])

"""The step editor: one step's templates, the variables they may use, a live preview and
"send me a test".

The preview renders exactly what the tick would send (:func:`remarket.flows.preview.preview`)
for a chosen contact, cart or order, or a realistic sample, in any of the shop's languages.
The email is shown in a sandboxed iframe whose own response forbids scripts and every
other origin, so a template cannot run anything in the admin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from anymail.exceptions import AnymailError
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from remarket.admin.base import RemarketAdmin
from remarket.admin.flows import flow_permission
from remarket.admin.forms import PreviewForm, StepForm
from remarket.admin.variables import variables_for
from remarket.exceptions import RemarketError
from remarket.flows.models import Step
from remarket.flows.preview import preview, send_test
from remarket.mail.compose import Composed
from remarket.people.models import Contact
from remarket.shop import get_adapter

#: The preview document may show images and its own styles, and nothing else.
PREVIEW_CSP = (
    "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
    "font-src https: data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'; "
    "sandbox"
)
#: Carts offered in the preview's cart menu: the most recent open carts with an email.
CART_CHOICES = 20


class StepEditorForm(StepForm):
    class Meta(StepForm.Meta):
        fields = [name for name in StepForm.Meta.fields if name != "position"]


def recent_carts(limit: int = CART_CHOICES) -> list[tuple[str, str]]:
    """(key, label) of open carts with an email, newest activity first: one adapter batch."""
    try:
        batch = next(iter(get_adapter().idle_carts(timezone.now(), batch_size=limit * 5)), [])
    except NotImplementedError:
        return []
    batch = sorted(batch, key=lambda cart: cart.last_activity, reverse=True)[:limit]
    label = _("%(email)s: %(count)s items, %(total)s %(currency)s")
    return [
        (
            cart.key,
            str(label)
            % {
                "email": cart.email,
                "count": sum(line.quantity for line in cart.lines),
                "total": cart.total,
                "currency": cart.currency,
            },
        )
        for cart in batch
    ]


def preview_query(data: Any) -> str:
    """The preview choices of a request, as a query string to carry them along."""
    return urlencode({key: value for key, value in data.items() if key.startswith("preview-")})


def preview_options(data: PreviewForm) -> dict[str, Any]:
    """The keyword arguments of :func:`preview` that a valid preview form asks for."""
    cleaned = data.cleaned_data
    options: dict[str, Any] = {
        "cart_key": cleaned.get("cart") or "",
        "order_key": cleaned.get("order") or "",
        "language": cleaned.get("language") or "",
    }
    email = cleaned.get("contact")
    if email:
        options["contact"] = Contact.objects.for_email(email).first() or Contact(email=email)
    return options


def render_preview(step: Step, form: PreviewForm) -> Composed | str:
    """The composed email, or a sentence saying why it cannot be shown."""
    if not form.is_valid():
        return str(_("Check the preview choices: %(errors)s")) % {
            "errors": "; ".join(m for errors in form.errors.values() for m in errors)
        }
    try:
        return preview(step, **preview_options(form))
    except RemarketError as exc:  # a cart or order that is gone, a template that breaks
        return str(exc)


@admin.register(Step)
class StepAdmin(RemarketAdmin):
    """Reached from the flow page ("Preview and send a test"); not listed on its own."""

    form = StepEditorForm
    readonly_fields = ["flow_link", "position"]
    fieldsets = [
        (None, {"fields": ["flow_link", "position", "delay"]}),
        (_("Email"), {"fields": ["subject", "preheader", "body"]}),
        (
            _("Options"),
            {"fields": ["condition", ("coupon_kind", "coupon_value", "coupon_days")]},
        ),
    ]
    change_form_template = "admin/remarket/step/change_form.html"

    class Media:
        css = {"all": ["remarket/admin/builder.css"]}
        js = ["remarket/admin/builder.js"]

    @admin.display(description=_("flow"))
    def flow_link(self, step: Step) -> str:
        url = reverse("admin:remarket_flow_change", args=[step.flow_id])
        return format_html('<a href="{}">{}</a>', url, step.flow)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("flow")

    # A step belongs to its flow: the flow's permissions decide, and it is not listed alone.
    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return flow_permission(request, "view") or flow_permission(request, "change")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return flow_permission(request, "change")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # steps are added on their flow's page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleted on the flow's page, where stranded people are refused

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:remarket_flow_changelist"))

    def response_post_save_change(self, request: HttpRequest, obj: Step) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:remarket_flow_change", args=[obj.flow_id]))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/preview/",
                view(xframe_options_sameorigin(self.preview_view)),
                name="remarket_step_preview",
            ),
            path(
                "<path:object_id>/send-test/",
                view(require_POST(self.send_test_view)),
                name="remarket_step_send_test",
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
        step = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if step is not None:
            carts = recent_carts() if step.flow.trigger == "cart_abandoned" else []
            form = PreviewForm(request.GET, prefix="preview", carts=carts)
            email = render_preview(step, form)
            query = preview_query(request.GET)
            context.update(
                variables=variables_for(step.flow.trigger),
                preview_form=form,
                preview_query=query,
                preview_email=email if isinstance(email, Composed) else None,
                preview_problem=email if isinstance(email, str) else "",
                preview_url=reverse("admin:remarket_step_preview", args=[step.pk]),
                send_test_url=reverse("admin:remarket_step_send_test", args=[step.pk]),
                can_send_test=self.has_change_permission(request, step),
                staff_email=request.user.email,
            )
        return super().change_view(request, object_id, form_url, context)

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The rendered email alone, for the iframe: no scripts, no other origins."""
        step = self.get_object_or_404(request, object_id)
        if not self.has_view_permission(request, step):
            raise PermissionDenied
        data = request.GET
        if not self.has_change_permission(request, step):
            # Viewers see the sample: a real contact's, cart's or order's data is for editors.
            data = QueryDict(mutable=True)
            data.update({k: v for k, v in request.GET.items() if k == "preview-language"})
        email = render_preview(step, PreviewForm(data, prefix="preview"))
        if isinstance(email, str):
            response = HttpResponse(email, content_type="text/plain; charset=utf-8", status=400)
        else:
            response = HttpResponse(email.html)
        response["Content-Security-Policy"] = PREVIEW_CSP
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        return response

    def send_test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Send the previewed email to the staff user's own address, marked as a test."""
        step = self.get_object_or_404(request, object_id)
        if not self.has_change_permission(request, step):
            raise PermissionDenied
        form = PreviewForm(request.POST, prefix="preview")
        query = urlencode({k: v for k, v in request.POST.items() if k.startswith("preview-")})
        back = reverse("admin:remarket_step_change", args=[step.pk]) + (
            f"?{query}" if query else ""
        )
        address = request.user.email
        if not address:
            self.message_user(
                request,
                _("Your user has no email address: add one to your account to receive tests."),
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        if not form.is_valid():
            self.message_user(request, render_preview(step, form), messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            send_test(step, address, **preview_options(form))
        except (RemarketError, AnymailError, OSError) as exc:  # say why; never a 500 here
            self.message_user(
                request,
                _("The test could not be sent: %(error)s") % {"error": exc},
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        self.message_user(
            request, _("A test was sent to %(address)s.") % {"address": address}, messages.SUCCESS
        )
        return HttpResponseRedirect(back)

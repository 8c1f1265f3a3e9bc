"""The pages behind links in emails: cart recovery, click tracking, unsubscribe."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from remarket.conf import conf
from remarket.exceptions import CartNotFound, NotSupported
from remarket.mail.links import BadLink, absolute, is_shop_url, read_token
from remarket.mail.models import Message
from remarket.people.history import ChangeKind, ChangeSource, record_change
from remarket.people.models import Contact
from remarket.shop import get_adapter


def bad_link(request: HttpRequest, *, status: int = 400, gone: bool = False) -> HttpResponse:
    """A polite page instead of a traceback; nothing was changed."""
    return render(
        request,
        "remarket/bad_link.html",
        {"gone": gone, "shop_url": conf.SITE_URL or "/"},
        status=status,
    )


def _record_click(message_id: object) -> None:
    now = timezone.now()
    Message.objects.filter(pk=message_id).filter(
        Q(clicked_at__isnull=True) | Q(clicked_at__lt=now)
    ).update(clicked_at=now)


def recover(request: HttpRequest, token: str) -> HttpResponse:
    """Put the cart from the email back into this browser, then go to the cart."""
    try:
        data = read_token("recover", token, expires=True)
    except BadLink:
        return bad_link(request)
    try:
        target = get_adapter().restore_cart(request, str(data["k"]))
    except CartNotFound:
        return bad_link(request, status=404, gone=True)
    except NotSupported:
        target = conf.SITE_URL or "/"
    _record_click(data.get("m"))
    if isinstance(target, HttpResponse):
        return target
    target = absolute(target)  # redirect to exactly the URL that was checked
    if not is_shop_url(target):
        return bad_link(request)
    return HttpResponseRedirect(target)


def click(request: HttpRequest, token: str) -> HttpResponse:
    """Count the click and go on to the shop's page (only the shop's own hosts)."""
    try:
        data = read_token("click", token, expires=True)
    except BadLink:
        return bad_link(request)
    target = str(data.get("u", ""))
    if not is_shop_url(target):
        return bad_link(request)
    _record_click(data.get("m"))
    return HttpResponseRedirect(target)


@csrf_exempt  # RFC 8058: the mailbox provider POSTs without a session or a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation; POST (a click on it, or one-click) unsubscribes."""
    try:
        data = read_token("unsubscribe", token, expires=False)
        contact = Contact.objects.get(pk=data["c"])
    except (BadLink, KeyError, Contact.DoesNotExist):
        return bad_link(request)
    if request.method == "GET":
        return render(request, "remarket/unsubscribe.html", {"contact": contact, "done": False})
    now = timezone.now()
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    reason = _("one-click unsubscribe") if one_click else _("unsubscribe page")
    if Contact.objects.filter(pk=contact.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, unsubscribe_reason=reason, updated_at=now
    ):
        record_change(
            contact.pk, ChangeKind.UNSUBSCRIBED, ChangeSource.EMAIL_LINK, at=now, detail=reason
        )
    if data.get("m"):
        Message.objects.filter(pk=data["m"], unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
    return render(request, "remarket/unsubscribe.html", {"contact": contact, "done": True})

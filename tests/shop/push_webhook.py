"""The README's example webhook for the push API, as a URLconf the tests can mount.

Keep it in step with README.md ("Headless shops: the push API").
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from remarket.exceptions import InvalidPush
from remarket.shop import api


@csrf_exempt  # called by the shop's server, authenticated by the signature below
@require_POST
def shop_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.SHOP_WEBHOOK_SECRET.encode()
    expected = "sha256=" + hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Shop-Signature", ""), expected):
        return HttpResponse(status=401)
    event = json.loads(request.body)
    data = event["data"]
    lines = [
        {
            "product_id": line["sku"],
            "name": line["name"],
            "quantity": line["quantity"],
            "unit_price": line["unit_price"],
        }
        for line in data.get("lines", [])
    ]
    try:
        if event["type"] == "checkout_updated":
            api.cart_updated(
                data["token"],
                email=data.get("email") or "",
                lines=lines,
                currency=data["currency"],
                updated_at=data["updated_at"],
                consent=data.get("marketing_consent"),
                recover_url=f"https://shop.example/cart/?checkout={data['token']}",
            )
        elif event["type"] == "order_created":
            api.order_placed(
                data["number"],
                email=data["email"],
                lines=lines,
                currency=data["currency"],
                total=data["total"],
                placed_at=data["created"],
                cart_key=data.get("checkout_token"),
                coupon_code=data.get("voucher_code") or "",
            )
    except InvalidPush as exc:
        return JsonResponse({"error": str(exc)}, status=400)  # the shop logs why
    return HttpResponse(status=204)


urlpatterns = [
    path("hooks/shop/", shop_webhook),
    path("remarket/", include("remarket.urls")),
]

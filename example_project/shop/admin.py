"""Admin for the shop's catalogue, baskets and purchases."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .coupons import generate_code
from .models import Basket, BasketItem, Category, Coupon, Product, Purchase, PurchaseLine


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["label", "slug"]
    search_fields = ["label", "slug"]
    prepopulated_fields = {"slug": ["label"]}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "price", "in_stock", "created"]
    list_filter = ["category", "in_stock"]
    list_editable = ["price", "in_stock"]
    search_fields = ["title", "slug", "blurb"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "created"


class BasketItemInline(admin.TabularInline):
    model = BasketItem
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Basket)
class BasketAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "owner",
        "shopper_email",
        "marketing_opt_in",
        "line_count",
        "touched_at",
        "created",
    ]
    list_filter = ["status", "marketing_opt_in", "touched_at"]
    search_fields = ["shopper_email", "shopper_name", "owner__username", "owner__email"]
    raw_id_fields = ["owner", "merged_into"]
    readonly_fields = ["created"]
    date_hierarchy = "touched_at"
    inlines = [BasketItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Basket]:
        return super().get_queryset(request).select_related("owner").prefetch_related("items")

    @admin.display(description=_("lines"))
    def line_count(self, obj: Basket) -> int:
        return len(obj.items.all())

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        # Editing lines in the admin is basket activity too.
        if formset.model is BasketItem and formset.has_changed():
            form.instance.touch()


class PurchaseLineInline(admin.TabularInline):
    model = PurchaseLine
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = [
        "ref",
        "created",
        "buyer_email",
        "buyer",
        "grand_total",
        "currency_code",
        "coupon_code",
        "marketing_opt_in",
    ]
    list_filter = ["marketing_opt_in", "currency_code", "created"]
    search_fields = ["ref", "buyer_email", "buyer_name", "buyer__username", "coupon_code"]
    raw_id_fields = ["buyer", "basket"]
    readonly_fields = ["ref"]
    date_hierarchy = "created"
    inlines = [PurchaseLineInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Purchase]:
        return super().get_queryset(request).select_related("buyer")


@admin.register(BasketItem)
class BasketItemAdmin(admin.ModelAdmin):
    list_display = ["basket", "product", "qty", "price_each"]
    search_fields = ["product__title", "basket__shopper_email"]
    raw_id_fields = ["basket"]
    autocomplete_fields = ["product"]


@admin.register(PurchaseLine)
class PurchaseLineAdmin(admin.ModelAdmin):
    list_display = ["purchase", "product", "qty", "price_paid"]
    search_fields = ["product__title", "purchase__buyer_email"]
    raw_id_fields = ["purchase"]
    autocomplete_fields = ["product"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PurchaseLine]:
        return super().get_queryset(request).select_related("purchase", "product")


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "email",
        "percent_off",
        "amount_off",
        "currency",
        "expires_at",
        "redeemed_at",
        "redeemed_by",
        "created",
    ]
    list_filter = ["expires_at", "redeemed_at", "currency"]
    search_fields = ["code", "email"]
    raw_id_fields = ["redeemed_by"]
    date_hierarchy = "created"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, object]:
        # A fresh random code, so a coupon made by hand looks like one made by remarket.
        return {"code": generate_code(), **super().get_changeform_initial_data(request)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Coupon]:
        return super().get_queryset(request).select_related("redeemed_by")

"""URL routes of the demo shop (namespace ``shop``)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("basket/", views.basket_detail, name="basket"),
    path("basket/add/<slug:slug>/", views.add_to_basket, name="add_to_basket"),
    path("basket/lines/<int:item_id>/", views.update_line, name="update_line"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/review/", views.checkout_review, name="checkout_review"),
    path("checkout/review/coupon/", views.checkout_coupon, name="checkout_coupon"),
    path("orders/<uuid:ref>/", views.order, name="order"),
]

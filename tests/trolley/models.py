"""A shop whose names share nothing with remarket's or the example shop's.

UUID primary keys everywhere; the email lives on a related ``Customer``; carts are
closed with a boolean and merged by pointing at the trolley that absorbed them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mail = models.EmailField(blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    full_name = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=8, blank=True)


class Family(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=50)


class Item(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(max_length=100)
    family = models.ForeignKey(Family, null=True, on_delete=models.SET_NULL)
    cost = models.DecimalField(max_digits=10, decimal_places=2)
    added_on = models.DateTimeField(default=timezone.now)
    extra = models.JSONField(default=dict, blank=True)


class Trolley(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    modified = models.DateTimeField(default=timezone.now, db_index=True)
    closed = models.BooleanField(default=False)
    absorbed_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    money = models.CharField(max_length=3, default="VND")


class TrolleyEntry(models.Model):
    trolley = models.ForeignKey(Trolley, related_name="entries", on_delete=models.CASCADE)
    item = models.ForeignKey(Item, on_delete=models.CASCADE)
    amount = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)


class Sale(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, null=True, on_delete=models.SET_NULL)
    source = models.ForeignKey(
        Trolley, null=True, blank=True, related_name="sales", on_delete=models.SET_NULL
    )
    amount_due = models.DecimalField(max_digits=12, decimal_places=2)
    money = models.CharField(max_length=3, default="VND")
    ordered_on = models.DateTimeField(default=timezone.now, db_index=True)


class SaleEntry(models.Model):
    sale = models.ForeignKey(Sale, related_name="entries", on_delete=models.CASCADE)
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    amount = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)

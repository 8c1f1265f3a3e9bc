"""Value specs of the field-map adapter: attribute paths, constants and callables.

A spec in ``REMARKET`` is one of

* a **path**, ``"customer__email"`` or ``"customer.email"``: model fields are followed
  (and can be used in database queries); past the last model field the remaining names
  are attributes, dictionary keys or methods called without arguments
  (``"product.get_absolute_url"``, ``"picture.url"``);
* a **constant**, ``{"const": "EUR"}``;
* a **callable**, ``{"call": "myshop.remarket.cart_total"}`` (or the function itself),
  called with the cart, order, line or product and returning the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.module_loading import import_string

__all__ = ["Call", "Const", "FieldPath", "Spec", "SpecError", "parse_spec"]


class SpecError(Exception):
    """A spec that does not resolve; ``check_id`` says which system check reports it."""

    def __init__(self, check_id: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.check_id = check_id
        self.message = message
        self.hint = hint


def field_names(model: type[models.Model]) -> list[str]:
    """Names a path may use on ``model``, for hints."""
    return sorted(f.name for f in model._meta.get_fields())


@dataclass(frozen=True)
class FieldPath:
    """A path resolved against a model.

    ``db_parts`` are the leading names that are model fields (usable in queries);
    ``field`` is the last of those fields; ``attr_parts`` follow it as attributes.
    """

    text: str
    model: type[models.Model]
    db_parts: tuple[str, ...]
    attr_parts: tuple[str, ...]
    field: Any  # a Field or a ForeignObjectRel

    @property
    def is_query_path(self) -> bool:
        """True when the whole path is made of model fields, so SQL can use it."""
        return not self.attr_parts and bool(self.db_parts)

    @property
    def lookup(self) -> str:
        """The ORM lookup (``"customer__email"``) for the database part."""
        return "__".join(self.db_parts)

    @property
    def select_related(self) -> str | None:
        """The chain of forward relations to load with ``select_related``, if any."""
        chain: list[str] = []
        model = self.model
        for name in self.db_parts:
            field = _get_field(model, name)
            if name != field.name or not (
                field.is_relation and (field.many_to_one or field.one_to_one)
            ):
                break  # "product_id" reads the column: no join needed
            if field.auto_created and not field.concrete:  # reverse one-to-one
                break
            chain.append(name)
            model = field.related_model
        return "__".join(chain) or None

    def value_of(self, obj: Any) -> Any:
        """Follow the path from ``obj``; ``None`` anywhere along the way gives ``None``."""
        for name in (*self.db_parts, *self.attr_parts):
            if obj is None or (not obj and not isinstance(obj, models.Model)):
                return None  # an empty file field or dict has nothing beneath it
            obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name)
            if callable(obj) and not isinstance(obj, models.Manager | models.Model | type):
                obj = obj()
        return obj


@dataclass(frozen=True)
class Const:
    """A fixed value, written ``{"const": value}``."""

    value: Any

    def value_of(self, obj: Any) -> Any:
        return self.value


@dataclass(frozen=True)
class Call:
    """A function of the object, written ``{"call": "dotted.path"}``."""

    func: Callable[[Any], Any]
    text: str

    def value_of(self, obj: Any) -> Any:
        return self.func(obj)


Spec = FieldPath | Const | Call


def _get_field(model: type[models.Model], name: str) -> Any:
    if name == "pk":
        return model._meta.pk
    return model._meta.get_field(name)


def resolve_path(model: type[models.Model], text: str, *, setting: str) -> FieldPath:
    """Resolve ``text`` on ``model``, or raise :class:`SpecError` (remarket.E103)."""
    parts = tuple(p for p in text.replace(".", "__").split("__"))
    if not text or not all(parts):
        raise SpecError(
            "remarket.E103",
            f"{setting} is {text!r}, which is not a field path.",
            "Write field names joined by '__' or '.', for example 'customer__email'.",
        )
    current: type[models.Model] | None = model
    db_parts: list[str] = []
    field: Any = None
    for index, name in enumerate(parts):
        if current is None:  # past a non-relation field: the rest are attributes
            return FieldPath(text, model, tuple(db_parts), parts[index:], field)
        try:
            field = _get_field(current, name)
        except FieldDoesNotExist:
            if hasattr(current, name):  # a property or method of the model
                return FieldPath(text, model, tuple(db_parts), parts[index:], field)
            raise SpecError(
                "remarket.E103",
                f"{setting} is {text!r}, but {current._meta.label} has no field or "
                f"attribute {name!r}.",
                f"Use one of: {', '.join(field_names(current))}.",
            ) from None
        db_parts.append(name)
        is_relation = field.is_relation and name == field.name  # not "product_id"
        current = field.related_model if is_relation else None
        if isinstance(field, models.JSONField):
            # Keys inside a JSON field are still queryable ("extra__email").
            return FieldPath(text, model, parts, (), field)
    return FieldPath(text, model, tuple(db_parts), (), field)


def parse_spec(raw: Any, model: type[models.Model], *, setting: str) -> Spec:
    """Turn one ``REMARKET`` value into a :data:`Spec`, or raise :class:`SpecError`."""
    if isinstance(raw, str):
        return resolve_path(model, raw, setting=setting)
    if callable(raw):
        return Call(raw, getattr(raw, "__qualname__", repr(raw)))
    if isinstance(raw, dict) and set(raw) == {"const"}:
        return Const(raw["const"])
    if isinstance(raw, dict) and set(raw) == {"call"} and isinstance(raw["call"], str):
        try:
            func = import_string(raw["call"])
        except ImportError as exc:
            raise SpecError(
                "remarket.E106",
                f"{setting} names the callable {raw['call']!r}, which cannot be imported ({exc}).",
                "Give the full dotted path of a function, for example "
                "{'call': 'myshop.remarket.cart_total'}.",
            ) from exc
        if not callable(func):
            raise SpecError(
                "remarket.E106",
                f"{setting} names {raw['call']!r}, which is not callable.",
                "Point 'call' at a function that takes the object and returns the value.",
            )
        return Call(func, raw["call"])
    raise SpecError(
        "remarket.E106",
        f"{setting} is {raw!r}, which remarket cannot read.",
        "Use a field path string ('customer__email'), {'const': value} for a fixed "
        "value, or {'call': 'dotted.path.to.function'}.",
    )

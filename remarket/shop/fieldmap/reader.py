"""Reading one section of the field map while collecting system-check messages."""

from __future__ import annotations

import difflib
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import models

from remarket.shop.paths import FieldPath, Spec, SpecError, parse_spec, resolve_path


class SectionReader:
    """Reads one section (``REMARKET["CART"]`` ...), collecting problems as it goes."""

    def __init__(self, raw: Any, setting: str, problems: list[checks.CheckMessage]) -> None:
        self.raw = raw
        self.setting = setting
        self.problems = problems
        self.model: type[models.Model] | None = None

    def key(self, name: str) -> str:
        return f"{self.setting}[{name!r}]"

    def error(self, check_id: str, message: str, hint: str) -> None:
        self.problems.append(checks.Error(message, hint=hint, id=check_id))

    def is_section(self, *, required: bool, example: str) -> bool:
        if self.raw is None and not required:
            return False
        if not isinstance(self.raw, dict):
            what = "not set" if self.raw is None else f"{self.raw!r}, not a dict"
            self.error(
                "remarket.E101",
                f"{self.setting} is {what}, so remarket cannot read your shop's models.",
                f"Set {self.setting} to a dict such as {example}.",
            )
            return False
        return True

    def unknown_keys(self, known: dict[str, str]) -> None:
        for name in self.raw:
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                guess = f"Did you mean {close[0]!r}? " if close else ""
                self.error(
                    "remarket.E105",
                    f"{self.key(name)} is not a key remarket understands.",
                    f"{guess}Known keys: {', '.join(known)}.",
                )

    def load_model(self) -> type[models.Model] | None:
        label = self.raw.get("model")
        if label is None:
            self.missing("model", "'myshop.Cart'")
            return None
        try:
            self.model = apps.get_model(label)
        except (LookupError, ValueError, AttributeError):
            self.error(
                "remarket.E102",
                f"{self.key('model')} is {label!r}, which is not an installed model.",
                "Write the model as 'app_label.ModelName' (for example 'shop.Basket') "
                "and make sure its app is in INSTALLED_APPS.",
            )
        return self.model

    def missing(self, name: str, example: str) -> None:
        self.error(
            "remarket.E104",
            f"{self.key(name)} is required but not set.",
            f"Add it to {self.setting}, for example {name!r}: {example}.",
        )

    def value(self, name: str, *, required: str = "") -> Spec | None:
        raw = self.raw.get(name)
        if raw is None:
            if required:
                self.missing(name, required)
            return None
        try:
            return parse_spec(raw, self.model, setting=self.key(name))
        except SpecError as exc:
            self.error(exc.check_id, exc.message, exc.hint)
            return None

    def query(
        self, name: str, *, required: str = "", kind: str = "", target: Any = None
    ) -> FieldPath | None:
        """A path the database must be able to filter on."""
        raw = self.raw.get(name)
        if raw is None:
            if required:
                self.missing(name, required)
            return None
        if not isinstance(raw, str):
            self.error(
                "remarket.E107",
                f"{self.key(name)} is {raw!r}, but remarket filters on it in the database.",
                "Give a path of model fields such as 'customer__email'; constants and "
                "callables cannot be queried.",
            )
            return None
        try:
            path = resolve_path(self.model, raw, setting=self.key(name))
        except SpecError as exc:
            self.error(exc.check_id, exc.message, exc.hint)
            return None
        problem = _query_problem(path, kind, target)
        if problem:
            self.error(
                "remarket.E107",
                f"{self.key(name)} is {raw!r}, which {problem}.",
                _QUERY_HINTS[kind or "field"],
            )
            return None
        return path

    def relation(self, name: str, example: str) -> tuple[str, str, type[models.Model]] | None:
        """The reverse relation from the holder to its lines: (name, line FK, line model)."""
        raw = self.raw.get(name)
        if raw is None:
            self.missing(name, example)
            return None
        try:
            rel = self.model._meta.get_field(raw) if isinstance(raw, str) else None
        except FieldDoesNotExist:
            rel = None
        if rel is None or not (rel.auto_created and rel.one_to_many):
            choices = [
                r.name for r in self.model._meta.get_fields() if r.auto_created and r.one_to_many
            ]
            self.error(
                "remarket.E107",
                f"{self.key(name)} is {raw!r}, which is not a reverse foreign key of "
                f"{self.model._meta.label}.",
                f"Name the related name of the line model's foreign key; on this model: "
                f"{', '.join(choices) or 'none'}.",
            )
            return None
        return raw, rel.field.name, rel.related_model

    def filters(self, name: str) -> dict[str, Any]:
        raw = self.raw.get(name)
        if raw is None:
            return {}
        try:
            if not isinstance(raw, dict):
                raise TypeError(raw)
            self.model._default_manager.filter(**raw)
        except (FieldError, ValidationError, ValueError, TypeError) as exc:
            self.error(
                "remarket.E109",
                f"{self.key(name)} is {raw!r}, which is not a valid filter on "
                f"{self.model._meta.label} ({exc}).",
                "Give keyword lookups as for QuerySet.filter(), for example {'status': 'open'}.",
            )
            return {}
        return raw

    def text(self, name: str, default: str) -> str:
        raw = self.raw.get(name, default)
        if not isinstance(raw, str):
            self.error(
                "remarket.E106",
                f"{self.key(name)} is {raw!r}, not a string.",
                "Give a plain string.",
            )
            return default
        return raw


_QUERY_HINTS = {
    "field": "Point it at a model field (follow relations with '__'), not a property.",
    "datetime": "Point it at a DateTimeField that the shop updates on every change.",
    "user": "Point it at the foreign key to settings.AUTH_USER_MODEL.",
    "cart": "Point it at the order's foreign key to the cart model in REMARKET['CART'].",
    "self": "Point it at a foreign key from the cart to the cart it was merged into.",
    "fk": "Point it at a foreign key (follow relations with '__').",
}


def _query_problem(path: FieldPath, kind: str, target: Any) -> str:
    if not path.is_query_path:
        return f"reaches {'.'.join(path.attr_parts)!r}, an attribute the database cannot see"
    f = path.field
    if kind == "datetime" and not isinstance(f, models.DateTimeField):
        return f"is a {type(f).__name__}, not a DateTimeField"
    if kind in {"user", "cart", "self", "fk"}:
        if not (f.is_relation and (f.many_to_one or f.one_to_one)):
            return "is not a foreign key"
        if target is not None and f.related_model is not target:
            return f"points at {f.related_model._meta.label}, not {target._meta.label}"
    return ""


def is_indexed(path: FieldPath) -> bool:
    """Whether the database has an index starting with the path's field."""
    f = path.field
    if len(path.db_parts) > 1:
        return True  # a related model's field: the shop decides, we cannot tell
    if f.db_index or f.unique or f.primary_key:
        return True
    meta = path.model._meta
    return any(i.fields and i.fields[0].lstrip("-") == f.name for i in meta.indexes)

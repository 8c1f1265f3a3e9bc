"""What remarket's ModelAdmins share."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest


class RemarketAdmin(admin.ModelAdmin):
    """A ModelAdmin whose own views (publish, preview, export...) look objects up safely."""

    def get_object_or_404(self, request: HttpRequest, object_id: str) -> Any:
        """The object, or 404 for a missing or malformed (tampered) id: never a 500."""
        found = self.get_object(request, unquote(object_id))
        if found is None:
            raise Http404
        return found

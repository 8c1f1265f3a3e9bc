"""Pictures as uploaded: the demo needs no thumbnail library (Oscar defaults to sorl)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.conf import settings
from oscar.core.thumbnails import AbstractThumbnailer


class OriginalImage(AbstractThumbnailer):
    """Serve the original image in place of a thumbnail."""

    def generate_thumbnail(self, source: Any, **opts: Any) -> Any:
        if isinstance(source, str):  # Oscar passes its "image not found" picture by name
            return SimpleNamespace(url=settings.MEDIA_URL + source, width=None, height=None)
        url = getattr(source, "url", None) or settings.MEDIA_URL + str(source.name)
        return SimpleNamespace(url=url, width=None, height=None)

    def delete_thumbnails(self, source: Any) -> None:
        return None

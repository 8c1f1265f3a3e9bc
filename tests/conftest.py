from __future__ import annotations

from typing import Any

import pytest

from remarket.shop import ShopAdapter, get_adapter
from tests.shapes import SHAPES


@pytest.fixture(params=SHAPES, ids=lambda shape: shape.name)
def shape(request: pytest.FixtureRequest, settings: Any) -> Any:
    """Each shop shape in turn, with ``REMARKET`` mapped onto it."""
    settings.REMARKET = request.param.settings
    return request.param


@pytest.fixture
def adapter(shape: Any) -> ShopAdapter:
    return get_adapter()

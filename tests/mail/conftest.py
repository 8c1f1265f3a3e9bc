"""The mail tests run flows on the example shop, like tests/flows."""

from __future__ import annotations

from tests.flows.conftest import clock, shop

__all__ = ["clock", "shop"]

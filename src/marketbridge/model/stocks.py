"""Warehouses and stock levels; a bundle's availability from its components."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, computed_field

from marketbridge.model.catalog import Bundle
from marketbridge.model.common import CanonicalModel, Code


class Warehouse(CanonicalModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class StockLevel(CanonicalModel):
    """Stock of one offer in one hub warehouse. Available is what may be sold."""

    offer_sku: Code
    warehouse: Code
    on_hand: int = Field(ge=0, le=100_000_000)
    reserved: int = Field(default=0, ge=0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


def bundle_available(bundle: Bundle, available: Mapping[str, int]) -> int:
    """A bundle can be sold as many times as its scarcest component allows.

    `available` maps component offer SKUs to their available quantity; a missing one counts as 0.
    """
    return min(max(available.get(c.offer_sku, 0), 0) // c.quantity for c in bundle.components)

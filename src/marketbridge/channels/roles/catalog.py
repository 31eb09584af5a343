"""Catalog source: the marketplace's units (offers), its category tree and attributes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from marketbridge.model import Category, CategoryAttribute, ListingStatus


@dataclass
class RemoteOffer:
    """One sellable unit as the marketplace knows it.

    `external_id` is the marketplace's own stable id of the unit (what stock and price
    calls key on); `offer_code` is the seller's article as stored on the marketplace;
    `product_external_id` groups units of one card (variants). The first barcode is
    remembered on the link and handed back on StockPush.barcode.
    """

    external_id: str
    offer_code: str
    product_external_id: str
    name: str
    barcodes: list[str] = field(default_factory=list)
    product_code: str | None = None
    size: str | None = None
    color: str | None = None
    category_id: str | None = None
    brand: str | None = None
    status: ListingStatus = ListingStatus.ACTIVE
    status_reason: str | None = None
    requires_marking: bool = False


class CatalogSource(Protocol):
    """Reads the marketplace's catalog: every unit, the category tree, a category's attributes.

    `catalog_offers_per_second` is the most units its read limits let an import take per
    second (0: no bound worth stating); benchmarks and progress estimates read it.
    """

    catalog_offers_per_second: float

    def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        """Every unit on the marketplace, page by page."""
        ...

    async def categories(self) -> list[Category]: ...

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]: ...

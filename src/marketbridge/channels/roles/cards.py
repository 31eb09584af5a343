"""Card exporter: creates or updates cards on the marketplace and follows their moderation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from marketbridge.model import ListingStatus


@dataclass
class CardDraft:
    """A card to create or update on the marketplace, with the marketplace's category."""

    offer_code: str
    name: str
    category_id: str
    barcodes: list[str]
    price: Decimal
    attributes: dict[str, list[str]] = field(default_factory=dict)
    description: str | None = None
    brand: str | None = None
    images: list[str] = field(default_factory=list)
    product_code: str | None = None
    size: str | None = None
    weight_g: int | None = None
    old_price: Decimal | None = None
    currency: str = "RUB"


@dataclass
class CardResult:
    offer_code: str
    status: ListingStatus
    external_id: str | None = None
    errors: list[str] = field(default_factory=list)


class CardExporter(Protocol):
    """Sends cards (asynchronous on every marketplace so far) and reads back their outcome."""

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        """Send cards; returns a task id to follow with card_export_status."""
        ...

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        """Per-card results, or None while the marketplace is still processing."""
        ...

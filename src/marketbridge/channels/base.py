"""The Channel protocol: what the hub asks of every marketplace, and the shapes it passes.

A channel is one marketplace connector bound to one connection (credentials, base URLs and
settings). It translates between the marketplace's JSON and these marketplace-neutral
shapes; the sync engine talks to channels only through this protocol and the capability
flags, so adding a marketplace is adding a package under channels/.

Conventions every channel keeps:
- Listing calls are async iterators of pages (lists), so nothing is held whole in memory.
- Batch calls take any number of items and split them into the largest batches the
  marketplace allows; they report one ItemResult per item and never fail the whole batch
  for one bad item.
- Every HTTP call goes through channels.http.ApiClient with a declared method group.
- A malformed marketplace answer raises BadResponse, never a KeyError or TypeError.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from marketbridge.model import (
    Category,
    CategoryAttribute,
    Label,
    LabelFormat,
    ListingStatus,
    OrderStatus,
    ReturnStatus,
)
from marketbridge.runtime.ratelimit import Limiter


class HandOver(StrEnum):
    """How parcels are handed to the marketplace's carrier."""

    ACT = "act"  # a transfer act / carriage per warehouse and day (Ozon)
    SUPPLY = "supply"  # a supply that collects tasks and is delivered (Wildberries)
    SHIPMENT = "shipment"  # a first-mile shipment confirmed by the seller (Yandex Market)


@dataclass(frozen=True)
class Capabilities:
    """What a marketplace can do, so the sync engine knows which paths to take."""

    order_push: bool  # new orders are pushed to us (we still poll as a safety net)
    confirm_step: bool  # an order must be confirmed by a call before packing
    multi_box: bool  # one order can be packed into several boxes, each labelled
    hand_over: HandOver
    label_formats: frozenset[LabelFormat]
    marking_codes: bool
    card_export: bool
    returns: bool
    price_import: bool
    max_stock_batch: int
    max_price_batch: int
    max_card_batch: int
    push_signed: bool = False  # pushes carry a verifiable signature
    stock_items_per_second: float = 0.0  # the most stock values its limits let through (0: unknown)
    #: the most offers its limits let a catalog import read per second (0: no bound)
    catalog_offers_per_second: float = 0.0


@dataclass(frozen=True)
class ConnectionConfig:
    """Everything a channel needs to talk for one connection.

    `base_urls` maps host aliases to URLs (a single-host marketplace uses "default");
    `credentials` are decrypted values, to be used and never logged; `settings` are the
    connection's channel-specific options (validated by the channel).
    """

    connection_id: str
    base_urls: Mapping[str, str]
    credentials: Mapping[str, str]
    settings: Mapping[str, Any] = field(default_factory=dict)


# --- what a marketplace holds ---------------------------------------------------------


@dataclass
class RemoteOffer:
    """One sellable unit as the marketplace knows it.

    `external_id` is the marketplace's own stable id of the unit (what stock and price
    calls key on); `offer_code` is the seller's article as stored on the marketplace;
    `product_external_id` groups units of one card (variants).
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


@dataclass
class RemoteWarehouse:
    external_id: str
    name: str
    active: bool = True


@dataclass
class RemotePrice:
    external_id: str
    offer_code: str
    price: Decimal
    old_price: Decimal | None = None
    min_price: Decimal | None = None
    currency: str = "RUB"


@dataclass
class RemoteOrderLine:
    external_offer_id: str
    offer_code: str
    quantity: int
    price: Decimal
    name: str | None = None
    barcode: str | None = None
    requires_marking: bool = False


@dataclass
class RemoteOrder:
    """An order (Ozon posting, WB assembly task, ...) in canonical terms plus its raw status."""

    external_id: str
    status: OrderStatus
    raw_status: str
    created_at: datetime
    lines: list[RemoteOrderLine]
    updated_at: datetime | None = None
    ship_by: datetime | None = None
    warehouse_id: str | None = None
    currency: str = "RUB"
    buyer_city: str | None = None
    group_id: str | None = None  # marketplace's grouping of orders of one purchase, if any
    cancel_reason: str | None = None


@dataclass
class RemoteReturn:
    external_id: str
    order_external_id: str | None
    status: ReturnStatus
    created_at: datetime
    lines: list[RemoteOrderLine]
    reason: str | None = None


# --- what the hub sends ---------------------------------------------------------------


@dataclass(frozen=True)
class StockPush:
    external_id: str
    offer_code: str
    warehouse_id: str
    quantity: int
    barcode: str | None = None


@dataclass(frozen=True)
class PricePush:
    external_id: str
    offer_code: str
    price: Decimal
    old_price: Decimal | None = None
    min_price: Decimal | None = None
    currency: str = "RUB"


@dataclass
class ItemResult:
    """The outcome for one item of a batch call; `key` is the item's external id."""

    key: str
    ok: bool
    code: str | None = None
    message: str | None = None
    retryable: bool = False


@dataclass(frozen=True)
class PackLine:
    external_offer_id: str
    quantity: int
    marking_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackBox:
    number: int
    lines: tuple[PackLine, ...]


@dataclass
class PackResult:
    """Shipments made by packing: one per box where the marketplace labels boxes apart."""

    shipment_ids: list[str]
    box_shipments: dict[int, str] = field(default_factory=dict)  # box number -> shipment id


@dataclass
class HandOverResult:
    external_id: str
    document: bytes | None = None  # the act / supply barcode, as a PDF when there is one
    document_format: LabelFormat | None = None


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


class PushKind(StrEnum):
    PING = "ping"
    ORDER_CREATED = "order_created"
    ORDER_STATUS = "order_status"
    ORDER_CANCELLED = "order_cancelled"
    STOCK_CHANGED = "stock_changed"
    CARD_CHANGED = "card_changed"
    OTHER = "other"


@dataclass
class PushMessage:
    """A marketplace notification reduced to what the sync engine acts on."""

    kind: PushKind
    dedup_key: str
    occurred_at: datetime | None = None
    order_external_id: str | None = None
    raw_type: str | None = None


@dataclass
class PushReply:
    """What to answer the marketplace, and the message to store (None: nothing to store)."""

    status: int
    body: Any
    message: PushMessage | None = None


# --- the protocol ---------------------------------------------------------------------


@runtime_checkable
class Channel(Protocol):
    kind: str
    capabilities: Capabilities

    async def aclose(self) -> None: ...

    async def check(self) -> None:
        """A cheap call that raises AuthError when the credentials do not work."""

    async def list_warehouses(self) -> list[RemoteWarehouse]: ...

    def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        """Every unit on the marketplace, page by page."""
        ...

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]: ...

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]: ...

    def iter_prices(self) -> AsyncIterator[list[RemotePrice]]: ...

    def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        """Orders created or changed in [since, until], in every status, page by page."""
        ...

    async def get_order(self, external_id: str) -> RemoteOrder: ...

    async def confirm(self, external_id: str) -> None: ...

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult: ...

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        """Labels per shipment; raises TransientError while they are not ready yet."""
        ...

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult: ...

    async def cancel(self, external_id: str, reason: str) -> None: ...

    def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]: ...

    async def categories(self) -> list[Category]: ...

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]: ...

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        """Send cards; returns a task id to follow with card_export_status."""
        ...

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        """Per-card results, or None while the marketplace is still processing."""
        ...

    def handle_push(self, headers: Mapping[str, str], body: bytes) -> PushReply:
        """Validate a push (signature where there is one) and say what to answer."""
        ...


@dataclass(frozen=True)
class ChannelSpec:
    """A registered marketplace: how to build its channel and what its connection needs."""

    kind: str
    title: str
    credential_fields: tuple[str, ...]
    host_aliases: tuple[str, ...]
    factory: Any  # Callable[[ConnectionConfig, Limiter], Channel]
    capabilities: Capabilities

    def create(self, config: ConnectionConfig, limiter: Limiter) -> Channel:
        missing = [f for f in self.credential_fields if not config.credentials.get(f)]
        if missing:
            raise ValueError(f"{self.kind}: missing credentials: {', '.join(missing)}")
        channel: Channel = self.factory(config, limiter)
        return channel

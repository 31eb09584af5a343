"""Order source: orders in every status over a time window, and one order by id; and the new-order
feed, the orders waiting for the seller right now, for marketplaces that push no orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from marketbridge.model import OrderStatus


@dataclass
class RemoteOrderLine:
    external_offer_id: str
    offer_code: str
    quantity: int
    price: Decimal
    name: str | None = None
    barcode: str | None = None
    requires_marking: bool = False
    #: the kinds of data the marketplace requires per unit before shipping (model.REQUIRED_KINDS)
    required_meta: tuple[str, ...] = ()


@dataclass
class RemoteOrder:
    """An order (a posting, an assembly task, ...) in canonical terms plus its raw status.

    `raw_status` is the marketplace's own status as one string (status and sub-status
    joined with "/" where the marketplace has both). Optional parts: `group_id` where the
    marketplace splits one purchase into several orders (the purchase's number);
    `cancel_reason` where it says why an order was cancelled.
    """

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
    group_id: str | None = None
    cancel_reason: str | None = None


class OrderSource(Protocol):
    """Lists orders for polling (the safety net beside pushes) and reads one order."""

    def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        """Orders created or changed in [since, until], in every status, page by page."""
        ...

    async def get_order(self, external_id: str) -> RemoteOrder: ...


class NewOrderFeed(Protocol):
    """The orders waiting for the seller right now (placed, not yet confirmed), in one cheap read.

    A fast lane beside OrderSource for a marketplace that pushes no orders: the hub reads it
    as often as the quota allows (ChannelSpec.new_order_calls), and the full poll of every
    status runs less often. Each order comes in its current (new) status.
    """

    async def new_orders(self) -> list[RemoteOrder]: ...

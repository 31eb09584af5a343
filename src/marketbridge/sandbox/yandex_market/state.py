"""The Yandex Market sandbox's world: one business, its campaigns and warehouses, offers, stocks, prices.

One business (cabinet) holds the catalog; each seeded warehouse is a partner warehouse of
the business and has its own campaign (one shop per warehouse, as an FBS seller has).
Stock updates are accepted at once but become visible to the API's reads only after
`STOCK_VISIBLE_SECONDS` (the description: "data in the catalog is not updated instantly,
it takes up to several minutes"); what the seller last sent is kept apart for read-back.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marketbridge.sandbox.common.control import new_journal
from marketbridge.sandbox.common.faults import Faults
from marketbridge.sandbox.common.limits import SandboxLimits
from marketbridge.sandbox.common.push import PushSender
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.yandex_market import notify
from marketbridge.sandbox.yandex_market.orders import BUYER_CANCELLED, Order, Shipment
from marketbridge.sandbox.yandex_market.returns import Return

#: Real seconds (through `Timing`) before a stock update shows in the API's reads.
STOCK_VISIBLE_SECONDS = 60.0
#: Real seconds a card spends in processing after an offer or its content is sent.
CARD_PROCESSING_SECONDS = 10.0
#: A new price below this share of the last valid one goes to the price quarantine.
QUARANTINE_BELOW = Decimal("0.5")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Warehouse:
    id: int
    name: str
    campaign_id: int


@dataclass
class Offer:
    """One offer of the business catalog, keyed by the seller's offerId (its SKU)."""

    offer_id: str
    name: str
    category_id: int
    barcodes: list[str] = field(default_factory=list)
    vendor: str = "Sandbox"
    params: dict[int, str] = field(default_factory=dict)
    market_sku: int | None = None
    price: Decimal = Decimal("1000")
    discount_base: Decimal | None = None
    price_updated: str = field(default_factory=now_iso)
    quarantined: Decimal | None = None  # a price held back until the seller confirms it
    #: campaign id -> the shop's own price (over the business price), and one held back
    campaign_prices: dict[int, Decimal] = field(default_factory=dict)
    campaign_quarantine: dict[int, Decimal] = field(default_factory=dict)
    processing_until: float = 0.0  # monotonic time its card leaves processing
    requires_marking: bool = False
    archived: bool = False


@dataclass
class StockUpdate:
    count: int
    updated_at: str
    visible_at: float  # monotonic
    set_at: float  # monotonic, when the sandbox accepted it


@dataclass
class Market:
    """Everything the sandbox holds."""

    business_id: int
    api_key: str
    oauth_token: str
    limits: SandboxLimits
    faults: Faults = field(default_factory=Faults)
    pusher: PushSender = field(default_factory=PushSender)
    timing: Timing = field(default_factory=Timing)
    journal: deque[dict[str, Any]] = field(default_factory=new_journal)
    warehouses: dict[int, Warehouse] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    #: (warehouse id, offerId) -> the seller's stock updates, oldest first (last one counts)
    stocks: dict[tuple[int, str], list[StockUpdate]] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    returns: dict[int, Return] = field(default_factory=dict)
    #: campaigns whose shipments Market collects from the warehouse (WITHDRAW), not IMPORT
    withdraw_campaigns: set[int] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self, base: int) -> int:
        return base + next(self.ids)

    def campaign(self, campaign_id: int) -> Warehouse | None:
        return next((w for w in self.warehouses.values() if w.campaign_id == campaign_id), None)

    # --- orders --------------------------------------------------------------------------

    def moved(self, order: Order, status: str, substatus: str) -> None:
        """Moves an order and notifies the seller's URL of the change."""
        order.move(status, substatus)
        for body in notify.status_changed(order):
            self.pusher.emit(body)

    def grant_unanswered(self) -> None:
        """Cancels the orders whose buyer's request went unanswered past its deadline (48 hours)."""
        now = time.monotonic()
        for order in list(self.orders.values()):
            if order.cancel_requested and order.cancel_deadline <= now:
                order.cancel_requested = False
                self.moved(order, *BUYER_CANCELLED)

    # --- stocks --------------------------------------------------------------------------

    def set_stock(self, warehouse: int, offer_id: str, count: int, updated_at: str | None = None) -> None:
        accepted = time.monotonic()
        visible = accepted + self.timing.of(STOCK_VISIBLE_SECONDS)
        history = self.stocks.setdefault((warehouse, offer_id), [])
        history.append(StockUpdate(count, updated_at or now_iso(), visible, accepted))
        del history[:-8]  # older updates can no longer matter

    def sent_stock(self, warehouse: int, offer_id: str) -> StockUpdate | None:
        """What the seller last sent (the control API's read-back)."""
        history = self.stocks.get((warehouse, offer_id))
        return history[-1] if history else None

    def visible_stock(self, warehouse: int, offer_id: str) -> StockUpdate | None:
        """What the API's reads show now: the newest update whose delay has passed."""
        now = time.monotonic()
        shown = [u for u in self.stocks.get((warehouse, offer_id), []) if u.visible_at <= now]
        return shown[-1] if shown else None

    # --- cards ---------------------------------------------------------------------------

    def start_processing(self, offer: Offer) -> None:
        offer.processing_until = time.monotonic() + self.timing.of(CARD_PROCESSING_SECONDS)

    def processing(self, offer: Offer) -> bool:
        return time.monotonic() < offer.processing_until

    def reset(self) -> None:
        self.warehouses.clear()
        self.offers.clear()
        self.stocks.clear()
        self.orders.clear()
        self.shipments.clear()
        self.returns.clear()
        self.withdraw_campaigns.clear()
        self.journal.clear()
        self.limits.reset()

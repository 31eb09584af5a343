"""The in-memory shop behind the Ozon sandbox: warehouses, products, postings, returns, tasks.

Everything is indexed by the ids Ozon uses (product_id, sku, offer_id, posting_number,
warehouse_id), so lookups stay O(1) with ten thousand products and thousands of postings.
Ids are made up the way Ozon makes them: large integers for products, SKUs and warehouses,
`NNNNNNNN-NNNN-N` posting numbers (order number plus a posting index).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

#: FBS posting statuses of the Seller API, and those a posting is "unfulfilled" in.
UNFULFILLED_STATUSES = frozenset(
    {
        "awaiting_registration",
        "acceptance_in_progress",
        "awaiting_approve",
        "awaiting_packaging",
        "awaiting_deliver",
        "arbitration",
        "client_arbitration",
    }
)
POSTING_STATUSES = UNFULFILLED_STATUSES | {
    "delivering",
    "driver_pickup",
    "delivered",
    "cancelled",
    "not_accepted",
    "sent_by_seller",
}


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def money_text(value: Decimal | None) -> str:
    return "0" if value is None else format(value.normalize(), "f")


@dataclass
class Warehouse:
    warehouse_id: int
    name: str
    delivery_method_id: int
    status: str = "created"
    is_rfbs: bool = False


@dataclass
class Product:
    product_id: int
    sku: int
    offer_id: str
    name: str
    description_category_id: int
    type_id: int
    price: Decimal
    old_price: Decimal | None = None
    min_price: Decimal | None = None
    currency_code: str = "RUB"
    barcodes: list[str] = field(default_factory=list)
    requires_marking: bool = False
    status: str = "price_sent"  # moderation passed; stocks may be set
    errors: list[dict[str, Any]] = field(default_factory=list)
    archived: bool = False
    attributes: list[dict[str, Any]] = field(default_factory=list)
    color: str | None = None
    size: str | None = None
    model_code: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    stocks: dict[int, int] = field(default_factory=dict)  # warehouse_id -> present
    reserved: dict[int, int] = field(default_factory=dict)  # warehouse_id -> reserved

    @property
    def visible(self) -> bool:
        return self.status == "price_sent" and not self.archived


@dataclass
class PostingLine:
    sku: int
    offer_id: str
    name: str
    price: Decimal
    quantity: int
    product_id: int
    requires_marking: bool = False


@dataclass
class Posting:
    posting_number: str
    order_id: int
    order_number: str
    warehouse_id: int
    delivery_method_id: int
    lines: list[PostingLine]
    in_process_at: datetime
    shipment_date: datetime
    status: str = "awaiting_packaging"
    substatus: str = "posting_created"
    status_changed_at: datetime = field(default_factory=now)
    packed_at: datetime | None = None
    delivery_begin: datetime | None = None
    delivery_end: datetime | None = None
    parent_posting_number: str = ""
    cancel_reason_id: int = 0
    cancel_reason: str = ""
    cancellation_initiator: str = ""
    cancelled_after_ship: bool = False
    buyer_city: str = "Москва"
    delivering_date: datetime | None = None
    tracking_number: str = ""
    seq: int = 0
    # sku -> one list of marks per unit, as the seller set them
    exemplars: dict[int, list[list[str]]] = field(default_factory=dict)
    #: the next ship of this posting answers 200 and then fails (substatus ship_failed)
    fail_next_ship: bool = False
    #: when a failing ship's outcome shows (substatus ship_failed), while it is being processed
    ship_fails_at: datetime | None = None


@dataclass
class ReturnItem:
    return_id: int
    posting_number: str
    order_id: int
    order_number: str
    line: PostingLine
    quantity: int
    reason: str
    created_at: datetime
    status_id: int = 1
    status_name: str = "DisputeOpened"
    status_title: str = "Открыт спор с покупателем"
    status_changed_at: datetime = field(default_factory=now)


@dataclass
class ImportItem:
    offer_id: str
    product_id: int
    status: str  # imported | failed | skipped (the card was sent unchanged)
    errors: list[dict[str, Any]]


@dataclass
class ImportTask:
    task_id: int
    items: list[ImportItem]
    ready_at: datetime


@dataclass
class LabelTask:
    task_id: int
    task_type: str
    posting_numbers: list[str]
    created_at: datetime


@dataclass
class Carriage:
    carriage_id: int
    delivery_method_id: int
    departure_date: datetime
    posting_numbers: list[str]
    status: str = "new"  # new -> FORMING after approval -> FORMED once `formed_at` passed
    containers_count: int = 0
    formed_at: datetime | None = None

    def settle(self) -> None:
        """An approved carriage's documents are formed once their forming time has passed."""
        if self.status == "FORMING" and self.formed_at is not None and self.formed_at <= now():
            self.status = "FORMED"


class ShopState:
    """One seller's shop. Guarded by `lock` because control calls run in worker threads."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        """Forget everything (the lock stays, so routes holding this object keep working)."""
        self._ids = itertools.count(1)
        self.warehouses: dict[int, Warehouse] = {}
        self.products: dict[int, Product] = {}  # product_id -> product
        self.by_sku: dict[int, Product] = {}
        self.by_offer: dict[str, Product] = {}
        self.postings: dict[str, Posting] = {}
        self.orders: dict[int, list[str]] = {}  # order_id -> posting numbers
        self.returns: dict[int, ReturnItem] = {}
        self.import_tasks: dict[int, ImportTask] = {}
        self.label_tasks: dict[int, LabelTask] = {}
        self.carriages: dict[int, Carriage] = {}
        self.stock_updates: dict[tuple[int, int], float] = {}  # (product_id, warehouse) -> monotonic
        self.received_cards: list[dict[str, Any]] = []
        self.last_cards: dict[str, dict[str, Any]] = {}  # offer_id -> the card body last imported
        self.moderating: dict[int, datetime] = {}  # product_id -> when moderation ends
        self.failing_ships: set[str] = set()  # postings whose ship is being processed, to fail
        self.forming: set[int] = set()  # carriages whose documents are being formed

    def _settle_documents_and_ships(self) -> None:
        moment = now()
        for number in list(self.failing_ships):
            posting = self.postings.get(number)
            if posting is None or posting.ship_fails_at is None:
                self.failing_ships.discard(number)
            elif posting.ship_fails_at <= moment:
                posting.ship_fails_at = None
                posting.substatus = "ship_failed"
                posting.status_changed_at = moment
                self.failing_ships.discard(number)
        for carriage_id in list(self.forming):
            carriage = self.carriages.get(carriage_id)
            if carriage is not None:
                carriage.settle()
            if carriage is None or carriage.status != "FORMING":
                self.forming.discard(carriage_id)

    def settle(self) -> None:
        """Let what waited its time happen: cards go on sale (status price_sent), failing ships
        show `ship_failed`, approved carriages' documents are formed."""
        if self.failing_ships or self.forming:
            self._settle_documents_and_ships()
        if not self.moderating:
            return
        moment = now()
        for product_id, until in list(self.moderating.items()):
            if until <= moment:
                del self.moderating[product_id]
                product = self.products.get(product_id)
                if product is not None and product.status == "moderating":
                    product.status = "price_sent"
                    product.updated_at = moment

    def next_id(self) -> int:
        return next(self._ids)

    def new_product_id(self) -> int:
        return 100_000_000 + self.next_id()

    def new_sku(self) -> int:
        return 1_000_000_000 + self.next_id()

    def new_warehouse_id(self) -> int:
        return 22_000_000_000_000 + self.next_id() * 1000

    def add_product(self, product: Product) -> None:
        self.products[product.product_id] = product
        self.by_sku[product.sku] = product
        self.by_offer[product.offer_id] = product

    def find_product(self, *, offer_id: str | None = None, product_id: int | None = None) -> Product | None:
        """The product named by offer_id (preferred, as Ozon does) or by product_id."""
        if offer_id:
            return self.by_offer.get(offer_id)
        if product_id:
            return self.products.get(product_id)
        return None

    def add_posting(self, posting: Posting) -> None:
        posting.seq = self.next_id()
        self.postings[posting.posting_number] = posting
        self.orders.setdefault(posting.order_id, []).append(posting.posting_number)

    def next_posting_number(self, order_number: str, order_id: int) -> str:
        used = self.orders.get(order_id, [])
        return f"{order_number}-{len(used) + 1}"

    def available(self, product: Product, warehouse_id: int) -> int:
        """What a buyer can still buy: `present` holds the reserve, the free stock excludes it."""
        return product.stocks.get(warehouse_id, 0) - product.reserved.get(warehouse_id, 0)

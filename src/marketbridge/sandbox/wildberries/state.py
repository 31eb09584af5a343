"""The in-memory shop behind the Wildberries sandbox: cards, prices, stocks, tasks, supplies.

Plain dataclasses and dicts keyed by the marketplace's ids, so 10,000 sizes and thousands
of assembly tasks stay fast. Handlers change it; the control API reads it back.
Route handlers run both on the event loop and in the thread pool (plain `def` routes), so a
loop over one of these dicts goes over a snapshot — `list(d.values())`, taken at once under
the GIL — never over the live dict that another request may be growing.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """WB's timestamps: RFC 3339 in UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Every kind of assembly-task metadata WB knows.
META_KINDS = ("imei", "uin", "gtin", "sgtin", "expiration")


@dataclass
class Size:
    chrt_id: int
    tech_size: str
    wb_size: str
    skus: list[str]
    price: int = 1000  # the size's price before discount (roubles)

    def as_json(self) -> dict[str, Any]:
        return {"chrtID": self.chrt_id, "techSize": self.tech_size, "wbSize": self.wb_size, "skus": self.skus}


@dataclass
class Card:
    nm_id: int
    imt_id: int
    subject_id: int
    subject_name: str
    vendor_code: str
    title: str
    brand: str
    description: str
    sizes: list[Size]
    characteristics: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    discount: int = 0
    editable_size_price: bool = False
    need_kiz: bool = False
    #: metadata WB requires on this card's assembly tasks (sgtin, uin, imei, gtin, expiration)
    required_meta: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "nmID": self.nm_id,
            "imtID": self.imt_id,
            "nmUUID": f"{self.nm_id:08x}-0000-7000-8000-{self.imt_id:012x}",
            "subjectID": self.subject_id,
            "subjectName": self.subject_name,
            "vendorCode": self.vendor_code,
            "brand": self.brand,
            "title": self.title,
            "description": self.description,
            "needKiz": self.need_kiz,
            "photos": [],
            "wholesale": {"enabled": False, "quantum": 0},
            "dimensions": {"length": 20, "width": 15, "height": 5, "weightBrutto": 0.4, "isValid": True},
            "characteristics": self.characteristics,
            "sizes": [s.as_json() for s in self.sizes],
            "tags": [],
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


def unit_code(card: Card, size: Size) -> str:
    """The seller's code of one size of a card: the vendor code, with the size when there are several."""
    return card.vendor_code if len(card.sizes) == 1 else f"{card.vendor_code}-{size.tech_size}"


@dataclass
class Subject:
    subject_id: int
    name: str
    parent_id: int
    parent_name: str
    charcs: list[dict[str, Any]]


@dataclass
class Warehouse:
    id: int
    name: str
    office_id: int
    cargo_type: int = 1
    delivery_type: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "officeId": self.office_id,
            "id": self.id,
            "cargoType": self.cargo_type,
            "deliveryType": self.delivery_type,
            "isDeleting": False,
            "isProcessing": False,
        }


@dataclass
class Order:
    """An FBS assembly task: one unit of one size."""

    id: int
    order_uid: str
    rid: str
    nm_id: int
    chrt_id: int
    article: str
    skus: list[str]
    warehouse_id: int
    office_id: int
    price: int  # kopecks, as WB sends it
    sale_price: int
    created_at: datetime
    cargo_type: int = 1
    supplier_status: str = "new"
    wb_status: str = "waiting"
    supply_id: str | None = None
    updated_at: datetime = field(default_factory=now_utc)
    address: str = "г. Москва, ул. Тверская, д. 1"
    city: str = "Москва"
    required_meta: list[str] = field(default_factory=list)
    optional_meta: list[str] = field(default_factory=list)
    #: the metadata given so far: sgtin -> list of codes, uin/imei/gtin/expiration -> a string
    metas: dict[str, Any] = field(default_factory=dict)

    @property
    def sgtins(self) -> list[str]:
        return list(self.metas.get("sgtin") or [])

    def missing_meta(self) -> list[str]:
        """Required metadata not given yet: a supply holding this task cannot be delivered."""
        return [kind for kind in self.required_meta if not self.metas.get(kind)]

    def meta_json(self) -> dict[str, Any]:
        return {kind: {"value": self.metas.get(kind)} for kind in META_KINDS}

    def as_json(self, with_supply: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "address": {"fullAddress": self.address, "longitude": 37.61, "latitude": 55.75},
            "scanPrice": None,
            "deliveryType": "fbs",
            "orderUid": self.order_uid,
            "article": self.article,
            "colorCode": "",
            "rid": self.rid,
            "createdAt": iso_seconds(self.created_at),
            "offices": [self.city],
            "skus": self.skus,
            "id": self.id,
            "warehouseId": self.warehouse_id,
            "officeId": self.office_id,
            "nmId": self.nm_id,
            "chrtId": self.chrt_id,
            "price": self.price,
            "convertedPrice": self.price,
            "currencyCode": 643,
            "convertedCurrencyCode": 643,
            "cargoType": self.cargo_type,
            "comment": "",
            "isZeroOrder": False,
            "options": {"isB2b": False},
        }
        if with_supply:  # the list of all tasks: scanPrice is a number there, absent until scanned
            body["supplyId"] = self.supply_id or ""
            del body["scanPrice"]
        return body


@dataclass
class Supply:
    id: str
    name: str
    created_at: datetime
    cargo_type: int | None = None
    warehouse_id: int | None = None
    done: bool = False
    closed_at: datetime | None = None
    order_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "done": self.done,
            "createdAt": iso_seconds(self.created_at),
            "closedAt": iso_seconds(self.closed_at) if self.closed_at else None,
            "scanDt": None,
            "name": self.name,
            "cargoType": self.cargo_type or 0,
            "destinationOfficeId": 0,
        }


@dataclass
class PriceGood:
    """One line of a price upload task and, after processing, its outcome."""

    nm_id: int
    price: int | None
    discount: int | None
    size_id: int | None = None
    status: int = 1  # 1 processing, 2 applied, 3 error
    error: str = ""


@dataclass
class PriceTask:
    id: int
    uploaded_at: datetime
    ready_at: float  # monotonic time when processing ends
    goods: list[PriceGood]
    kind: str = "goods"  # goods | size
    status: int = 1  # 1 in buffer, 3 ok, 5 partly failed, 6 all failed
    processed: bool = False


@dataclass
class CardBatch:
    """A cards upload being moderated; failures end up in the error list."""

    uuid: str
    ready_at: float
    variants: list[dict[str, Any]]
    processed: bool = False


@dataclass
class CardError:
    batch_uuid: str
    vendor_code: str
    subject_id: int
    subject_name: str
    errors: list[str]
    at: datetime


@dataclass
class Claim:
    id: str
    order_id: int
    nm_id: int
    srid: str
    title: str
    reason: str
    price: int
    order_dt: datetime
    created_at: datetime
    status: int = 0
    status_ex: int = 0
    archived: bool = False
    updated_at: datetime = field(default_factory=now_utc)

    def as_json(self) -> dict[str, Any]:
        actions = [] if self.status else ["approve1", "reject1", "rejectcustom", "autorefund1"]
        return {
            "id": self.id,
            "claim_type": 1,
            "status": self.status,
            "status_ex": self.status_ex,
            "nm_id": self.nm_id,
            "user_comment": self.reason,
            "wb_comment": None,
            "dt": self.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "imt_name": self.title,
            "order_dt": self.order_dt.strftime("%Y-%m-%dT%H:%M:%S"),
            "dt_update": self.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "photos": [],
            "video_paths": [],
            "actions": actions,
            "price": self.price,
            "currency_code": "643",
            "srid": self.srid,
        }


@dataclass
class ShopState:
    """Everything the sandbox holds for its one seller."""

    cards: dict[int, Card] = field(default_factory=dict)
    subjects: dict[int, Subject] = field(default_factory=dict)
    warehouses: dict[int, Warehouse] = field(default_factory=dict)
    offices: list[dict[str, Any]] = field(default_factory=list)
    stocks: dict[tuple[int, int], int] = field(default_factory=dict)  # (warehouse, chrt) -> amount
    stock_set_at: dict[tuple[int, int], float] = field(default_factory=dict)  # -> monotonic, by the seller
    orders: dict[int, Order] = field(default_factory=dict)
    supplies: dict[str, Supply] = field(default_factory=dict)
    price_tasks: dict[int, PriceTask] = field(default_factory=dict)
    card_batches: list[CardBatch] = field(default_factory=list)
    card_errors: list[CardError] = field(default_factory=list)
    claims: dict[str, Claim] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.by_chrt: dict[int, tuple[Card, Size]] = {}
        self.by_sku: dict[str, int] = {}
        self.by_vendor: dict[str, Card] = {}
        #: (updatedAt, nmID) of every card, ascending: the cards list pages by bisecting it
        self.card_order: list[tuple[datetime, int]] = []
        self._card_key: dict[int, tuple[datetime, int]] = {}
        self.order_seq = itertools.count(int(time.time()) % 100_000 * 1000 + 10_000_000)

    def next_id(self, base: int) -> int:
        return base + next(self._ids)

    def add_card(self, card: Card) -> None:
        """Store a new card, or re-index one whose fields (and updatedAt) were just changed."""
        self.cards[card.nm_id] = card
        self._index_card(card)
        self.by_vendor[card.vendor_code] = card
        for size in card.sizes:
            self.by_chrt[size.chrt_id] = (card, size)
            for sku in size.skus:
                self.by_sku[sku] = size.chrt_id

    def _index_card(self, card: Card) -> None:
        key = (card.updated_at, card.nm_id)
        old = self._card_key.get(card.nm_id)
        if old == key:
            return
        if old is not None:
            del self.card_order[bisect.bisect_left(self.card_order, old)]
        self._card_key[card.nm_id] = key
        if not self.card_order or key > self.card_order[-1]:
            self.card_order.append(key)  # the usual case: the newest change
        else:
            bisect.insort(self.card_order, key)

    def cards_after(self, mark: tuple[datetime, int] | None, ascending: bool) -> Iterator[Card]:
        """Cards in (updatedAt, nmID) order, strictly after `mark` in that direction."""
        order = self.card_order
        if ascending:
            start = 0 if mark is None else bisect.bisect_right(order, mark)
            positions: Iterable[int] = range(start, len(order))
        else:
            end = len(order) if mark is None else bisect.bisect_left(order, mark)
            positions = range(end - 1, -1, -1)
        for at in positions:
            yield self.cards[order[at][1]]

    def size_of(self, chrt_id: int) -> tuple[Card, Size] | None:
        return self.by_chrt.get(chrt_id)

    def chrts_of(self, code: str) -> list[int]:
        """The sizes whose seller code (`unit_code`) is `code`: a vendor code, or one with its size."""
        vendor, _, _ = code.rpartition("-")
        found = []
        for card in filter(None, (self.by_vendor.get(code), self.by_vendor.get(vendor))):
            found += [size.chrt_id for size in card.sizes if unit_code(card, size) == code]
        return found

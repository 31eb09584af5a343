"""The Ozon sandbox's side of the uniform control API (/_sandbox/): seed, buyer, moves, read-back.

`OzonBackend` implements `SandboxBackend`. It owns the shop state, the fault settings, the
server-side limits, the push sender and the journal of received requests. Control calls
run in worker threads, so pushes are handed to the event loop thread-safely.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import Any

from marketbridge.channels.ozon.endpoints import SANDBOX_API
from marketbridge.sandbox.common.control import (
    BuyerOrder,
    MoveOrder,
    OpenReturn,
    SeedRequest,
    new_journal,
    wall_clock,
)
from marketbridge.sandbox.common.faults import PRICE_REFUSED, SHIP_FAILED, Faults
from marketbridge.sandbox.common.limits import BucketSpec, SandboxLimits
from marketbridge.sandbox.common.push import PushSender
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.ozon import catalog_data
from marketbridge.sandbox.ozon.shop import Shop
from marketbridge.sandbox.ozon.shop_postings import BUYER_CANCEL_REASON
from marketbridge.sandbox.ozon.state import (
    POSTING_STATUSES,
    Posting,
    PostingLine,
    Product,
    ReturnItem,
    ShopState,
    Warehouse,
    money_text,
    now,
)

#: Server-side limits: the figures Ozon publishes, as the connector's declaration names them.
LIMIT_SPECS: dict[str, BucketSpec] = {
    group: BucketSpec(count=limit.count, per_seconds=limit.per_seconds, burst=limit.burst)
    for group, limit in SANDBOX_API.limits.items()
}

#: Canonical targets of the control API's move -> Ozon status.
CANONICAL_MOVES = {"shipped": "delivering", "delivered": "delivered", "cancelled": "cancelled"}
#: Real figures of Ozon's asynchronous steps, shortened together through `Timing`.
#: Labels: the description advises asking 45-60 s after shipping.
LABEL_READY_SECONDS = 45.0
#: The act of an approved carriage: no figure is published; open-source clients poll for
#: a while before fetching it, so the sandbox takes a quarter of a minute.
ACT_FORMING_SECONDS = 15.0
#: A ship answered 200 that fails shows `ship_failed` some seconds later (no published figure).
SHIP_FAILING_SECONDS = 5.0
#: The control API's fault menu items this sandbox emulates.
FAULT_MENU = frozenset({PRICE_REFUSED, SHIP_FAILED})
DEFAULT_CATEGORY = (17028922, 91565)
MARKED_CATEGORY = (17028650, 94700)


class OzonBackend:
    def __init__(self, client_id: str, limits: bool = True, push_url: str | None = None) -> None:
        self.client_id = client_id
        self.seller_id = int(client_id) if client_id.isdigit() else 1
        self.faults = Faults(menu=FAULT_MENU)
        self.limits = SandboxLimits(enabled=limits, specs=dict(LIMIT_SPECS))
        self.pusher = PushSender(url=push_url)
        self.timing = Timing()  # the marketplace's real delays unless shortened
        self.journal: deque[dict[str, Any]] = new_journal()
        self.state = ShopState()
        self.shop = Shop(self.state, self.seller_id, self.emit, lambda: self.limits.enabled, self.faults)
        #: a fixed label delay set through the Ozon settings; None: the real one through `timing`
        self.label_delay: float | None = None

    # --- emulated delays (the real figures, through `timing`) -------------------------

    def label_wait(self) -> float:
        """Seconds after packing before a posting's label can be printed."""
        if self.label_delay is not None:
            return self.label_delay
        return self.timing.of(LABEL_READY_SECONDS)

    def act_forming(self) -> float:
        return self.timing.of(ACT_FORMING_SECONDS)

    def ship_failing(self) -> float:
        return self.timing.of(SHIP_FAILING_SECONDS)

    # --- pushes -----------------------------------------------------------------------

    def emit(self, body: dict[str, Any]) -> None:
        """Send a push from the loop thread or from a worker thread."""
        self.pusher.emit(body)

    # --- control API ------------------------------------------------------------------

    def seed(self, request: SeedRequest) -> dict[str, Any]:
        with self.state.lock:
            made_warehouses = []
            for w in request.warehouses:
                wid = int(w.id) if w.id and w.id.isdigit() else self.state.new_warehouse_id()
                self.state.warehouses[wid] = Warehouse(wid, w.name, delivery_method_id=wid + 1)
                made_warehouses.append({"id": str(wid), "name": w.name})
            made_offers = []
            for o in request.offers:
                category, type_id = MARKED_CATEGORY if o.requires_marking else DEFAULT_CATEGORY
                if o.category_id and ":" in o.category_id:
                    first, second = o.category_id.split(":", 1)
                    if catalog_data.find_type(int(first), int(second)) is not None:
                        category, type_id = int(first), int(second)
                product = self.state.by_offer.get(o.offer_code)
                if product is None:
                    product = Product(
                        product_id=self.state.new_product_id(),
                        sku=self.state.new_sku(),
                        offer_id=o.offer_code,
                        name=o.name,
                        description_category_id=category,
                        type_id=type_id,
                        price=o.price,
                    )
                    self.state.add_product(product)
                product.name = o.name
                product.price = o.price
                product.old_price = o.old_price
                product.barcodes = list(o.barcodes)
                product.requires_marking = o.requires_marking
                product.color, product.size, product.model_code = o.color, o.size, o.product_code
                for wid_text, qty in o.stocks.items():
                    if wid_text.isdigit() and int(wid_text) in self.state.warehouses:
                        product.stocks[int(wid_text)] = qty + product.reserved.get(int(wid_text), 0)
                made_offers.append(
                    {
                        "offer_code": o.offer_code,
                        "external_id": str(product.sku),
                        "product_id": str(product.product_id),
                    }
                )
            return {"warehouses": made_warehouses, "offers": made_offers}

    def place_order(self, order: BuyerOrder) -> list[str]:
        with self.state.lock:
            lines = []
            for line in order.lines:
                product = self.state.by_offer.get(line.offer_code)
                if product is None:
                    raise KeyError(line.offer_code)
                lines.append((product, line.quantity))
            warehouse_id = self._pick_warehouse(order.warehouse_id, lines)
            order_id = 30_000_000_000 + self.state.next_id()
            order_number = f"{order_id % 100_000_000:08d}-{self.state.next_id() % 10_000:04d}"
            created = now()
            posting = Posting(
                posting_number=f"{order_number}-1",
                order_id=order_id,
                order_number=order_number,
                warehouse_id=warehouse_id,
                delivery_method_id=self.state.warehouses[warehouse_id].delivery_method_id,
                lines=[
                    PostingLine(
                        p.sku,
                        p.offer_id,
                        p.name,
                        p.price,
                        qty,
                        p.product_id,
                        requires_marking=p.requires_marking,
                    )
                    for p, qty in lines
                ],
                in_process_at=created,
                shipment_date=created + timedelta(days=1),
                status_changed_at=created,
                buyer_city=order.buyer_city or "Москва",
            )
            for p, qty in lines:
                p.reserved[warehouse_id] = p.reserved.get(warehouse_id, 0) + qty
            self.state.add_posting(posting)
            self.emit(
                {
                    "message_type": "TYPE_NEW_POSTING",
                    "posting_number": posting.posting_number,
                    "products": [{"sku": line.sku, "quantity": line.quantity} for line in posting.lines],
                    "in_process_at": posting.in_process_at.isoformat().replace("+00:00", "Z"),
                    "warehouse_id": warehouse_id,
                    "seller_id": self.seller_id,
                }
            )
            return [posting.posting_number]

    def _pick_warehouse(self, wanted: str | None, lines: list[tuple[Product, int]]) -> int:
        if not self.state.warehouses:
            raise ValueError("the shop has no warehouse: seed one first")
        if wanted is not None:
            if not wanted.isdigit() or int(wanted) not in self.state.warehouses:
                raise KeyError(f"warehouse {wanted}")
            candidates = [int(wanted)]
        else:
            candidates = list(self.state.warehouses)
        for wid in candidates:
            if all(self.state.available(p, wid) >= qty for p, qty in lines):
                return wid
        raise ValueError("not enough stock for this order in any warehouse")

    def move_order(self, order_id: str, move: MoveOrder) -> dict[str, Any]:
        with self.state.lock:
            posting = self.state.postings.get(order_id)
            if posting is None:
                raise KeyError(order_id)
            target = CANONICAL_MOVES.get(move.status, move.status)
            if target not in POSTING_STATUSES:
                raise ValueError(f"unknown status {move.status!r}")
            if posting.status in ("delivered", "cancelled"):
                raise ValueError(f"posting is {posting.status} already")
            if target == "cancelled":
                reason_id, reason = BUYER_CANCEL_REASON
                self.shop.cancel(posting, reason_id, move.reason or reason, initiator="Клиент")
            elif target == "delivering" and posting.status == "awaiting_packaging":
                raise ValueError("the posting is not packed yet (awaiting_packaging)")
            else:
                self.shop.move(posting, target)
            return {"id": posting.posting_number, "status": posting.status, "substatus": posting.substatus}

    def open_return(self, request: OpenReturn) -> str:
        with self.state.lock:
            posting = self.state.postings.get(request.order_id)
            if posting is None:
                raise KeyError(request.order_id)
            if posting.status not in ("delivered", "delivering"):
                raise ValueError(f"a return needs a delivered posting; this one is {posting.status}")
            first = None
            for line in posting.lines:
                item = ReturnItem(
                    return_id=1_000_000_000 + self.state.next_id(),
                    posting_number=posting.posting_number,
                    order_id=posting.order_id,
                    order_number=posting.order_number,
                    line=line,
                    quantity=line.quantity,
                    reason=request.reason or "Не подошёл размер",
                    created_at=now(),
                )
                self.state.returns[item.return_id] = item
                first = first or item
            assert first is not None
            return str(first.return_id)

    def stocks(self, offer_code: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            if offer_code is None:
                products = list(self.state.products.values())
            else:
                found = self.state.by_offer.get(offer_code)
                products = [found] if found is not None else []
            return [
                {
                    "offer_code": p.offer_id,
                    "external_id": str(p.sku),
                    "warehouse_id": str(w),
                    "quantity": q - p.reserved.get(w, 0),  # the free stock, as the seller sends it
                    "reserved": p.reserved.get(w, 0),
                    "set_at": wall_clock(self.state.stock_updates.get((p.product_id, w))),
                }
                for p in products
                for w, q in sorted(p.stocks.items())
            ]

    def prices(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                {
                    "offer_code": p.offer_id,
                    "external_id": str(p.sku),
                    "price": money_text(p.price),
                    "old_price": money_text(p.old_price) if p.old_price else None,
                    "min_price": money_text(p.min_price) if p.min_price else None,
                }
                for p in self.state.products.values()
            ]

    def cards(self) -> list[dict[str, Any]]:
        with self.state.lock:
            out: list[dict[str, Any]] = [
                {
                    "offer_code": p.offer_id,
                    "external_id": str(p.sku),
                    "name": p.name,
                    "status": p.status,
                    "errors": [e.get("message") for e in p.errors],
                }
                for p in self.state.products.values()
            ]
            for task in self.state.import_tasks.values():
                out.extend(
                    {
                        "offer_code": i.offer_id,
                        "external_id": None,
                        "name": None,
                        "status": "failed",
                        "errors": [e["message"] for e in i.errors],
                    }
                    for i in task.items
                    if i.status == "failed"
                )
            return out

    def orders(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                {
                    "id": p.posting_number,
                    "status": p.status,
                    "substatus": p.substatus,
                    "order_number": p.order_number,
                    "lines": [
                        {"offer_code": line.offer_id, "external_id": str(line.sku), "quantity": line.quantity}
                        for line in p.lines
                    ],
                }
                for p in self.state.postings.values()
            ]

    def reset(self) -> None:
        with self.state.lock:
            self.state.clear()
            self.journal.clear()
            self.limits.reset()

    def received_cards(self) -> list[dict[str, Any]]:
        return list(self.state.received_cards)

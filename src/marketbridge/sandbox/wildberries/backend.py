"""The Wildberries sandbox behind the uniform /_sandbox/ control API.

Seeding makes one card per product (vendorCode = product code, or the offer code when the
offer has no product) with one size per offer. The seller's unit code of a size follows the
connector's rule: the card's vendorCode when it has one size, otherwise vendorCode-techSize;
the control API also accepts the seeded offer code, the chrtID or a barcode.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from marketbridge.sandbox.common.control import BuyerOrder, MoveOrder, OpenReturn, SeedRequest, wall_clock
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.wildberries.moderation import process_card_batches
from marketbridge.sandbox.wildberries.routes_orders import remove_from_supply
from marketbridge.sandbox.wildberries.routes_prices import process_price_tasks
from marketbridge.sandbox.wildberries.shop import Shop
from marketbridge.sandbox.wildberries.state import (
    Card,
    Claim,
    Order,
    ShopState,
    Size,
    Subject,
    Warehouse,
    now_utc,
    unit_code,
)

SUPPLIER_STATUSES = ("new", "confirm", "complete", "cancel")
WB_STATUSES = (
    "waiting",
    "sorted",
    "sold",
    "canceled",
    "canceled_by_client",
    "declined_by_client",
    "defect",
    "ready_for_pickup",
    "accepted_by_carrier",
    "sent_to_carrier",
)
#: canonical move -> (supplierStatus or None to keep, wbStatus)
CANONICAL_MOVES = {
    "shipped": ("complete", "sorted"),
    "delivered": ("complete", "sold"),
    "cancelled": (None, "canceled"),
}

DEFAULT_SUBJECTS = (
    Subject(105, "Кроссовки", 1, "Обувь", []),
    Subject(192, "Футболки", 2, "Одежда", []),
    Subject(3091, "Рюкзаки", 3, "Аксессуары", []),
)
DEFAULT_OFFICES = [
    {
        "address": "ул. Троицкая, Подольск, Московская обл.",
        "name": "Коледино",
        "city": "Москва",
        "id": 15,
        "longitude": 55.386871,
        "latitude": 37.588898,
        "cargoType": 1,
        "deliveryType": 1,
        "federalDistrict": "Центральный",
        "selected": True,
    },
    {
        "address": "ул. Складская, Электросталь, Московская обл.",
        "name": "Электросталь",
        "city": "Москва",
        "id": 16,
        "longitude": 55.78,
        "latitude": 38.45,
        "cargoType": 1,
        "deliveryType": 1,
        "federalDistrict": "Центральный",
        "selected": False,
    },
]


def _charcs(subject_id: int) -> list[dict[str, Any]]:
    return [
        {"charcID": 14177449, "name": "Цвет", "required": False, "unitName": "", "maxCount": 5,
         "popular": True, "charcType": 1},
        {"charcID": 50, "name": "Комплектация", "required": subject_id == 3091, "unitName": "",
         "maxCount": 3, "popular": False, "charcType": 1},
        {"charcID": 54337, "name": "Размер", "required": False, "unitName": "см", "maxCount": 0,
         "popular": False, "charcType": 4},
    ]  # fmt: skip


class WildberriesBackend:
    """Implements `SandboxBackend` over the shop state."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.faults = shop.faults
        self.limits = shop.limits
        self.pusher = shop.pusher
        self.journal = shop.journal
        self.timing: Timing = shop.timing  # the marketplace's real delays unless shortened
        self.aliases: dict[str, int] = {}
        self._install_defaults()

    @property
    def state(self) -> ShopState:
        return self.shop.state

    def _install_defaults(self) -> None:
        for subject in DEFAULT_SUBJECTS:
            self.state.subjects[subject.subject_id] = Subject(
                subject.subject_id,
                subject.name,
                subject.parent_id,
                subject.parent_name,
                _charcs(subject.subject_id),
            )
        self.state.offices = [dict(o) for o in DEFAULT_OFFICES]

    # --- lookups ---------------------------------------------------------------------

    def resolve(self, code: str) -> int:
        """chrtID of a unit named by its seeded code, unit code, chrtID or barcode."""
        if code in self.aliases:
            return self.aliases[code]
        if code.isdigit() and int(code) in self.state.by_chrt:
            return int(code)
        if code in self.state.by_sku:
            return self.state.by_sku[code]
        for card in list(self.state.cards.values()):
            for size in card.sizes:
                if unit_code(card, size) == code:
                    return size.chrt_id
        raise KeyError(code)

    # --- SandboxBackend ----------------------------------------------------------------

    def seed(self, request: SeedRequest) -> dict[str, Any]:
        state = self.state
        made_warehouses: list[str] = []
        for wh in request.warehouses:
            wid = int(wh.id) if wh.id and wh.id.isdigit() else state.next_id(700_000)
            state.warehouses[wid] = Warehouse(wid, wh.name, office_id=15 + len(state.warehouses) % 2)
            made_warehouses.append(str(wid))
        groups: dict[str, list[Any]] = {}
        for offer in request.offers:
            groups.setdefault(offer.product_code or offer.offer_code, []).append(offer)
        units: dict[str, str] = {}
        moment = now_utc()
        for vendor, offers in groups.items():
            existing = state.by_vendor.get(vendor)
            subject_id = int(offers[0].category_id) if (offers[0].category_id or "").isdigit() else 192
            subject = state.subjects.get(subject_id) or state.subjects[192]
            card = existing or Card(
                nm_id=state.next_id(100_000_000),
                imt_id=state.next_id(200_000_000),
                subject_id=subject.subject_id,
                subject_name=subject.name,
                vendor_code=vendor,
                title=offers[0].name[:60],
                brand="Sandbox",
                description=offers[0].name,
                sizes=[],
                characteristics=[{"id": 14177449, "name": "Цвет", "value": [offers[0].color or "чёрный"]}],
                created_at=moment,
                updated_at=moment,
            )
            for offer in offers:
                price, discount = _wb_price(offer.price, offer.old_price)
                card.discount = discount
                skus = list(offer.barcodes) or [f"46{state.next_id(10_000_000_000):011d}"]
                size = Size(
                    chrt_id=state.next_id(400_000_000),
                    tech_size=offer.size or "0",
                    wb_size=offer.size or "",
                    skus=skus,
                    price=price,
                )
                card.sizes.append(size)
                self.aliases[offer.offer_code] = size.chrt_id
                units[offer.offer_code] = str(size.chrt_id)
                for wid, qty in offer.stocks.items():
                    if wid.isdigit():
                        state.stocks[(int(wid), size.chrt_id)] = qty
            card.editable_size_price = len(card.sizes) > 1
            card.need_kiz = any(o.requires_marking for o in offers)
            if card.need_kiz and "sgtin" not in card.required_meta:
                card.required_meta.append("sgtin")
            state.add_card(card)
        return {"warehouses": made_warehouses, "offers": units}

    def place_order(self, order: BuyerOrder) -> list[str]:
        state = self.state
        if not state.warehouses:
            raise ValueError("no seller warehouse to ship from")
        if order.warehouse_id is not None:
            if not order.warehouse_id.isdigit() or int(order.warehouse_id) not in state.warehouses:
                raise KeyError(order.warehouse_id)
            warehouse = int(order.warehouse_id)
        else:
            warehouse = next(iter(state.warehouses))
        lines = [(self.resolve(line.offer_code), line.quantity) for line in order.lines]
        wanted: dict[int, int] = {}
        for chrt, quantity in lines:
            wanted[chrt] = wanted.get(chrt, 0) + quantity
        for chrt, quantity in wanted.items():
            if state.stocks.get((warehouse, chrt), 0) < quantity:  # buyers do not see what is not there
                raise ValueError(f"not enough stock of {chrt} at warehouse {warehouse} for this order")
        order_uid = f"{state.next_id(100_000_000)}_{uuid.uuid4().hex}"
        ids: list[str] = []
        for chrt, quantity in lines:
            card, size = state.by_chrt[chrt]
            for _ in range(quantity):
                task = self._new_task(card, size, warehouse, order_uid, order.buyer_city or "Москва")
                ids.append(str(task.id))
        return ids

    def _new_task(self, card: Card, size: Size, warehouse: int, order_uid: str, city: str) -> Order:
        state = self.state
        task_id = next(state.order_seq)
        final = round(size.price * (100 - card.discount) / 100)
        task = Order(
            id=task_id,
            order_uid=order_uid,
            rid=f"{uuid.uuid4().hex[:20]}.0.0",
            nm_id=card.nm_id,
            chrt_id=size.chrt_id,
            article=card.vendor_code,
            skus=list(size.skus),
            warehouse_id=warehouse,
            office_id=state.warehouses[warehouse].office_id,
            price=final * 100,
            sale_price=final * 100,
            created_at=now_utc(),
            city=city,
            cargo_type=state.warehouses[warehouse].cargo_type,
            required_meta=list(card.required_meta),
        )
        state.orders[task_id] = task
        key = (warehouse, size.chrt_id)
        if state.stocks.get(key, 0) > 0:
            state.stocks[key] -= 1
        return task

    def move_order(self, order_id: str, move: MoveOrder) -> dict[str, Any]:
        if not order_id.isdigit() or int(order_id) not in self.state.orders:
            raise KeyError(order_id)
        order = self.state.orders[int(order_id)]
        target = move.status
        if target in CANONICAL_MOVES:
            supplier, wb = CANONICAL_MOVES[target]
            if target == "cancelled" and order.wb_status == "sold":
                raise ValueError("a sold task cannot be cancelled")
            if supplier:
                order.supplier_status = supplier
            order.wb_status = wb
        elif target in SUPPLIER_STATUSES:
            order.supplier_status = target
        elif target in WB_STATUSES:
            order.wb_status = target
        else:
            raise ValueError(f"unknown status {target!r}")
        if order.wb_status in ("canceled", "canceled_by_client", "declined_by_client"):
            remove_from_supply(self.state, order)
        order.updated_at = now_utc()
        return {"id": order.id, "supplierStatus": order.supplier_status, "wbStatus": order.wb_status}

    def open_return(self, request: OpenReturn) -> str:
        if not request.order_id.isdigit() or int(request.order_id) not in self.state.orders:
            raise KeyError(request.order_id)
        order = self.state.orders[int(request.order_id)]
        if order.wb_status != "sold":
            raise ValueError("a claim can be made only for a sold task")
        card = self.state.cards.get(order.nm_id)
        claim = Claim(
            id=str(uuid.uuid4()),
            order_id=order.id,
            nm_id=order.nm_id,
            srid=order.rid,
            title=card.title if card else "",
            reason=request.reason or "",
            price=order.price // 100,
            order_dt=order.created_at,
            created_at=now_utc(),
        )
        self.state.claims[claim.id] = claim
        return claim.id

    def stocks(self, offer_code: str | None = None) -> list[dict[str, Any]]:
        out = []
        entries = list(self.state.stocks.items())
        if offer_code is not None:
            chrts = self.state.chrts_of(offer_code)
            entries = [
                ((warehouse, chrt), self.state.stocks[warehouse, chrt])
                for warehouse in list(self.state.warehouses)
                for chrt in chrts
                if (warehouse, chrt) in self.state.stocks
            ]
        for (warehouse, chrt), amount in entries:
            found = self.state.size_of(chrt)
            if found:
                out.append(
                    {
                        "offer_code": unit_code(*found),
                        "external_id": str(chrt),
                        "warehouse_id": str(warehouse),
                        "quantity": amount,
                        "set_at": wall_clock(self.state.stock_set_at.get((warehouse, chrt))),
                    }
                )
        return out

    def prices(self) -> list[dict[str, Any]]:
        process_price_tasks(self.state, self.faults)
        out = []
        for card in list(self.state.cards.values()):
            for size in card.sizes:
                final = Decimal(size.price * (100 - card.discount)) / 100
                out.append(
                    {
                        "offer_code": unit_code(card, size),
                        "external_id": str(size.chrt_id),
                        "price": str(final.quantize(Decimal("0.01"))),
                        "old_price": str(size.price),
                        "min_price": None,
                        "discount": card.discount,
                    }
                )
        return out

    def cards(self) -> list[dict[str, Any]]:
        process_card_batches(self.state)
        out: list[dict[str, Any]] = [
            {
                "offer_code": card.vendor_code,
                "external_id": str(card.nm_id),
                "name": card.title,
                "status": "active",
                "errors": [],
                "sizes": [s.as_json() for s in card.sizes],
            }
            for card in list(self.state.cards.values())
        ]
        out.extend(
            {
                "offer_code": e.vendor_code,
                "external_id": None,
                "name": "",
                "status": "rejected",
                "errors": e.errors,
            }
            for e in self.state.card_errors
        )
        return out

    def orders(self) -> list[dict[str, Any]]:
        out = []
        for order in list(self.state.orders.values()):
            found = self.state.size_of(order.chrt_id)
            out.append(
                {
                    "id": str(order.id),
                    "status": f"{order.supplier_status}/{order.wb_status}",
                    "supply_id": order.supply_id,
                    "order_uid": order.order_uid,
                    "sgtins": order.sgtins,
                    "meta": {k: v for k, v in order.metas.items() if k != "sgtin"},
                    "required_meta": list(order.required_meta),
                    "lines": [
                        {
                            "offer_code": unit_code(*found) if found else order.article,
                            "external_id": str(order.chrt_id),
                            "quantity": 1,
                        }
                    ],
                }
            )
        return out

    def reset(self) -> None:
        # Re-initialised in place: the route modules hold this very object.
        self.state.__init__()  # type: ignore[misc]
        self.aliases.clear()
        self._install_defaults()
        self.journal.clear()
        self.limits.reset()


def _wb_price(price: Decimal, old_price: Decimal | None) -> tuple[int, int]:
    """The hub's (price, old_price) as WB's (price before discount, discount %)."""
    if old_price and old_price > 0:
        return int(old_price), max(0, min(95, round((1 - price / old_price) * 100)))
    return int(price), 0

"""The Yandex Market sandbox behind the uniform /_sandbox/ control API.

Seeding makes each warehouse a partner warehouse of the business with its own campaign
(one FBS shop per warehouse) and each offer an offer of the business catalog, keyed by its
offer code (Market's offerId is the seller's SKU), with its card already made. A buyer's
purchase is one order at one campaign (the warehouse's), for what is in stock there (what the seller last sent: the tests need not wait out the catalog's delay),
and is notified to the seller's URL (notify.py); the control API moves orders with the canonical targets or Market's own
"STATUS/SUBSTATUS". A return is opened for a delivered order (returns.py); another order is a 409.
"""

from __future__ import annotations

import time
from typing import Any

from marketbridge.sandbox.common.control import BuyerOrder, MoveOrder, OpenReturn, SeedRequest, wall_clock
from marketbridge.sandbox.yandex_market import categories, notify
from marketbridge.sandbox.yandex_market.orders import (
    BUYER_CANCELLED,
    CANCELLABLE_BY_REQUEST,
    CANCELLATION_ANSWER_SECONDS,
    CANCELLATION_REQUEST,
    CANCELLED_AT_ONCE,
    CANONICAL_MOVES,
    FINAL_STATUSES,
    Order,
    OrderItem,
)
from marketbridge.sandbox.yandex_market.returns import Return, ReturnItem, created_notification, returnable
from marketbridge.sandbox.yandex_market.state import Market, Offer, Warehouse


class YandexMarketBackend:
    """Implements `SandboxBackend` over the market state."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.faults = market.faults
        self.limits = market.limits
        self.pusher = market.pusher
        self.journal = market.journal
        self.timing = market.timing

    def seed(self, request: SeedRequest) -> dict[str, Any]:
        market = self.market
        made: list[str] = []
        for wh in request.warehouses:
            wid = int(wh.id) if wh.id and wh.id.isdigit() else market.next_id(60_000)
            known = market.warehouses.get(wid)
            campaign = known.campaign_id if known else market.next_id(21_000_000)
            market.warehouses[wid] = Warehouse(wid, wh.name, campaign)
            made.append(str(wid))
        for seeded in request.offers:
            raw = seeded.category_id or ""
            category = int(raw) if raw.isdigit() else 0
            if not categories.is_leaf(category):
                category = categories.DEFAULT_CATEGORY
            offer = market.offers.get(seeded.offer_code) or Offer(seeded.offer_code, seeded.name, category)
            offer.name, offer.category_id, offer.barcodes = seeded.name, category, list(seeded.barcodes)
            offer.params = {p.id: (p.values[0] if p.values else "1") for p in categories.parameters(category)}
            offer.market_sku = offer.market_sku or market.next_id(100_000_000_000)
            offer.price, offer.discount_base = seeded.price, seeded.old_price
            offer.requires_marking = seeded.requires_marking
            market.offers[offer.offer_id] = offer
            for warehouse, quantity in seeded.stocks.items():
                if warehouse.isdigit():
                    market.set_stock(int(warehouse), offer.offer_id, quantity)
                    for update in market.stocks[(int(warehouse), offer.offer_id)]:
                        update.visible_at = 0.0  # seeded stock is there from the start
        return {"warehouses": made, "offers": {c.offer_code: c.offer_code for c in request.offers}}

    def place_order(self, order: BuyerOrder) -> list[str]:
        market = self.market
        if not market.warehouses:
            raise ValueError("no warehouse (campaign) to order from")
        if order.warehouse_id is not None:
            if not order.warehouse_id.isdigit() or int(order.warehouse_id) not in market.warehouses:
                raise KeyError(order.warehouse_id)
            warehouse = market.warehouses[int(order.warehouse_id)]
        else:
            warehouse = next(iter(market.warehouses.values()))
        lines: list[OrderItem] = []
        for line in order.lines:
            offer = market.offers.get(line.offer_code)
            if offer is None:
                raise KeyError(line.offer_code)
            shown = market.sent_stock(warehouse.id, offer.offer_id)
            if shown is None or shown.count < line.quantity:  # buyers order only what the seller has
                raise ValueError(f"not enough stock of {offer.offer_id} at warehouse {warehouse.id}")
            lines.append(
                OrderItem(
                    market.next_id(900_000_000),
                    offer.offer_id,
                    offer.name,
                    line.quantity,
                    offer.price,
                    offer.requires_marking,
                )
            )
        placed = Order(market.next_id(50_000_000), warehouse.campaign_id, warehouse.id, lines)
        market.orders[placed.id] = placed
        self.pusher.emit(notify.order_created(placed))
        return [str(placed.id)]

    def move_order(self, order_id: str, move: MoveOrder) -> dict[str, Any]:
        order = self.market.orders.get(int(order_id)) if order_id.isdigit() else None
        if order is None:
            raise KeyError(order_id)
        if move.status == CANCELLATION_REQUEST:
            return self._request_cancellation(order)
        target = CANONICAL_MOVES.get(move.status)
        if target is None:
            status, _, substatus = move.status.partition("/")
            target = (status, substatus or order.substatus)
        if order.status in FINAL_STATUSES and target[0] != order.status and order.status != "DELIVERED":
            raise ValueError(f"order {order_id} is {order.status}: it moves no further")
        if order.status == "DELIVERED" and target[0] == "CANCELLED":
            raise ValueError(f"order {order_id} is delivered: it cannot be cancelled")
        self.market.moved(order, *target)
        return {"id": order.id, "status": order.status, "substatus": order.substatus}

    def _request_cancellation(self, order: Order) -> dict[str, Any]:
        """A buyer asks to cancel: granted at once while the order is processed, a request the
        seller answers once it is in delivery."""
        if order.status in CANCELLED_AT_ONCE:
            self.market.moved(order, *BUYER_CANCELLED)
        elif order.status in CANCELLABLE_BY_REQUEST and not order.cancel_requested:
            order.cancel_requested = True
            order.cancel_deadline = time.monotonic() + self.timing.of(CANCELLATION_ANSWER_SECONDS)
            order.move(order.status, order.substatus)
            self.pusher.emit(notify.cancellation_requested(order))
        else:
            raise ValueError(f"order {order.id} is {order.status}: a buyer cannot ask to cancel it")
        return {
            "id": order.id,
            "status": order.status,
            "substatus": order.substatus,
            "cancelRequested": order.cancel_requested,
        }

    def open_return(self, request: OpenReturn) -> str:
        market = self.market
        order = market.orders.get(int(request.order_id)) if request.order_id.isdigit() else None
        if order is None:
            raise KeyError(request.order_id)
        refused = returnable(order)
        if refused:
            raise ValueError(refused)
        items = [
            ReturnItem(
                market.next_id(700_000_000),
                i.offer_id,
                market.offers[i.offer_id].market_sku if i.offer_id in market.offers else None,
                i.count,
                i.price,
            )
            for i in order.items
        ]
        opened = Return(market.next_id(30_000_000), order.id, order.campaign_id, items, request.reason or "")
        market.returns[opened.id] = opened
        self.pusher.emit(created_notification(opened))
        return str(opened.id)

    def stocks(self, offer_code: str | None = None) -> list[dict[str, Any]]:
        out = []
        keys = list(self.market.stocks)
        if offer_code is not None:
            keys = [(warehouse, offer_code) for warehouse in list(self.market.warehouses)]
        for warehouse, offer_id in keys:
            sent = self.market.sent_stock(warehouse, offer_id)
            if sent is not None:
                out.append(
                    {"offer_code": offer_id, "external_id": offer_id, "warehouse_id": str(warehouse),
                     "quantity": sent.count, "set_at": wall_clock(sent.set_at)}
                )  # fmt: skip
        return out

    def prices(self) -> list[dict[str, Any]]:
        return [
            {
                "offer_code": o.offer_id,
                "external_id": o.offer_id,
                "price": str(o.price),
                "old_price": str(o.discount_base) if o.discount_base is not None else None,
                "min_price": None,
                "quarantined": str(o.quarantined) if o.quarantined is not None else None,
                "campaign_prices": {str(c): str(p) for c, p in o.campaign_prices.items()},
            }
            for o in list(self.market.offers.values())
        ]

    def cards(self) -> list[dict[str, Any]]:
        out = []
        for offer in list(self.market.offers.values()):
            status, errors = categories.card_status(self.market, offer)
            out.append(
                {
                    "offer_code": offer.offer_id,
                    "external_id": str(offer.market_sku) if offer.market_sku else None,
                    "name": offer.name,
                    "status": status,
                    "errors": [e["message"] for e in errors],
                }
            )
        return out

    def orders(self) -> list[dict[str, Any]]:
        self.market.grant_unanswered()
        return [
            {
                "id": str(o.id),
                "status": f"{o.status}/{o.substatus}",
                "campaign_id": str(o.campaign_id),
                "warehouse_id": str(o.warehouse_id),
                "lines": [
                    {"offer_code": i.offer_id, "external_id": i.offer_id, "quantity": i.count}
                    for i in o.items
                ],
            }
            for o in list(self.market.orders.values())
        ]

    def reset(self) -> None:
        self.market.reset()

"""The demo shop of `--demo-data`: two FBS warehouses, three dozen products, postings in many statuses."""

from __future__ import annotations

from decimal import Decimal

from marketbridge.sandbox.common.control import (
    BuyerLine,
    BuyerOrder,
    MoveOrder,
    SeedOffer,
    SeedRequest,
    SeedWarehouse,
)
from marketbridge.sandbox.ozon.backend import OzonBackend

WAREHOUSES = (("22000000001000", "Склад Москва FBS"), ("22000000002000", "Склад Казань FBS"))
ITEMS = (
    ("Защитная плёнка для смартфона", "FILM", 12, False),
    ("Чехол для смартфона силиконовый", "CASE", 12, False),
    ("Кроссовки беговые", "SNK", 12, True),
)


def load(backend: OzonBackend) -> None:
    """Fill the backend with the demo shop (postings are placed and moved as a buyer would)."""
    offers = []
    n = 0
    for name, prefix, count, marked in ITEMS:
        for i in range(count):
            n += 1
            offers.append(
                SeedOffer(
                    offer_code=f"{prefix}-{i + 1:03d}",
                    name=f"{name} {i + 1}",
                    barcodes=[f"46{n:011d}"],
                    price=Decimal(490 + 110 * (n % 17)),
                    old_price=Decimal(990 + 110 * (n % 17)),
                    requires_marking=marked,
                    size=str(36 + i % 10) if marked else None,
                    stocks={WAREHOUSES[0][0]: 20 + n % 7, WAREHOUSES[1][0]: 5 + n % 4},
                )
            )
    backend.seed(
        SeedRequest(warehouses=[SeedWarehouse(id=i, name=nm) for i, nm in WAREHOUSES], offers=offers)
    )
    plan = (
        ("FILM-001", None),
        ("CASE-002", None),
        ("SNK-003", None),
        ("FILM-004", "shipped"),
        ("CASE-005", "delivered"),
        ("FILM-006", "cancelled"),
        ("CASE-007", "awaiting_deliver"),
    )
    for offer_code, target in plan:
        (number,) = backend.place_order(BuyerOrder(lines=[BuyerLine(offer_code=offer_code, quantity=1)]))
        if target in ("shipped", "delivered"):
            backend.shop.move(backend.state.postings[number], "awaiting_deliver")
            backend.move_order(number, MoveOrder(status="shipped"))
        if target == "delivered":
            backend.move_order(number, MoveOrder(status="delivered"))
        if target == "cancelled":
            backend.move_order(number, MoveOrder(status="cancelled", reason="Покупатель передумал"))
        if target == "awaiting_deliver":
            backend.shop.move(backend.state.postings[number], "awaiting_deliver")

"""The `--demo-data` shop: two partner warehouses (two FBS campaigns), T-shirts and headphones with
stocks, and a few orders: new ones, one ready to ship, one delivered and one the buyer cancelled."""

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
from marketbridge.sandbox.yandex_market.backend import YandexMarketBackend

WAREHOUSES = (("61001", "Склад продавца Москва"), ("61002", "Склад продавца Екатеринбург"))


def load_demo(backend: YandexMarketBackend) -> None:
    offers = [
        SeedOffer(
            offer_code=f"TEE-{n:02d}-{size}",
            product_code=f"TEE-{n:02d}",
            name=f"Футболка базовая, модель {n}, размер {size}",
            size=size,
            category_id="7812177",
            barcodes=[f"4620{n:02d}{i:02d}00015"],
            price=Decimal(990 + 50 * n),
            stocks={WAREHOUSES[0][0]: 5 + n, WAREHOUSES[1][0]: 2},
        )
        for n in range(1, 7)
        for i, size in enumerate(("S", "M", "L"))
    ]
    offers += [
        SeedOffer(
            offer_code=f"HEADPHONES-{n:03d}",
            name=f"Наушники беспроводные {n}",
            category_id="90555",
            barcodes=[f"4630{n:03d}000011"],
            price=Decimal(2990 + 100 * n),
            stocks={WAREHOUSES[0][0]: n % 5},
        )
        for n in range(1, 11)
    ]
    backend.seed(
        SeedRequest(warehouses=[SeedWarehouse(id=w, name=name) for w, name in WAREHOUSES], offers=offers)
    )
    placed = [
        backend.place_order(
            BuyerOrder(lines=[BuyerLine(offer_code=f"TEE-0{n}-M")], warehouse_id=WAREHOUSES[0][0])
        )[0]
        for n in range(1, 6)
    ]
    backend.move_order(placed[1], MoveOrder(status="PROCESSING/READY_TO_SHIP"))
    backend.move_order(placed[2], MoveOrder(status="delivered"))
    backend.move_order(placed[3], MoveOrder(status="cancelled"))

"""The `--demo-data` shop: two seller warehouses, a few dozen cards with sizes, stocks, prices,
new tasks and tasks in other statuses, and an open supply."""

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
from marketbridge.sandbox.wildberries.backend import WildberriesBackend
from marketbridge.sandbox.wildberries.routes_orders import add_to_supply
from marketbridge.sandbox.wildberries.state import Supply, now_utc

WAREHOUSES = (("701001", "Склад продавца Москва"), ("701002", "Склад продавца Казань"))
SHIRT_SIZES = ("S", "M", "L", "XL")


def load_demo(backend: WildberriesBackend) -> None:
    offers: list[SeedOffer] = []
    for n in range(1, 9):
        for size in SHIRT_SIZES:
            offers.append(
                SeedOffer(
                    offer_code=f"TSHIRT-{n:02d}-{size}",
                    product_code=f"TSHIRT-{n:02d}",
                    name=f"Футболка хлопковая, модель {n}",
                    size=size,
                    category_id="192",
                    barcodes=[f"4600{n:02d}{SHIRT_SIZES.index(size):02d}00017"],
                    price=Decimal(1200 + 100 * n),
                    old_price=Decimal(1600 + 100 * n),
                    stocks={WAREHOUSES[0][0]: 10 + n, WAREHOUSES[1][0]: 3},
                )
            )
    for n in range(1, 21):
        offers.append(
            SeedOffer(
                offer_code=f"BAG-{n:03d}",
                name=f"Рюкзак городской {n}",
                category_id="3091",
                barcodes=[f"4610{n:03d}000020"],
                price=Decimal(2500 + 50 * n),
                stocks={WAREHOUSES[0][0]: n % 7},
            )
        )
    backend.seed(
        SeedRequest(
            warehouses=[SeedWarehouse(id=wid, name=name) for wid, name in WAREHOUSES],
            offers=offers,
        )
    )
    state = backend.state
    new_ids: list[str] = []
    for n in range(1, 7):
        new_ids += backend.place_order(BuyerOrder(lines=[BuyerLine(offer_code=f"TSHIRT-0{n}-M")]))
    shipped = backend.place_order(BuyerOrder(lines=[BuyerLine(offer_code="BAG-001")]))
    delivered = backend.place_order(BuyerOrder(lines=[BuyerLine(offer_code="BAG-002")]))
    cancelled = backend.place_order(BuyerOrder(lines=[BuyerLine(offer_code="BAG-003")]))
    backend.move_order(shipped[0], MoveOrder(status="shipped"))
    backend.move_order(delivered[0], MoveOrder(status="delivered"))
    backend.move_order(cancelled[0], MoveOrder(status="canceled_by_client"))
    supply = Supply("WB-GI-1000001", "Поставка демо", now_utc())
    state.supplies[supply.id] = supply
    add_to_supply(state, supply, state.orders[int(new_ids[0])])

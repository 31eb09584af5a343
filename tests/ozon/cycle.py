"""The whole FBS cycle, connector against sandbox over real HTTP; shared by the e2e and contract tests.

Catalog import (categories, attributes, card export with moderation), stock and price push,
a new order seen by push and by polling, marking codes, packing into two boxes, labels,
the act, shipping, delivery, a cancellation and a return. Each step asserts what it must.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pypdf import PdfReader

from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.ozon import OzonChannel
from marketbridge.channels.roles import (
    CardDraft,
    PackBox,
    PackLine,
    PricePush,
    PushKind,
    RemoteOrder,
    StockPush,
)
from marketbridge.model import LabelFormat, ListingStatus, OrderStatus
from tests.ozon.conftest import PushReceiver, Sandbox

FILM = "17028922:91565"
SHOES = "17028650:94700"


@dataclass
class CycleReport:
    offers: dict[str, str] = field(default_factory=dict)  # offer_code -> sku
    warehouses: list[str] = field(default_factory=list)
    postings: list[str] = field(default_factory=list)


async def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def pdf_pages(content: bytes) -> int:
    assert content.startswith(b"%PDF")
    return len(PdfReader(io.BytesIO(content)).pages)


async def collect_orders(channel: OzonChannel, since: datetime, until: datetime) -> dict[str, RemoteOrder]:
    found: dict[str, RemoteOrder] = {}
    async for page in channel.iter_orders(since, until):
        assert isinstance(page, list)
        for order in page:
            assert order.external_id not in found, "a posting was yielded twice"
            found[order.external_id] = order
    return found


async def catalog(sandbox: Sandbox, channel: OzonChannel, report: CycleReport) -> None:
    tree = await channel.categories()
    leaves = {c.id for c in tree if c.leaf}
    assert {FILM, SHOES} <= leaves
    attributes = await channel.category_attributes(SHOES)
    required = {a.id for a in attributes if a.required}
    assert {"85", "9048", "8229", "4295"} <= required
    brands = await channel.attribute_values(SHOES, "85")
    assert len(brands) > 2000, "the brand dictionary spans more than one page"
    cards = [
        CardDraft(
            offer_code="FILM-1",
            name="Защитная плёнка X3",
            category_id=FILM,
            barcodes=["4600000000011"],
            price=Decimal("990"),
            old_price=Decimal("1290"),
            brand="Бренд 0042",
            attributes={"9048": ["X3 film"], "8229": ["Защитная плёнка"], "10096": ["чёрный"]},
        ),
        CardDraft(
            offer_code="SNK-1",
            name="Кроссовки беговые",
            category_id=SHOES,
            barcodes=["4600000000028"],
            price=Decimal("5990"),
            brand="Бренд 0007",
            attributes={"9048": ["Runner"], "8229": ["Кроссовки"], "4295": ["42"]},
        ),
        CardDraft(  # no model name and a colour that is not in the dictionary: moderation refuses it
            offer_code="BAD-1",
            name="Чехол без атрибутов",
            category_id=FILM,
            barcodes=["4600000000035"],
            price=Decimal("500"),
            brand="Бренд 0001",
            attributes={"8229": ["Защитная плёнка"], "10096": ["фиолетовый в крапинку"]},
        ),
    ]
    task = await channel.export_cards(cards)
    results = None
    for _ in range(50):
        results = await channel.card_export_status(task)
        if results is not None:
            break
        await asyncio.sleep(0.1)
    assert results is not None
    by_code = {r.offer_code: r for r in results}
    assert by_code["FILM-1"].status == ListingStatus.ACTIVE and by_code["FILM-1"].external_id
    assert by_code["SNK-1"].status == ListingStatus.ACTIVE and by_code["SNK-1"].external_id
    assert by_code["BAD-1"].status == ListingStatus.REJECTED
    assert any("9048" in e or "Название модели" in e for e in by_code["BAD-1"].errors)
    assert any("dictionary" in e for e in by_code["BAD-1"].errors)
    offers = [o async for page in channel.iter_offers() for o in page]
    report.offers = {o.offer_code: o.external_id for o in offers}
    assert report.offers["FILM-1"] == by_code["FILM-1"].external_id
    assert "BAD-1" not in report.offers
    cards_seen = sandbox.control.get("/_sandbox/cards").json()["items"]
    assert {c["offer_code"] for c in cards_seen} >= {"FILM-1", "SNK-1", "BAD-1"}
    sent = sandbox.control.get("/_sandbox/ozon/cards/received").json()["items"]
    shoes = next(c for c in sent if c["offer_id"] == "SNK-1")
    brand = next(a for a in shoes["attributes"] if a["id"] == 85)
    assert brand["values"] == [{"value": "Бренд 0007", "dictionary_value_id": 5_000_007}]


async def stocks_and_prices(sandbox: Sandbox, channel: OzonChannel, report: CycleReport) -> None:
    warehouses = await channel.list_warehouses()
    report.warehouses = [w.external_id for w in warehouses]
    assert len(report.warehouses) == 2
    pushes = [
        StockPush(report.offers[code], code, w, qty)
        for code, qty in (("FILM-1", 10), ("SNK-1", 3))
        for w in report.warehouses
    ]
    pushes.append(StockPush("999", "NO-SUCH-OFFER", report.warehouses[0], 1))
    pushes.append(StockPush(report.offers["FILM-1"], "FILM-1", "123", 1))
    results = await channel.push_stocks(pushes)
    assert len(results) == len(pushes)
    assert all(r.ok for r in results[:4])
    assert results[4].code == "offer_id_not_found" and not results[4].ok
    assert results[5].code == "WAREHOUSE_NOT_FOUND" and not results[5].ok
    stored = {
        (s["offer_code"], s["warehouse_id"]): s["quantity"]
        for s in sandbox.control.get("/_sandbox/stocks").json()["items"]
    }
    assert stored[("FILM-1", report.warehouses[0])] == 10 and stored[("SNK-1", report.warehouses[1])] == 3

    prices = [
        PricePush(
            report.offers["FILM-1"],
            "FILM-1",
            Decimal("899"),
            old_price=Decimal("1199"),
            min_price=Decimal("850"),
        ),
        PricePush(report.offers["SNK-1"], "SNK-1", Decimal("5490")),
        PricePush(report.offers["SNK-1"], "SNK-1", Decimal("5490"), old_price=Decimal("100")),
    ]
    results = await channel.push_prices(prices)
    assert [r.ok for r in results] == [True, True, False]
    # the description names no code for an old price under the price: a refusal of that item
    # alone, with a code and a message, that a retry would not cure
    assert results[2].code and results[2].message and not results[2].retryable
    read_back = {p.offer_code: p async for page in channel.iter_prices() for p in page}
    assert read_back["FILM-1"].price == Decimal("899.00")
    assert read_back["FILM-1"].old_price == Decimal("1199.00") and read_back["FILM-1"].min_price == Decimal(
        "850.00"
    )
    assert read_back["FILM-1"].external_id == report.offers["FILM-1"]


def place(sandbox: Sandbox, lines: list[tuple[str, int]], warehouse: str) -> str:
    reply = sandbox.control.post(
        "/_sandbox/orders",
        json={"lines": [{"offer_code": c, "quantity": q} for c, q in lines], "warehouse_id": warehouse},
    )
    reply.raise_for_status()
    (number,) = reply.json()["ids"]
    return str(number)


async def fulfil(sandbox: Sandbox, channel: OzonChannel, receiver: PushReceiver, report: CycleReport) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    number = place(sandbox, [("FILM-1", 2), ("SNK-1", 1)], report.warehouses[0])
    await wait_for(
        lambda: any(
            m.order_external_id == number and m.kind == PushKind.ORDER_CREATED for m in receiver.messages
        )
    )
    polled = await collect_orders(channel, start, datetime.now(UTC) + timedelta(seconds=5))
    assert number in polled and polled[number].status == OrderStatus.NEW
    order = await channel.get_order(number)
    assert order.raw_status == "awaiting_packaging"
    lines = {line.offer_code: line for line in order.lines}
    assert lines["FILM-1"].external_offer_id == report.offers["FILM-1"] and lines["FILM-1"].quantity == 2
    assert lines["SNK-1"].requires_marking and not lines["FILM-1"].requires_marking
    assert lines["FILM-1"].price == Decimal("899.00")

    film, shoes = report.offers["FILM-1"], report.offers["SNK-1"]
    unmarked = [PackBox(1, (PackLine(film, 2),)), PackBox(2, (PackLine(shoes, 1),))]
    try:
        await channel.pack(order, unmarked)
    except RequestRejected as exc:
        assert "EXEMPLAR" in str(exc) or "marking" in str(exc)
    else:
        raise AssertionError("a product that needs marking shipped without its code")
    boxes = [
        PackBox(1, (PackLine(film, 2),)),
        PackBox(2, (PackLine(shoes, 1, ("010460000000002821sandboxmark01",)),)),
    ]
    packed = await channel.pack(order, boxes)
    assert len(packed.shipment_ids) == 2 and packed.box_shipments[1] == number
    second = packed.box_shipments[2]
    assert second != number and second.startswith(number.rsplit("-", 1)[0])
    report.postings = list(packed.shipment_ids)
    for shipment in packed.shipment_ids:
        assert (await channel.get_order(shipment)).status == OrderStatus.PACKED

    labels = await channel.labels(packed.shipment_ids, LabelFormat.PDF)
    assert [label.shipment_id for label in labels] == packed.shipment_ids
    assert all(pdf_pages(label.content) == 1 for label in labels)
    act = await channel.hand_over(packed.shipment_ids)
    assert act.external_id and act.document and pdf_pages(act.document) >= 1

    for shipment in packed.shipment_ids:
        sandbox.control.post(
            f"/_sandbox/orders/{shipment}/move", json={"status": "shipped"}
        ).raise_for_status()
        assert (await channel.get_order(shipment)).status == OrderStatus.SHIPPED
    sandbox.control.post(f"/_sandbox/orders/{second}/move", json={"status": "delivered"}).raise_for_status()
    assert (await channel.get_order(second)).status == OrderStatus.DELIVERED
    await wait_for(
        lambda: any(
            m.order_external_id == second and m.kind == PushKind.ORDER_STATUS for m in receiver.messages
        )
    )

    ret = sandbox.control.post("/_sandbox/returns", json={"order_id": second, "reason": "Не подошёл размер"})
    ret.raise_for_status()
    returns = [r async for page in channel.iter_returns(start) for r in page]
    assert [r.order_external_id for r in returns] == [second]
    assert returns[0].lines[0].external_offer_id == shoes and returns[0].reason == "Не подошёл размер"


async def cancellations(
    sandbox: Sandbox, channel: OzonChannel, receiver: PushReceiver, report: CycleReport
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    by_seller = place(sandbox, [("FILM-1", 1)], report.warehouses[1])
    by_buyer = place(sandbox, [("FILM-1", 1)], report.warehouses[1])
    await channel.cancel(by_seller, "out of stock")
    cancelled = await channel.get_order(by_seller)
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.cancel_reason == "out of stock"
    sandbox.control.post(f"/_sandbox/orders/{by_buyer}/move", json={"status": "cancelled"}).raise_for_status()
    await wait_for(
        lambda: (
            {by_seller, by_buyer}
            <= {m.order_external_id for m in receiver.messages if m.kind == PushKind.ORDER_CANCELLED}
        )
    )
    polled = await collect_orders(channel, start, datetime.now(UTC) + timedelta(seconds=5))
    assert polled[by_buyer].status == OrderStatus.CANCELLED and polled[by_seller].raw_status == "cancelled"
    stock = {
        (s["offer_code"], s["warehouse_id"]): s
        for s in sandbox.control.get("/_sandbox/stocks").json()["items"]
    }
    assert stock[("FILM-1", report.warehouses[1])]["reserved"] == 0


async def run_cycle(sandbox: Sandbox, channel: OzonChannel, receiver: PushReceiver) -> CycleReport:
    sandbox.seed([{"name": "Склад Москва"}, {"name": "Склад Казань"}], [])
    sandbox.control.put("/_sandbox/push", json={"url": receiver.url}).raise_for_status()
    ping = sandbox.control.post("/_sandbox/ozon/push/ping").json()
    assert ping["ok"] and ping["reply"]["name"] == "marketbridge", ping
    report = CycleReport()
    await catalog(sandbox, channel, report)
    await stocks_and_prices(sandbox, channel, report)
    await fulfil(sandbox, channel, receiver, report)
    await cancellations(sandbox, channel, receiver, report)
    return report

"""End to end over real HTTP: catalog import, stock export, price tasks, cards, categories."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from marketbridge.channels.roles import CardDraft, PricePush, RemoteOffer, StockPush
from marketbridge.channels.wildberries import WildberriesChannel
from marketbridge.model import ListingStatus
from tests.wildberries.harness import Sandbox, make_channel, seed_shop
from tests.wildberries.spec import SPEC


async def _offers(channel: WildberriesChannel) -> list[RemoteOffer]:
    out = []
    async for page in channel.iter_offers():
        out.extend(page)
    return out


async def test_catalog_import_sizes_as_variants(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    units = seed_shop(sandbox)
    offers = {o.offer_code: o for o in await _offers(channel)}
    assert set(offers) == {"SHIRT-S", "SHIRT-M", "SHIRT-L", "MUG", "CAP"}
    shirts = [offers[f"SHIRT-{s}"] for s in ("S", "M", "L")]
    assert len({o.product_external_id for o in shirts}) == 1, "sizes of one card are variants of one product"
    assert shirts[0].product_external_id != offers["MUG"].product_external_id
    for code, offer in offers.items():
        assert offer.external_id == units[code], "external id is the size's chrtID"
    assert offers["SHIRT-M"].size == "M"
    assert offers["SHIRT-M"].barcodes == ["460000000011"]
    assert offers["MUG"].size is None
    assert offers["SHIRT-S"].product_code == "SHIRT"


async def test_catalog_import_sizes_as_products(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    channel = make_channel(sandbox, sizes_as_products=True)
    try:
        offers = await _offers(channel)
    finally:
        await channel.aclose()
    assert len(offers) == 5
    for offer in offers:
        assert offer.product_external_id == offer.external_id
    assert len({o.product_external_id for o in offers}) == 5


async def test_cards_cursor_pages_through_everything(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    extra = [{"offer_code": f"ITEM-{n:03d}", "name": f"Товар {n}", "price": "100"} for n in range(230)]
    seed_shop(sandbox, extra)
    offers = await _offers(channel)
    assert len(offers) == 235
    assert len({o.external_id for o in offers}) == 235
    lists = [e for e in sandbox.journal() if e["path"] == "/content/v2/get/cards/list"]
    assert len(lists) == 3
    assert lists[1]["body"]["settings"]["cursor"]["nmID"] > 0
    assert lists[1]["body"]["settings"]["cursor"]["limit"] == 100


async def test_stock_push_two_warehouses_isolates_a_bad_item(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    units = seed_shop(sandbox)
    items = [
        StockPush(units["SHIRT-S"], "SHIRT-S", "901", 11),
        StockPush(units["MUG"], "MUG", "901", 12),
        StockPush("999999999", "GHOST", "901", 3),
        StockPush(units["MUG"], "MUG", "902", 21),
        StockPush(units["CAP"], "CAP", "902", 22),
    ]
    results = await channel.push_stocks(items)
    assert [r.key for r in results] == [i.external_id for i in items]
    assert [r.ok for r in results] == [True, True, False, True, True]
    assert results[2].code == "NotFound"
    stored = {
        (s["warehouse_id"], s["external_id"]): s["quantity"]
        for s in sandbox.control("GET", "/stocks")["items"]
    }
    assert stored[("901", units["SHIRT-S"])] == 11
    assert stored[("901", units["MUG"])] == 12
    assert stored[("902", units["MUG"])] == 21
    assert stored[("902", units["CAP"])] == 22
    puts = [e for e in sandbox.journal() if e["method"] == "PUT"]
    refused = [p for p in puts if p["status"] == 409]
    assert refused and all(p["path"] == "/api/v3/stocks/901" for p in refused)
    assert all({"sku", "amount"} >= set(d) for p in refused for e in p["response"] for d in e["data"])
    saved = [s["chrtId"] for p in puts if p["status"] == 204 for s in p["body"]["stocks"]]
    assert 999999999 not in saved and len(saved) == 4, "the bad item was found by halving the batch"


async def test_stock_push_unknown_warehouse_fails_only_its_items(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    units = seed_shop(sandbox)
    results = await channel.push_stocks(
        [StockPush(units["MUG"], "MUG", "777", 1), StockPush(units["MUG"], "MUG", "901", 4)]
    )
    assert [r.ok for r in results] == [False, True]
    assert results[0].code == "NotFound"


async def test_price_task_followed_to_completion_with_a_bad_item(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    units = seed_shop(sandbox)
    items = [
        PricePush(units[f"SHIRT-{s}"], f"SHIRT-{s}", Decimal("1800"), Decimal("2400"))
        for s in ("S", "M", "L")
    ]
    items.append(PricePush(units["MUG"], "MUG", Decimal("90")))  # 11x cheaper: WB's price quarantine
    items.append(PricePush(units["CAP"], "CAP", Decimal("10"), Decimal("1000")))  # a 99% discount
    results = await channel.push_prices(items)
    assert [r.key for r in results] == [i.external_id for i in items]
    assert [r.ok for r in results] == [True, True, True, False, False]
    assert results[3].code == "PriceRefused" and results[3].message  # WB's text is its own; not asserted
    assert results[4].code == "InvalidDiscountValue"
    prices = {p["external_id"]: p for p in sandbox.control("GET", "/prices")["items"]}
    assert prices[units["SHIRT-M"]]["old_price"] == "2400"
    assert prices[units["SHIRT-M"]]["discount"] == 25
    assert prices[units["SHIRT-M"]]["price"] == "1800.00"
    assert prices[units["MUG"]]["old_price"] == "1000", "the refused price was not applied"
    uploads = [e for e in sandbox.journal() if e["path"] == "/api/v2/upload/task"]
    assert len(uploads) == 1
    assert sorted(r["nmID"] for r in uploads[0]["body"]["data"]) == sorted(
        {r["nmID"] for r in uploads[0]["body"]["data"]}
    ), "one row per good"
    assert any(e["path"] == "/api/v2/history/goods/task" for e in sandbox.journal())


async def test_per_size_prices_go_through_the_size_task(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    units = seed_shop(sandbox)
    items = [
        PricePush(units["SHIRT-S"], "SHIRT-S", Decimal("1500"), Decimal("2000")),
        PricePush(units["SHIRT-M"], "SHIRT-M", Decimal("1650"), Decimal("2200")),
    ]
    results = await channel.push_prices(items)
    assert all(r.ok for r in results), results
    prices = {p["external_id"]: p for p in sandbox.control("GET", "/prices")["items"]}
    assert prices[units["SHIRT-S"]]["old_price"] == "2000"
    assert prices[units["SHIRT-M"]]["old_price"] == "2200"
    assert any(e["path"] == "/api/v2/upload/task/size" for e in sandbox.journal())


async def test_prices_import(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    units = seed_shop(sandbox)
    prices = []
    async for page in channel.iter_prices():
        prices.extend(page)
    by_id = {p.external_id: p for p in prices}
    assert by_id[units["SHIRT-S"]].price == Decimal("1500.00")
    assert by_id[units["SHIRT-S"]].old_price == Decimal("2000.00")
    assert by_id[units["MUG"]].old_price is None


async def test_card_export_is_followed_to_moderation(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    seed_shop(sandbox)
    drafts = [
        CardDraft("NEW-S", "Худи", "192", ["4600000009001"], Decimal("3000"), product_code="NEW", size="S"),
        CardDraft("NEW-M", "Худи", "192", ["4600000009002"], Decimal("3000"), product_code="NEW", size="M"),
        CardDraft("BAG-X", "Рюкзак", "3091", ["4600000009003"], Decimal("5000")),  # lacks a required charc
    ]
    task = await channel.export_cards(drafts)
    results = await channel.card_export_status(task)
    for _ in range(50):
        if results is not None:
            break
        await asyncio.sleep(0.1)
        results = await channel.card_export_status(task)
    assert results is not None
    by_code = {r.offer_code: r for r in results}
    assert by_code["NEW-S"].status == ListingStatus.ACTIVE
    assert by_code["NEW-S"].external_id == by_code["NEW-M"].external_id
    assert by_code["BAG-X"].status == ListingStatus.REJECTED
    assert any("Комплектация" in e for e in by_code["BAG-X"].errors)
    offers = await _offers(channel)
    assert {"NEW-S", "NEW-M"} <= {o.offer_code for o in offers}


async def test_categories_and_attributes(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    categories = await channel.categories()
    leaves = {c.id: c for c in categories if c.leaf}
    assert "3091" in leaves and leaves["3091"].parent_id in {c.id for c in categories if not c.leaf}
    attributes = await channel.category_attributes("3091")
    required = [a.name for a in attributes if a.required]
    assert required == ["Комплектация"]


async def test_prices_already_set_and_a_task_sent_twice(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    units = seed_shop(sandbox)
    same = [PricePush(units["MUG"], "MUG", Decimal("1000"))]  # what the mug already costs
    results = await channel.push_prices(same)
    assert results[0].ok, "prices already set are no error"
    assert not any(e["path"] == "/api/v2/history/tasks" for e in sandbox.journal())
    row = {
        "data": [{"nmID": int(sandbox.control("GET", "/cards")["items"][1]["external_id"]), "price": 1234}]
    }
    first = sandbox.api("POST", "/api/v2/upload/task", json=row)
    again = sandbox.api("POST", "/api/v2/upload/task", json=row)
    assert first.status_code == 200 and again.status_code == 208
    assert again.json()["data"] == {"id": first.json()["data"]["id"], "alreadyExists": True}


async def test_a_known_card_is_updated_with_a_new_size(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    units = seed_shop(sandbox)
    before = {o.offer_code: o for o in await _offers(channel)}
    drafts = [
        CardDraft(
            "SHIRT-M",
            "Рубашка льняная, новая",
            "192",
            ["460000000011"],
            Decimal("1500"),
            product_code="SHIRT",
            size="M",
        ),
        CardDraft(
            "SHIRT-XL",
            "Рубашка льняная, новая",
            "192",
            ["4600000000999"],
            Decimal("1500"),
            product_code="SHIRT",
            size="XL",
        ),
    ]
    task = await channel.export_cards(drafts)
    results = await channel.card_export_status(task)
    assert results is not None
    assert {r.status for r in results} == {ListingStatus.ACTIVE}
    assert {r.external_id for r in results} == {before["SHIRT-M"].product_external_id}
    after = {o.offer_code: o for o in await _offers(channel)}
    assert set(after) == {"SHIRT-S", "SHIRT-M", "SHIRT-L", "SHIRT-XL", "MUG", "CAP"}
    assert after["SHIRT-M"].external_id == units["SHIRT-M"], "existing sizes keep their chrtID"
    assert after["SHIRT-XL"].barcodes == ["4600000000999"]
    assert after["SHIRT-S"].name == "Рубашка льняная, новая"
    update = next(e for e in sandbox.journal() if e["path"] == "/content/v2/cards/update")
    SPEC.validate(
        update["body"],
        SPEC.request_schema(SPEC.operation("POST", "/content/v2/cards/update")) or {},
        "update",
    )
    assert not any(e["path"] == "/content/v2/cards/upload" for e in sandbox.journal())


async def test_a_refused_update_is_reported(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    seed_shop(sandbox)
    await _offers(channel)
    taken = CardDraft("MUG", "Кружка", "192", ["460000000010"], Decimal("100"))  # SHIRT-S's barcode
    task = await channel.export_cards([taken])
    results = await channel.card_export_status(task)
    assert results is not None and results[0].status == ListingStatus.REJECTED
    assert any("460000000010" in e for e in results[0].errors)

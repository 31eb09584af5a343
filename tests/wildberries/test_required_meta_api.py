"""What a task's `requiredMeta` asks reaches the seller: the order lines of the seller API list it,
the dashboard's order page names it, and packing without it is refused line by line before
anything is sent to Wildberries."""

from __future__ import annotations

import httpx

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world
from marketbridge.store.db import Database
from marketbridge.sync.dispatch import JobKind
from tests.web.conftest import post_login

MARKING_CODE = "010460043993125621JgXJ5.Tqkz8a"
IMEI = "356938035643809"


async def test_required_metadata_is_shown_and_packing_without_it_is_refused(db: Database) -> None:
    catalog = build_catalog(products=6, seed=5, bundles=0)
    sku = next(
        o.sku
        for o in catalog.offers
        if o.size is None and not o.requires_marking and sum(catalog.stock[o.sku].values()) >= 1
    )
    async with open_world(catalog, db, kinds=["wildberries"], start_worker=False) as world:
        market = world.markets["wildberries"]
        cards = (await market.control.get("/cards")).json()["items"]
        nm_id = next(int(c["external_id"]) for c in cards if c["offer_code"] == sku)
        switched = await market.control.put(
            "/cards", json={"nm_id": nm_id, "required_meta": ["imei", "sgtin"]}
        )
        assert switched.status_code == 200, switched.text
        for job in (JobKind.RECONCILE, JobKind.STOCKS):
            await world.run(market.connection_id, job)
        placed = await market.control.post("/orders", json={"lines": [{"offer_code": sku, "quantity": 1}]})
        assert placed.status_code == 200, placed.text
        await world.run(market.connection_id, JobKind.ORDERS)
        assert world.hub_url is not None
        headers = {"Authorization": f"Bearer {world.api_key}"}
        async with httpx.AsyncClient(base_url=world.hub_url + "/api/v1", headers=headers, timeout=120) as api:
            listed = (await api.get("/orders", params={"connection_id": market.connection_id})).json()
            (order,) = listed["items"]
            (line,) = order["lines"]
            assert line["required_meta"] == ["sgtin", "imei"]
            assert line["requires_marking"] is True
            async with httpx.AsyncClient(base_url=world.hub_url, timeout=30) as person:
                login = await post_login(person, world.api_key)
                assert login.status_code == 303, login.text
                page = (await person.get(f"/dashboard/orders/{order['id']}")).text
            assert 'data-required="imei"' in page, "the order page names the required IMEI"
            assert '<details class="meta" open>' in page, "the packing form opens its IMEI fields"
            confirmed = await api.post(f"/orders/{order['id']}/confirm")
            assert confirmed.status_code == 200, confirmed.text

            async def pack(box_line: dict[str, object]) -> httpx.Response:
                body = {"boxes": [{"number": 1, "lines": [{"offer_sku": sku, "quantity": 1, **box_line}]}]}
                return await api.post(f"/orders/{order['id']}/pack", json=body)

            mark = len((await market.control.get("/journal")).json()["items"])
            bare = await pack({})
            assert bare.status_code == 409, bare.text
            problem = bare.json()
            assert problem["code"] == "required_meta_missing"
            assert [(e["sku"], e["message"], e["field"]) for e in problem["errors"]] == [
                (sku, "missing: sgtin, imei", "body.boxes[0].lines[0]")
            ]
            half = await pack({"marking_codes": [MARKING_CODE]})
            assert half.status_code == 409 and half.json()["code"] == "required_meta_missing"
            assert [e["message"] for e in half.json()["errors"]] == ["missing: imei"]
            sent = (await market.control.get("/journal")).json()["items"][mark:]
            assert not [e for e in sent if e["method"] != "GET"], "nothing was sent to the marketplace"

            packed = await pack({"marking_codes": [MARKING_CODE], "meta": {"imei": [IMEI]}})
            assert packed.status_code == 200, packed.text
            again = (await api.get(f"/orders/{order['id']}")).json()
            assert again["status"] == "packed"
        (task,) = (await market.control.get("/orders")).json()["items"]
        assert task["id"] == order["external_id"]
        assert task["sgtins"] == [MARKING_CODE] and task["meta"]["imei"] == IMEI

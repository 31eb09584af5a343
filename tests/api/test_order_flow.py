"""The FBS flow driven through the seller API against real marketplace sandboxes: an order a buyer
placed is listed, confirmed, packed (split into two boxes where the marketplace labels boxes apart),
its labels come as one PDF, it is handed over, and the events feed tells each step. Every registered
marketplace that plays the roles a test needs runs it (tests/support/marketplaces.kinds_with)."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from pypdf import PdfReader

from marketbridge.channels.roles import CardExporter, CatalogSource, Fulfilment, OrderSource, has_role
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world
from marketbridge.store.db import Database
from marketbridge.sync.dispatch import JobKind
from tests.support.listing import list_a_new_card, moderation_verdicts
from tests.support.marketplaces import kinds_with


@pytest.mark.parametrize("kind", kinds_with(OrderSource, Fulfilment))
async def test_confirm_pack_labels_ship_through_the_api(kind: str, db: Database) -> None:
    catalog = build_catalog(products=6, seed=5, bundles=0)
    in_stock = [sku for sku, levels in sorted(catalog.stock.items()) if sum(levels.values()) >= 2][:2]
    async with open_world(catalog, db, kinds=[kind], start_worker=False) as world:
        market = world.markets[kind]
        channel = world.hub.channels.get(await _connection(world))
        multi_box = has_role(channel, Fulfilment) and bool(channel.multi_box)  # type: ignore[attr-defined]
        lines = [{"offer_code": sku, "quantity": 1} for sku in (in_stock if multi_box else in_stock[:1])]
        for job in (JobKind.RECONCILE, JobKind.STOCKS):  # the marketplace gets the hub's stock first
            await world.run(market.connection_id, job)
        placed = await market.control.post("/orders", json={"lines": lines})
        assert placed.status_code < 300, placed.text
        await world.run(market.connection_id, JobKind.ORDERS)
        assert world.hub_url is not None
        headers = {"Authorization": f"Bearer {world.api_key}"}
        async with httpx.AsyncClient(base_url=world.hub_url + "/api/v1", headers=headers, timeout=120) as api:
            listed = (
                await api.get("/orders", params={"status": "new", "connection_id": market.connection_id})
            ).json()
            assert len(listed["items"]) == 1, listed
            order = listed["items"][0]
            skus = sorted(line["offer_code"] for line in order["lines"])
            assert skus == sorted(line["offer_code"] for line in lines)

            early = await api.get(f"/orders/{order['id']}/labels")
            assert early.status_code == 409 and early.json()["code"] == "not_packed"

            confirmed = await api.post(f"/orders/{order['id']}/confirm")
            assert confirmed.status_code == 200, confirmed.text
            assert confirmed.json()["status"] == "confirmed"

            boxes = [
                {"number": n + 1, "lines": [{"offer_sku": sku, "quantity": 1}]} for n, sku in enumerate(skus)
            ]
            wrong = await api.post(
                f"/orders/{order['id']}/pack",
                json={"boxes": [{"number": 1, "lines": [{"offer_sku": skus[0], "quantity": 5}]}]},
            )
            assert wrong.status_code == 409, wrong.text
            assert wrong.json()["code"] == "boxes_do_not_match"
            expected = [f"box 1: {skus[0]} packed 5, ordered 1"] + [
                f"{s}: ordered 1, packed in no box" for s in skus[1:]
            ]
            assert [e["message"] for e in wrong.json()["errors"]] == expected
            twice = await api.post(f"/orders/{order['id']}/pack", json={"boxes": [boxes[0], boxes[0]]})
            assert twice.status_code == 409 and twice.json()["code"] == "box_numbers_repeated", twice.text
            assert [e["message"] for e in twice.json()["errors"]] == [
                "box 1: the number is given more than once"
            ]
            packed = await api.post(f"/orders/{order['id']}/pack", json={"boxes": boxes})
            assert packed.status_code == 200, packed.text
            assert packed.json()["order"]["status"] == "packed"
            assert len(packed.json()["order"]["boxes"]) == len(boxes)
            assert len(packed.json()["shipment_ids"]) >= 1

            labels = await api.get(f"/orders/{order['id']}/labels")
            assert labels.status_code == 200 and labels.headers["content-type"] == "application/pdf"
            assert len(PdfReader(io.BytesIO(labels.content)).pages) >= 1
            unknown = await api.get(f"/orders/{order['id']}/labels", params={"format": "gif"})
            assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "query.format"
            offered = {f.value for f in channel.label_formats}  # type: ignore[attr-defined]
            zpl = await api.get(f"/orders/{order['id']}/labels", params={"format": "zpl"})
            if "zpl" in offered:
                assert zpl.status_code == 200, zpl.text
                if zpl.headers["content-type"] == "application/zip":
                    with zipfile.ZipFile(io.BytesIO(zpl.content)) as archive:
                        texts = [archive.read(n) for n in archive.namelist()]
                else:
                    texts = [zpl.content]
                assert texts and all(t.lstrip().startswith(b"^XA") for t in texts), texts[:1]
            else:
                assert zpl.status_code == 422 and zpl.json()["code"] == "label_format_not_offered", zpl.text

            shipped = await api.post(f"/orders/{order['id']}/ship")
            assert shipped.status_code == 200, shipped.text
            assert shipped.json()["order"]["status"] == "shipped" and shipped.json()["handover_id"]
            document = await api.get(f"/orders/{order['id']}/handover-document")  # the act / supply QR
            assert document.status_code == 200, document.text
            assert document.headers["content-type"] == "application/pdf"
            assert len(PdfReader(io.BytesIO(document.content)).pages) >= 1
            kept = (await api.get("/handover-documents")).json()["items"]
            assert [d["handover_id"] for d in kept] == [shipped.json()["handover_id"]]
            again = await api.get(f"/handover-documents/{kept[0]['id']}")
            assert again.status_code == 200 and again.content == document.content
            before = (await api.get(f"/orders/{order['id']}")).json()
            late = await api.post(f"/orders/{order['id']}/cancel", json={"reason": "too late"})
            assert late.status_code == 409 and late.json()["code"] == "wrong_status", late.text
            after = (await api.get(f"/orders/{order['id']}")).json()
            assert after == before and after["status"] == "shipped" and after["cancel_reason"] is None

            events = (await api.get("/events")).json()["items"]
            types = [e["type"] for e in events if e["data"].get("order_id") == order["id"]]
            assert types[0] == "order.created" and "order.status_changed" in types


async def _connection(world: object) -> object:
    from marketbridge.store.tables import Connection

    hub = world.hub  # type: ignore[attr-defined]
    (market,) = world.markets.values()  # type: ignore[attr-defined]
    async with hub.db.session() as s:
        return await s.get(Connection, market.connection_id)


@pytest.mark.parametrize("kind", kinds_with(CatalogSource, CardExporter))
async def test_list_a_new_offer_on_a_channel(kind: str, db: Database) -> None:
    catalog = build_catalog(products=2, seed=3, bundles=0)
    async with open_world(catalog, db, kinds=[kind], start_worker=False) as world:
        market = world.markets[kind]
        assert world.hub_url is not None
        headers = {"Authorization": f"Bearer {world.api_key}"}
        async with httpx.AsyncClient(base_url=world.hub_url + "/api/v1", headers=headers, timeout=120) as api:
            conn = market.connection_id
            offer_id = await list_a_new_card(api, world, checks=True)
            verdicts = await moderation_verdicts(api, world, offer_id, timeout=15)
            assert [v["type"] for v in verdicts] == ["card.moderated"], verdicts
            again = (await api.get(f"/catalog/offers/{offer_id}")).json()
            assert [x["connection_id"] for x in again["listings"]] == [conn]

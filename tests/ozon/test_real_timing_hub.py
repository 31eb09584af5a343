"""Ozon's asynchronous steps through the whole hub, with the sandbox's real (default) timing.

The seller API packs two postings: one that Ozon fails after its 200 (substatus ship_failed,
some seconds later) is refused, the other is packed; its labels are asked at once and come
when Ozon has them (45 s after packing), and its hand-over waits for the carriage's act to
be formed (15 s). Labels and hand-over run side by side, as a seller's packer and a manager
would, and the failing posting beside them, so the whole test takes about a minute.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world
from marketbridge.sandbox.ozon.backend import ACT_FORMING_SECONDS, LABEL_READY_SECONDS
from marketbridge.sync.dispatch import JobKind
from tests.support.databases import sqlite_database

pytestmark = pytest.mark.real_timing


async def test_ship_failed_labels_and_act_through_the_hub_at_real_timing(tmp_path: Path) -> None:
    catalog = build_catalog(products=6, seed=5, bundles=0)
    sku = next(
        o.sku for o in catalog.offers if not o.requires_marking and sum(catalog.stock[o.sku].values()) >= 2
    )
    db = await sqlite_database(tmp_path)
    try:
        async with open_world(catalog, db, kinds=["ozon"], start_worker=False, timing_scale=None) as world:
            market = world.markets["ozon"]
            assert (await market.control.get("/timing")).json()["scale"] == 1, "Ozon's real delays"
            for job in (JobKind.RECONCILE, JobKind.STOCKS):
                await world.run(market.connection_id, job)
            postings = []
            for _ in range(2):
                placed = await market.control.post("/orders", json={"lines": [{"offer_code": sku}]})
                assert placed.status_code == 200, placed.text
                postings += placed.json()["ids"]
            good, bad = postings
            failing = await market.control.post(f"/ozon/postings/{bad}/fail-ship")
            assert failing.status_code == 200, failing.text
            await world.run(market.connection_id, JobKind.ORDERS)
            assert world.hub_url is not None
            headers = {"Authorization": f"Bearer {world.api_key}"}
            async with httpx.AsyncClient(
                base_url=world.hub_url + "/api/v1", headers=headers, timeout=180
            ) as api:
                listed = (await api.get("/orders", params={"connection_id": market.connection_id})).json()
                ids = {o["external_id"]: o["id"] for o in listed["items"]}
                box = {"boxes": [{"number": 1, "lines": [{"offer_sku": sku, "quantity": 1}]}]}

                async def failed_ship() -> None:
                    refused = await api.post(f"/orders/{ids[bad]}/pack", json=box)
                    assert refused.status_code == 409, refused.text
                    assert refused.json()["code"] == "marketplace_rejected" and "ship_failed" in refused.text
                    still = (await api.get(f"/orders/{ids[bad]}")).json()
                    assert still["status"] in ("new", "confirmed"), "a failed ship is not a packing"

                async def labels(started: float) -> float:
                    answer = await api.get(f"/orders/{ids[good]}/labels")
                    assert answer.status_code == 200, answer.text
                    assert len(PdfReader(io.BytesIO(answer.content)).pages) == 1
                    return time.monotonic() - started

                async def hand_over(started: float) -> float:
                    answer = await api.post(f"/orders/{ids[good]}/ship")
                    assert answer.status_code == 200, answer.text
                    assert answer.json()["order"]["status"] == "shipped"
                    return time.monotonic() - started

                async def shipped() -> tuple[float, float]:
                    packed = await api.post(f"/orders/{ids[good]}/pack", json=box)
                    assert packed.status_code == 200, packed.text
                    started = time.monotonic()
                    done = await asyncio.gather(labels(started), hand_over(started))
                    return done[0], done[1]

                _, (labels_after, act_after) = await asyncio.gather(failed_ship(), shipped())
            assert labels_after >= LABEL_READY_SECONDS - 1, "the labels came before Ozon has them"
            assert act_after >= ACT_FORMING_SECONDS - 1, "the hand-over ended before the act was formed"
            journal = (await market.control.get("/journal")).json()["items"]
            paths = [e["path"] for e in journal]
            assert "/v2/posting/fbs/digital/act/check-status" in paths
            waiting = [e for e in journal if e["path"] == "/v2/posting/fbs/package-label/get"]
            assert len(waiting) >= 2, "the hub asked again while the label was not ready"
    finally:
        await db.dispose()

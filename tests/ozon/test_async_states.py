"""Ozon's asynchronous steps, emulated with their real timing and with a shortened one.

A 200 from ship is not the ship (the posting may then show substatus ship_failed), a
carriage's act is FORMING before it is FORMED, labels are printable 45 s after packing. The
first test runs all three with the sandbox's default (real) timing, side by side; the others
shorten the timing (PUT /_sandbox/timing) and look at each step closely.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.ozon import OzonChannel
from marketbridge.channels.roles import PackBox, PackLine
from marketbridge.model import LabelFormat
from marketbridge.sandbox.ozon.backend import ACT_FORMING_SECONDS, LABEL_READY_SECONDS
from marketbridge.sync.fulfilment import fetch_labels
from tests.ozon.conftest import Sandbox, holds_within
from tests.ozon.cycle import pdf_pages

DIGITAL_ACT_STATES = {
    "FORMING",
    "FORMED",
    "CONFIRMED",
    "CONFIRMED_WITH_MISMATCH",
    "NOT_FOUND",
    "UNKNOWN_ERROR",
}


def new_posting(sandbox: Sandbox, offer: str = "A-1") -> str:
    reply = sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": offer}]})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["ids"][0])


def stocked_shop(sandbox: Sandbox, stock: int = 20) -> int:
    seeded = sandbox.seed([{"name": "Склад"}], [{"offer_code": "A-1", "name": "Товар", "price": "100"}])
    warehouse = int(seeded["warehouses"][0]["id"])
    sent = sandbox.api(
        "/v2/products/stocks", {"stocks": [{"offer_id": "A-1", "stock": stock, "warehouse_id": warehouse}]}
    )
    assert sent.status_code == 200 and sent.json()["result"][0]["updated"]
    return warehouse


async def pack_one(sandbox: Sandbox, channel: OzonChannel, number: str) -> list[str]:
    order = await channel.get_order(number)
    result = await channel.pack(order, [PackBox(1, (PackLine(order.lines[0].external_offer_id, 1),))])
    return list(result.shipment_ids)


def substatus(sandbox: Sandbox, number: str) -> tuple[str, str]:
    posting = sandbox.api("/v3/posting/fbs/get", {"posting_number": number}).json()["result"]
    return posting["status"], posting["substatus"]


@pytest.mark.real_timing
async def test_ship_failed_act_forming_and_late_labels_with_the_real_timing(
    real_time_sandbox: Sandbox, real_channel: OzonChannel
) -> None:
    sandbox = real_time_sandbox
    assert sandbox.control.get("/_sandbox/timing").json()["scale"] == 1
    stocked_shop(sandbox)
    good, bad = new_posting(sandbox), new_posting(sandbox)
    assert sandbox.control.post(f"/_sandbox/ozon/postings/{bad}/fail-ship").status_code == 200
    shipped = await pack_one(sandbox, real_channel, good)
    started = time.monotonic()
    # labels are not printable right after packing: the raw method says so
    early = sandbox.api("/v2/posting/fbs/package-label", {"posting_number": shipped})
    assert early.status_code == 400 and "aren't ready" in early.json()["message"]

    async def failing_ship() -> str:
        with pytest.raises(RequestRejected, match="ship_failed") as refused:
            await pack_one(sandbox, real_channel, bad)
        return str(refused.value)

    async def labels() -> float:
        # as the hub asks: the connector waits a little, the sync layer asks again with pauses
        ((shipment, content),) = await fetch_labels(real_channel, shipped, LabelFormat.PDF)
        assert shipment == shipped[0] and pdf_pages(content) == 1
        return time.monotonic() - started

    async def act() -> float:
        handed = await real_channel.hand_over(shipped)
        assert handed.document is not None and handed.document.startswith(b"%PDF")
        return time.monotonic() - started

    refusal, labels_after, act_after = await asyncio.gather(failing_ship(), labels(), act())
    assert bad in refusal
    assert substatus(sandbox, bad) == ("awaiting_packaging", "ship_failed")
    assert labels_after >= LABEL_READY_SECONDS - 1, "labels came before Ozon's 45 s"
    assert act_after >= ACT_FORMING_SECONDS - 1, "the act came before it was formed"
    paths = [e["path"] for e in sandbox.journal()]
    approve = paths.index("/v1/carriage/approve")
    assert "/v2/posting/fbs/digital/act/check-status" in paths[approve:]
    assert paths.index("/v2/posting/fbs/digital/act/get-pdf") > approve


async def test_a_ship_answered_200_is_checked_before_it_counts(
    sandbox: Sandbox, channel: OzonChannel
) -> None:
    stocked_shop(sandbox)
    good, bad = new_posting(sandbox), new_posting(sandbox)
    fail = sandbox.control.post(f"/_sandbox/ozon/postings/{bad}/fail-ship")
    assert fail.status_code == 200, fail.text
    assert await pack_one(sandbox, channel, good) == [good]
    after_ship = [e for e in sandbox.journal() if e["path"] == "/v3/posting/fbs/get"]
    assert after_ship and after_ship[-1]["body"] == {"posting_number": good}, "the ship was not re-checked"
    raw = sandbox.api(
        "/v4/posting/fbs/ship",
        {"posting_number": bad, "packages": [{"products": [{"product_id": _sku(sandbox), "quantity": 1}]}]},
    )
    assert raw.status_code == 200 and raw.json()["result"] == [bad]
    assert substatus(sandbox, bad)[0] == "awaiting_packaging"
    holds_within(lambda: substatus(sandbox, bad)[1] == "ship_failed", 5, "ship_failed shown")
    again = new_posting(sandbox)
    sandbox.control.post(f"/_sandbox/ozon/postings/{again}/fail-ship").raise_for_status()
    with pytest.raises(RequestRejected, match="ship_failed"):
        await pack_one(sandbox, channel, again)
    # a packed posting cannot be set to fail any more
    assert sandbox.control.post(f"/_sandbox/ozon/postings/{good}/fail-ship").status_code == 409


def _sku(sandbox: Sandbox) -> int:
    (item,) = [s for s in sandbox.control.get("/_sandbox/stocks").json()["items"] if s["offer_code"] == "A-1"]
    return int(item["external_id"])


async def test_a_carriage_act_is_forming_before_it_is_formed(sandbox: Sandbox, channel: OzonChannel) -> None:
    sandbox.control.put("/_sandbox/timing", json={"scale": 0.1}).raise_for_status()  # 1.5 s of forming
    stocked_shop(sandbox)
    number = new_posting(sandbox)
    await pack_one(sandbox, channel, number)
    method = sandbox.api("/v3/posting/fbs/get", {"posting_number": number}).json()["result"][
        "delivery_method"
    ]["id"]
    carriage = sandbox.api("/v1/carriage/create", {"delivery_method_id": method}).json()["carriage_id"]
    before = sandbox.api("/v2/posting/fbs/digital/act/check-status", {"id": carriage}).json()["status"]
    assert before in DIGITAL_ACT_STATES and before != "FORMED"
    assert (
        sandbox.api("/v1/carriage/approve", {"carriage_id": carriage, "containers_count": 1}).status_code
        == 200
    )
    status = sandbox.api("/v2/posting/fbs/digital/act/check-status", {"id": carriage}).json()
    assert status == {"id": carriage, "status": "FORMING"}
    early = sandbox.api(
        "/v2/posting/fbs/digital/act/get-pdf", {"id": carriage, "doc_type": "act_of_acceptance"}
    )
    assert early.status_code == 400 and set(early.json()) == {"code", "message", "details"}
    waited = holds_within(
        lambda: (
            sandbox.api("/v2/posting/fbs/digital/act/check-status", {"id": carriage}).json()["status"]
            == "FORMED"
        ),
        10,
        "the act formed",
    )
    assert waited > 0.5
    late = sandbox.api(
        "/v2/posting/fbs/digital/act/get-pdf", {"id": carriage, "doc_type": "act_of_acceptance"}
    )
    assert late.status_code == 200 and late.content.startswith(b"%PDF")


async def test_labels_default_to_the_real_delay_shortened_by_the_timing(sandbox: Sandbox) -> None:
    sandbox.control.put("/_sandbox/timing", json={"scale": 1}).raise_for_status()
    assert sandbox.control.get("/_sandbox/ozon/settings").json()["label_wait"] == LABEL_READY_SECONDS
    sandbox.control.put("/_sandbox/timing", json={"scale": 0.02}).raise_for_status()
    assert sandbox.control.get("/_sandbox/ozon/settings").json()["label_wait"] == pytest.approx(0.9)

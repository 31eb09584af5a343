"""End to end: labels that are not ready right after packing, and pushes about changed dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketbridge.channels.errors import NotSupported, TransientError
from marketbridge.channels.ozon import OzonChannel, fulfilment
from marketbridge.channels.roles import PackBox, PackLine, PushKind
from marketbridge.model import LabelFormat
from tests.ozon.conftest import PushReceiver, Sandbox
from tests.ozon.cycle import pdf_pages, wait_for


async def packed_posting(sandbox: Sandbox, channel: OzonChannel) -> str:
    seeded = sandbox.seed([{"name": "Склад"}], [{"offer_code": "L-1", "name": "Товар", "price": "100"}])
    warehouse = int(seeded["warehouses"][0]["id"])
    sandbox.api(
        "/v2/products/stocks", {"stocks": [{"offer_id": "L-1", "stock": 9, "warehouse_id": warehouse}]}
    )
    number = str(
        sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "L-1"}]}).json()["ids"][0]
    )
    order = await channel.get_order(number)
    await channel.pack(order, [PackBox(1, (PackLine(order.lines[0].external_offer_id, 1),))])
    return number


async def test_labels_are_fetched_once_ready(
    sandbox: Sandbox, channel: OzonChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulfilment, "POLL_SECONDS", 0.2)
    sandbox.control.put("/_sandbox/ozon/settings", json={"label_delay": 0.5}).raise_for_status()
    number = await packed_posting(sandbox, channel)
    early = sandbox.api("/v2/posting/fbs/package-label", {"posting_number": [number]})
    assert early.status_code == 400 and "aren't ready" in early.json()["message"]
    (label,) = await channel.labels([number], LabelFormat.PDF)
    assert label.shipment_id == number and pdf_pages(label.content) == 1
    checks = [e for e in sandbox.journal() if e["path"] == "/v2/posting/fbs/package-label/get"]
    assert len(checks) >= 2, "the first check found the label still in progress"


async def test_labels_not_ready_in_time_are_a_transient_error(
    sandbox: Sandbox, channel: OzonChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulfilment, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(fulfilment, "LABEL_PATIENCE", 0.3)
    sandbox.control.put("/_sandbox/ozon/settings", json={"label_delay": 60}).raise_for_status()
    number = await packed_posting(sandbox, channel)
    with pytest.raises(TransientError):
        await channel.labels([number], LabelFormat.PDF)
    with pytest.raises(NotSupported, match="PDF"):
        await channel.labels([number], LabelFormat.ZPL)


async def test_changed_dates_are_pushed(
    sandbox: Sandbox, channel: OzonChannel, push_receiver: PushReceiver
) -> None:
    sandbox.control.put("/_sandbox/push", json={"url": push_receiver.url}).raise_for_status()
    number = await packed_posting(sandbox, channel)
    later = datetime.now(UTC) + timedelta(days=2)
    sandbox.control.post(
        f"/_sandbox/ozon/postings/{number}/cutoff", json={"shipment_date": later.isoformat()}
    ).raise_for_status()
    sandbox.control.post(
        f"/_sandbox/ozon/postings/{number}/delivery-date",
        json={"begin": later.isoformat(), "end": (later + timedelta(hours=8)).isoformat()},
    ).raise_for_status()
    wanted = {"TYPE_CUTOFF_DATE_CHANGED", "TYPE_DELIVERY_DATE_CHANGED"}
    await wait_for(lambda: wanted <= {m.raw_type for m in push_receiver.messages})
    dated = [m for m in push_receiver.messages if m.raw_type in wanted]
    assert all(m.kind == PushKind.ORDER_STATUS and m.order_external_id == number for m in dated)
    assert (await channel.get_order(number)).ship_by == later.replace(
        microsecond=later.microsecond // 1000 * 1000
    )

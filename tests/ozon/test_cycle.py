"""End to end: the whole FBS cycle, connector against the Ozon sandbox over real HTTP on loopback."""

from __future__ import annotations

from marketbridge.channels.ozon import OzonChannel
from marketbridge.channels.roles import PushKind
from tests.ozon.conftest import PushReceiver, Sandbox
from tests.ozon.cycle import run_cycle


async def test_full_fbs_cycle(sandbox: Sandbox, channel: OzonChannel, push_receiver: PushReceiver) -> None:
    report = await run_cycle(sandbox, channel, push_receiver)
    assert len(report.postings) == 2
    kinds = {m.kind for m in push_receiver.messages}
    assert {
        PushKind.ORDER_CREATED,
        PushKind.ORDER_STATUS,
        PushKind.ORDER_CANCELLED,
        PushKind.STOCK_CHANGED,
    } <= kinds
    assert PushKind.CARD_CHANGED in kinds
    final = {o["id"]: o["status"] for o in sandbox.control.get("/_sandbox/orders").json()["items"]}
    assert sorted(final[n] for n in report.postings) == ["delivered", "delivering"]

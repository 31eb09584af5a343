"""How the sandbox delivers notifications: a PING to a newly set URL, repeats on the documented
schedule for anything but a 2xx or a 400, none for a 400, and duplicates and late events on
request (`PUT /_sandbox/push`), which the connector's dedup keys fold into one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from marketbridge.channels.yandex_market.push import handle_push
from marketbridge.sandbox.yandex_market.notify import retry_pause
from tests.support.marketplaces import Market, offer, start_market, wait_until
from tests.support.servers import ThreadedServer

WAREHOUSE = "8701"
DAY, HOUR = 24 * 3600.0, 3600.0


@dataclass
class Receiver:
    """The seller's URL on loopback: what it got, and the status it answers next per type."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    #: notificationType -> statuses to answer before answering as the connector does
    failures: dict[str, list[int]] = field(default_factory=dict)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [b for b in self.received if b["notificationType"] == kind]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()
    app = FastAPI()

    @app.post("/hook/notification")
    async def hook(request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw)
        got.received.append(body)
        pending = got.failures.get(body["notificationType"])
        if pending:
            return Response(status_code=pending.pop(0))
        reply = handle_push(dict(request.headers), raw)
        return Response(json.dumps(reply.body), status_code=reply.status, media_type="application/json")

    server = ThreadedServer(app).start()
    got.url = server.url + "/hook"
    try:
        yield got
    finally:
        server.stop()


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer("P-1", 951, [WAREHOUSE])], (WAREHOUSE,))
        running.call("PUT", "/timing", json={"scale": 0.0001})  # a minute's repeat: 6 ms
        yield running


def test_the_documented_schedule() -> None:
    pauses = [retry_pause(n) for n in range(1, 600)]
    assert pauses[:60] == [60.0] * 60, "every minute for the first hour"
    assert sum(p or 0 for p in pauses[:60]) == HOUR
    day = [p for p in pauses if p == 900.0]
    assert sum(pauses[:60]) + sum(day) == DAY, "every 15 minutes for the rest of the first day"
    hourly = [p for p in pauses if p == HOUR]
    assert sum(pauses[:60]) + sum(day) + sum(hourly) == 14 * DAY, "then hourly, for 14 days in all"
    assert pauses[60 + len(day) + len(hourly)] is None


async def test_a_new_url_is_checked_with_a_ping(market: Market, receiver: Receiver) -> None:
    market.call("PUT", "/push", json={"url": receiver.url})

    async def pinged() -> bool:
        return market.call("GET", "/push")["delivered"] >= 1

    await wait_until(pinged, what="the PING answered")
    assert [set(b) for b in receiver.of("PING")] == [{"notificationType", "time"}]
    market.call("PUT", "/push", json={"url": receiver.url})  # the same URL: no new check
    (order_id,) = market.place([("P-1", 1)], WAREHOUSE)

    async def created() -> bool:
        return bool(receiver.of("ORDER_CREATED"))

    await wait_until(created, what="ORDER_CREATED")
    assert len(receiver.of("PING")) == 1
    assert str(receiver.of("ORDER_CREATED")[0]["orderId"]) == order_id


async def test_failed_deliveries_are_repeated_but_a_400_is_final(market: Market, receiver: Receiver) -> None:
    receiver.failures = {"ORDER_CREATED": [500, 503, 500], "ORDER_STATUS_UPDATED": [400]}
    market.call("PUT", "/push", json={"url": receiver.url})
    (order_id,) = market.place([("P-1", 1)], WAREHOUSE)
    market.move(order_id, "shipped")

    async def settled() -> bool:
        push = market.call("GET", "/push")
        return bool(push["failed"] >= 1 and push["delivered"] >= 2)  # the 400, and PING and the order

    await wait_until(settled, what="the order delivered after three failures, the 400 given up")
    assert len(receiver.of("ORDER_CREATED")) == 4, "three failures, then delivered"
    assert len(receiver.of("ORDER_STATUS_UPDATED")) == 1, "a 400 is not repeated"
    assert market.call("GET", "/push")["failed"] == 1


async def test_duplicates_and_late_events_on_request(market: Market, receiver: Receiver) -> None:
    market.call("PUT", "/push", json={"url": receiver.url, "duplicate_rate": 1.0, "reorder_rate": 1.0})
    (order_id,) = market.place([("P-1", 1)], WAREHOUSE)
    market.move(order_id, "shipped")

    async def doubled() -> bool:
        return len(receiver.of("ORDER_CREATED")) == 2 and len(receiver.of("ORDER_STATUS_UPDATED")) == 2

    await wait_until(doubled, what="every notification sent twice")
    keys = {
        handle_push({}, json.dumps(b).encode()).message.dedup_key  # type: ignore[union-attr]
        for b in receiver.received
        if b["notificationType"] != "PING"
    }
    assert len(keys) == 2, "the copies of an event carry one dedup key"

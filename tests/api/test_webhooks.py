"""Webhooks end to end: a subscriber on loopback that fails the first deliveries gets the event once,
signed, after retries, across a restart of the hub between attempts and a crash after a claim."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import event as orm_event
from sqlalchemy import update
from sqlalchemy.orm import SessionTransaction

from marketbridge.model import EventType
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import WebhookDelivery
from marketbridge.store.types import utcnow
from marketbridge.sync.webhook_delivery import RetryPolicy, _claim, deliver_due, verify
from marketbridge.wiring import Hub
from tests.api.conftest import ApiEnv, make_hub
from tests.api.subscriber import Subscriber
from tests.support.servers import serve_app

FAST = RetryPolicy(first_delay=0.05, max_delay=0.2, claim_seconds=0.5, timeout=5)


async def _until(hub: Hub, done: object, policy: RetryPolicy = FAST, rounds: int = 200) -> None:
    for _ in range(rounds):
        await deliver_due(hub, policy=policy)
        if callable(done) and done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition was not reached")


def _counted(result: str) -> float:
    """This process's mb_webhook_deliveries_total for one result."""
    return REGISTRY.get_sample_value("mb_webhook_deliveries_total", {"result": result}) or 0.0


async def _make_due(db: Database) -> None:
    """Move every pending delivery's next attempt into the past, as if its wait were over."""
    async with db.session() as s:
        await s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def test_failing_subscriber_gets_the_event_once_signed_across_a_restart(
    api: ApiEnv, db: Database, fernet_key: bytes
) -> None:
    subscriber = Subscriber(fail_first=3)
    counted_before = {result: _counted(result) for result in ("delivered", "failed_will_retry")}
    with serve_app(subscriber.app()) as sink:
        async with api.client(api.a) as client:
            created = await client.post(
                "/webhooks",
                json={"url": sink.url + "/hook", "event_types": ["order.created", "order.cancelled"]},
            )
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            assert "secret" not in (await client.get(f"/webhooks/{created.json()['id']}")).json()

        async with db.session() as s:
            event = await emit(s, api.a.account_id, EventType.ORDER_CREATED, {"order_id": 7})
            await emit(s, api.a.account_id, EventType.STOCK_ZERO, {"offer_id": 1})  # not subscribed
            await emit(s, api.b.account_id, EventType.ORDER_CREATED, {"order_id": 8})  # other account

        hub = make_hub(db, fernet_key)
        await _until(hub, lambda: len(subscriber.received) >= 2)  # two failed attempts
        await hub.aclose()

        restarted = make_hub(db, fernet_key)  # a new process on the same database
        await _until(restarted, lambda: len(subscriber.received) >= 3)
        # a crash right after claiming the 4th attempt: nothing is sent, the claim expires, it is retried
        await _make_due(db)  # the backoff is over
        claimed = await _claim(restarted, 10, replace(FAST, claim_seconds=3600))
        assert [c.event_id for c in claimed] == [event.id]
        assert await deliver_due(restarted, policy=FAST) == 0  # claimed for an hour: not due
        await _make_due(db)  # the hour is over: the claim has expired
        await _until(restarted, lambda: len(subscriber.successes) >= 1)
        for _ in range(5):  # nothing more to send
            assert await deliver_due(restarted, policy=FAST) == 0
        await restarted.aclose()

    assert [r.status for r in subscriber.received] == [503, 503, 503, 200]
    assert len(subscriber.successes) == 1
    counted = {result: _counted(result) - before for result, before in counted_before.items()}
    assert counted == {"delivered": 1, "failed_will_retry": 3}, "mb_webhook_deliveries_total by result"
    for request in subscriber.received:
        assert request.headers["webhook-id"] == event.id
        assert verify(
            secret, request.headers["webhook-timestamp"], request.body, request.headers["webhook-signature"]
        )
        assert not verify(
            "wrong-secret-wrong",
            request.headers["webhook-timestamp"],
            request.body,
            request.headers["webhook-signature"],
        )
    body = json.loads(subscriber.successes[0].body)
    assert body["id"] == event.id and body["type"] == "order.created" and body["data"] == {"order_id": 7}

    async with api.client(api.a) as client:
        deliveries = (await client.get("/webhook-deliveries")).json()["items"]
        assert len(deliveries) == 1
        delivery = deliveries[0]
        assert delivery["status"] == "delivered" and delivery["attempts"] == 4
        detail = (await client.get(f"/webhook-deliveries/{delivery['id']}")).json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [503, 503, 503, 200]
        async with api.client(api.b) as other:
            assert (await other.get(f"/webhook-deliveries/{delivery['id']}")).status_code == 404
            assert (await other.get("/webhook-deliveries")).json()["items"] == []

        again = await client.post(f"/webhook-deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 202 and again.json()["status"] == "pending"


async def test_a_new_event_goes_out_in_one_round_with_two_writes(
    api: ApiEnv, db: Database, fernet_key: bytes
) -> None:
    """Fan-out and claim share one write transaction; the attempt's record is the other."""
    subscriber = Subscriber()
    with serve_app(subscriber.app()) as sink:
        async with api.client(api.a) as client:
            created = await client.post(
                "/webhooks", json={"url": sink.url + "/hook", "event_types": ["order.created"]}
            )
            assert created.status_code == 201, created.text
        async with db.session() as s:
            sent = await emit(s, api.a.account_id, EventType.ORDER_CREATED, {"order_id": 9})
        hub = make_hub(db, fernet_key)
        writes: list[object] = []

        def count(_session: object, transaction: SessionTransaction) -> None:
            if transaction.parent is None:  # a write transaction ended (not a savepoint)
                writes.append(transaction)

        orm_event.listen(hub.db.session_class, "after_transaction_end", count)
        try:
            assert await deliver_due(hub, policy=FAST) == 1
            assert len(writes) == 2
            assert await deliver_due(hub, policy=FAST) == 0  # nothing left: no write at all
            assert len(writes) == 2
        finally:
            await hub.aclose()
    assert [r.headers["webhook-id"] for r in subscriber.successes] == [sent.id]


async def test_redelivery_by_hand_and_dead_after_the_window(
    api: ApiEnv, db: Database, fernet_key: bytes
) -> None:
    subscriber = Subscriber(fail_first=1000)
    # a window of 2 s: long enough that a loaded machine still tries more than once within it
    short = RetryPolicy(first_delay=0.05, max_delay=0.1, give_up_after=2.0, claim_seconds=0.5)
    hub = make_hub(db, fernet_key)
    with serve_app(subscriber.app()) as sink:
        async with api.client(api.a) as client:
            await client.post("/webhooks", json={"url": sink.url + "/hook", "event_types": ["sync.failed"]})
            async with db.session() as s:
                await emit(s, api.a.account_id, EventType.SYNC_FAILED, {"run_id": 1})

            async def dead() -> bool:
                items = (await client.get("/webhook-deliveries", params={"status": "dead"})).json()["items"]
                return bool(items)

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                await deliver_due(hub, policy=short)
                if await dead():
                    break
                await asyncio.sleep(0.02)
            (delivery,) = (await client.get("/webhook-deliveries", params={"status": "dead"})).json()["items"]
            tries = len(subscriber.received)
            assert tries >= 2 and delivery["attempts"] == tries
            assert await deliver_due(hub, policy=short) == 0  # dead: not retried any more

            subscriber.fail_first = 0
            redo = await client.post(f"/webhook-deliveries/{delivery['id']}/redeliver")
            assert redo.status_code == 202
            assert await deliver_due(hub, policy=short) == 1
            final = (await client.get(f"/webhook-deliveries/{delivery['id']}")).json()
            assert final["status"] == "delivered"
            assert len(final["attempt_log"]) == tries + 1
    await hub.aclose()


def test_backoff_doubles_up_to_the_cap_and_covers_a_day() -> None:
    policy = RetryPolicy()
    delays = [policy.delay(n) for n in range(1, 12)]
    assert delays[:4] == [10, 20, 40, 80]
    assert max(delays) == 3600
    assert policy.give_up_after >= 24 * 3600


async def test_events_feed_cursor(api: ApiEnv, db: Database) -> None:
    async with db.session() as s:
        for n in range(5):
            await emit(s, api.a.account_id, EventType.ORDER_CREATED, {"n": n})
        await emit(s, api.b.account_id, EventType.ORDER_CREATED, {"n": 99})
    async with api.client(api.a) as client:
        first = (await client.get("/events", params={"limit": 3})).json()
        assert [e["data"]["n"] for e in first["items"]] == [0, 1, 2]
        rest = (await client.get("/events", params={"cursor": first["next_cursor"]})).json()
        assert [e["data"]["n"] for e in rest["items"]] == [3, 4]
        empty = (await client.get("/events", params={"cursor": rest["next_cursor"]})).json()
        assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]
        async with db.session() as s:
            await emit(s, api.a.account_id, EventType.ORDER_CANCELLED, {"n": 5})
        newer = (await client.get("/events", params={"cursor": empty["next_cursor"]})).json()
        assert [e["type"] for e in newer["items"]] == ["order.cancelled"]
        bad = await client.get("/events", params={"cursor": "garbage!"})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


async def test_an_idle_round_takes_no_write_session(api: ApiEnv, db: Database, fernet_key: bytes) -> None:
    hub = make_hub(db, fernet_key)
    writes = 0
    session = hub.db.session

    def counted() -> object:
        nonlocal writes
        writes += 1
        return session()

    hub.db.session = counted  # type: ignore[method-assign]
    try:
        for _ in range(3):  # nothing to fan out and nothing due: looked at, not written
            assert await deliver_due(hub, policy=FAST) == 0
        assert writes == 0
        async with session() as s:
            await emit(s, api.a.account_id, EventType.ORDER_CREATED, {"order_id": 9})
        await deliver_due(hub, policy=FAST)
        assert writes == 1  # the fan-out; no subscription, so nothing to claim
    finally:
        await hub.aclose()

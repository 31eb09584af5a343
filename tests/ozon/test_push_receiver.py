"""The hub's push receiver with Ozon's pushes: verified by the connection's secret, stored in the inbox
before the answer, a repeated push acknowledged and not stored twice, garbage answered with a 4xx and
never a 500, Ozon's TYPE_PING answered as Ozon expects. (Moved from tests/api: its bodies are Ozon's.)"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from marketbridge.app import create_app
from marketbridge.store.db import Database
from marketbridge.store.tables import InboxItem
from marketbridge.sync.dispatch import JobKind
from tests.api.conftest import Tenant, fernet_key, make_hub, tenants
from tests.support.servers import serve_app
from tests.support.specs import load_json

__all__ = ["fernet_key", "tenants"]  # the API suite's fixtures, used here


class CountingDispatcher:
    """A dispatcher that only counts the kicks it gets (the work itself is in the database)."""

    def __init__(self) -> None:
        self.wakes = 0

    async def kick(self, connection_id: int, kind: JobKind) -> None:
        return None

    async def wake(self) -> None:
        self.wakes += 1


async def _inbox(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as s:
        return [(r.kind, r.order_external_id) for r in (await s.execute(select(InboxItem))).scalars()]


@pytest.fixture
def new_posting() -> bytes:
    return httpx.Request(
        "POST", "/", json=load_json("examples/ozon/push_TYPE_NEW_POSTING.json")["body"]
    ).content


async def test_push_is_stored_before_the_answer_and_once(
    db: Database, tenants: tuple[Tenant, Tenant], fernet_key: bytes, new_posting: bytes
) -> None:
    a, _ = tenants
    hub = make_hub(db, fernet_key)
    dispatcher = CountingDispatcher()
    hub.dispatcher = dispatcher
    with serve_app(create_app(hub)) as server:
        async with httpx.AsyncClient(base_url=server.url + "/api/v1", headers=a.headers()) as client:
            made = await client.post(
                "/connections",
                json={
                    "kind": "ozon",
                    "name": "shop",
                    "credentials": {"client_id": "1", "api_key": "k"},
                    "base_url": "http://127.0.0.1:9",
                },
            )
            assert made.status_code == 201, made.text
            push_path = made.json()["push_url"]
            conn_id = made.json()["id"]
        async with httpx.AsyncClient(base_url=server.url) as marketplace:
            first = await marketplace.post(push_path, content=new_posting)
            assert first.status_code == 200 and first.json() == {"result": True}
            assert await _inbox(db) == [("order_created", "24219509-0020-1")]
            again = await marketplace.post(push_path, content=new_posting)
            assert again.status_code == 200
            assert await _inbox(db) == [("order_created", "24219509-0020-1")]
            assert dispatcher.wakes == 1  # after the first push was stored, not for the repeat

            ping = await marketplace.post(
                push_path, json={"message_type": "TYPE_PING", "time": "2026-01-01T00:00:00Z"}
            )
            assert ping.status_code == 200 and {"version", "name", "time"} <= set(ping.json())

            for garbage in (
                b"",
                b"not json",
                b"[1,2]",
                b'{"message_type": 5}',
                b"\xff\xfe",
                b'{"message_type":"TYPE_NEW_POSTING"}',
            ):
                answer = await marketplace.post(push_path, content=garbage)
                assert 400 <= answer.status_code < 500, (garbage, answer.status_code)
            wrong_secret = push_path.rsplit("/", 1)[0] + "/not-the-secret"
            assert (await marketplace.post(wrong_secret, content=new_posting)).status_code == 404
            wrong_kind = push_path.replace("/push/ozon/", "/push/no-such-kind/")
            assert (await marketplace.post(wrong_kind, content=new_posting)).status_code == 404
            unknown = f"/push/ozon/{conn_id + 1000}/x"
            assert (await marketplace.post(unknown, content=new_posting)).status_code == 404
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one() == 1

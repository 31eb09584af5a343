"""Idempotency keys: scoped to the API key that sent them, authorized before any replay, one run
at a time, only successes kept, no secret in a stored answer, and gone after 24 hours."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, text, update

from marketbridge.store.db import Database
from marketbridge.store.tables import ApiKey, IdempotencyRecord, WebhookSubscription
from marketbridge.store.types import utcnow
from tests.api.conftest import ApiEnv

KEY = {"Idempotency-Key": "create-1"}


async def _key_count(db: Database, account_id: int) -> int:
    async with db.session() as s:
        return int(
            (await s.execute(select(func.count()).where(ApiKey.account_id == account_id))).scalar_one()
        )


async def test_read_only_key_gets_no_replay_of_a_write_keys_answer(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as writer, api.client(api.a, read_only=True) as reader:
        created = await writer.post("/account/keys", json={"scope": "write"}, headers=KEY)
        assert created.status_code == 201 and created.json()["key"].startswith("mb_")
        replay = await reader.post("/account/keys", json={"scope": "write"}, headers=KEY)
        assert replay.status_code == 403, replay.text
        assert "mb_" not in replay.text and "Idempotent-Replayed" not in replay.headers
        hook = {"url": api.url + "/hook", "event_types": ["order.created"]}
        first = await writer.post("/webhooks", json=hook, headers={"Idempotency-Key": "hook-1"})
        assert first.status_code == 201 and first.json()["secret"]
        again = await reader.post("/webhooks", json=hook, headers={"Idempotency-Key": "hook-1"})
        assert again.status_code == 403 and "whsec_" not in again.text


async def test_a_refusal_is_not_stored_and_not_replayed_to_the_write_key(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as writer, api.client(api.a, read_only=True) as reader:
        refused = await reader.post("/account/keys", json={"scope": "write"}, headers=KEY)
        assert refused.status_code == 403
        invalid = await writer.post("/account/keys", json={"scope": "root"}, headers={"Idempotency-Key": "v"})
        assert invalid.status_code == 422
        ran = await writer.post("/account/keys", json={"scope": "write"}, headers=KEY)
        assert ran.status_code == 201 and "Idempotent-Replayed" not in ran.headers
        fixed = await writer.post("/account/keys", json={"scope": "read"}, headers={"Idempotency-Key": "v"})
        assert fixed.status_code == 201, fixed.text  # the 422 was not kept under that key
    async with db.session() as s:
        codes = {r.status_code for r in (await s.execute(select(IdempotencyRecord))).scalars()}
    assert codes == {201}


async def test_replay_to_the_same_key_has_no_secret_and_nothing_is_stored_in_clear(
    api: ApiEnv, db: Database
) -> None:
    async with api.client(api.a) as writer:
        created = await writer.post("/account/keys", json={"scope": "write"}, headers=KEY)
        raw = created.json()["key"]
        replay = await writer.post("/account/keys", json={"scope": "write"}, headers=KEY)
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json()["id"] == created.json()["id"] and replay.json()["key"] is None
        hook = {"url": api.url + "/hook", "event_types": ["order.created"]}
        first = await writer.post("/webhooks", json=hook, headers={"Idempotency-Key": "h"})
        second = await writer.post("/webhooks", json=hook, headers={"Idempotency-Key": "h"})
        assert second.json()["id"] == first.json()["id"] and second.json()["secret"] is None
    async with db.engine.connect() as conn:
        bodies = b"".join(bytes(r[0]) for r in await conn.execute(text("SELECT body FROM idempotency_keys")))
    assert raw.encode() not in bodies and first.json()["secret"].encode() not in bodies
    async with db.session() as s:
        count = (await s.execute(select(func.count()).select_from(WebhookSubscription))).scalar_one()
    assert count == 1


async def test_concurrent_duplicates_run_once(api: ApiEnv, db: Database) -> None:
    before = await _key_count(db, api.a.account_id)
    async with api.client(api.a) as writer:
        answers = await asyncio.gather(
            *(writer.post("/account/keys", json={"scope": "read"}, headers=KEY) for _ in range(6))
        )
    statuses = sorted(a.status_code for a in answers)
    assert await _key_count(db, api.a.account_id) == before + 1
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "idempotency_request_in_progress"


async def test_a_request_in_progress_answers_409_to_its_duplicate(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as writer:
        await writer.post("/account/keys", json={"scope": "read"}, headers=KEY)
        async with db.session() as s:  # as if the first request were still running
            await s.execute(update(IdempotencyRecord).values(status_code=None, body=None))
        busy = await writer.post("/account/keys", json={"scope": "read"}, headers=KEY)
        assert busy.status_code == 409 and busy.json()["code"] == "idempotency_request_in_progress"
        assert busy.headers["Retry-After"] == "1"


async def test_another_key_of_the_same_account_runs_its_own_request(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as writer:
        first = await writer.post("/account/keys", json={"scope": "write", "name": "second"}, headers=KEY)
    second_key = first.json()["key"]
    async with api.client(api.a) as writer:
        writer.headers["Authorization"] = f"Bearer {second_key}"
        own = await writer.post("/account/keys", json={"scope": "write", "name": "second"}, headers=KEY)
    assert own.status_code == 201 and "Idempotent-Replayed" not in own.headers
    assert own.json()["id"] != first.json()["id"] and own.json()["key"]


async def test_records_expire_after_24_hours(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as writer:
        first = await writer.post("/account/keys", json={"scope": "read"}, headers=KEY)
        async with db.session() as s:
            await s.execute(
                update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=24, seconds=1))
            )
        again = await writer.post("/account/keys", json={"scope": "read"}, headers=KEY)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(IdempotencyRecord))).scalar_one() == 1

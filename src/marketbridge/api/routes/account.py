"""The calling account and its API keys: list, create (the key is shown once), revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath
from marketbridge.api.idempotency import not_replayable
from marketbridge.api.pagination import Cursor, Limit, Page, next_cursor, page_rows
from marketbridge.api.problems import Problem, not_found
from marketbridge.store import accounts
from marketbridge.store.tables import Account, ApiKey

router = APIRouter(prefix="/account", tags=["account"])


class AccountOut(BaseModel):
    id: int
    name: str
    scope: str = Field(description="scope of the key making this call")


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    scope: Literal["read", "write"]
    created_at: datetime
    revoked_at: datetime | None


class KeyIn(BaseModel):
    name: str = Field(default="", max_length=200)
    scope: Literal["read", "write"] = "read"


class NewKeyOut(KeyOut):
    key: str | None = Field(
        description="the API key; shown once, stored only as a hash (null in an idempotent replay)"
    )


def key_out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scope="write" if row.scope == "write" else "read",
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.get("", summary="The account of the key making the call")
async def read_account(hub: HubDep, who: Reader) -> AccountOut:
    async with hub.db.session() as s:
        row = await s.get(Account, who.account_id)
        if row is None:
            raise not_found("account")
        return AccountOut(id=row.id, name=row.name, scope=who.scope)


@router.get("/keys", summary="List the account's API keys (never the keys themselves)")
async def list_keys(hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None) -> Page[KeyOut]:
    rows = await page_rows(hub.db, ApiKey, who.account_id, cursor, limit)
    return Page(items=[key_out(r) for r in rows], next_cursor=next_cursor([r.id for r in rows], limit))


@router.post("/keys", status_code=201, summary="Create an API key; the response is the only time it is shown")
async def create_key(body: KeyIn, request: Request, hub: HubDep, who: Writer) -> NewKeyOut:
    not_replayable(request, "key")
    async with hub.db.session() as s:
        raw, row = await accounts.create_key(s, who.account_id, body.scope, name=body.name)
    return NewKeyOut(**key_out(row).model_dump(), key=raw)


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key")
async def revoke_key(key_id: IdPath, hub: HubDep, who: Writer) -> Response:
    async with hub.db.session() as s:
        row = await s.get(ApiKey, key_id)
        if row is None or row.account_id != who.account_id:
            raise not_found("API key")
        if row.id == who.key_id:
            raise Problem(409, "revoking_own_key", "a key cannot revoke itself; use another write key")
        await accounts.revoke_key(s, who.account_id, key_id)
    return Response(status_code=204)

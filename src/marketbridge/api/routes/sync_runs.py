"""Sync runs: what ran, when, with which counts and errors (trigger one with POST /connections/{id}/sync)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from marketbridge.api.deps import HubDep, Reader
from marketbridge.api.fields import IdPath, IdQuery
from marketbridge.api.pagination import Cursor, Limit, Page, next_cursor, page_rows
from marketbridge.api.scoped import owned
from marketbridge.store.tables import SyncRun

router = APIRouter(prefix="/sync-runs", tags=["sync"])


class SyncRunOut(BaseModel):
    id: int
    connection_id: int
    kind: str
    trigger: str
    status: str
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    error: str | None


def run_out(r: SyncRun) -> SyncRunOut:
    return SyncRunOut(
        id=r.id,
        connection_id=r.connection_id,
        kind=r.kind,
        trigger=r.trigger,
        status=r.status,
        started_at=r.started_at,
        heartbeat_at=r.heartbeat_at,
        finished_at=r.finished_at,
        counts=dict(r.counts),
        errors=list(r.errors),
        error=r.error,
    )


@router.get("", summary="List sync runs with their counts and errors")
async def list_runs(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    connection_id: IdQuery = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(pattern="^(running|ok|partial|failed)$")] = None,
) -> Page[SyncRunOut]:
    rows = await page_rows(
        hub.db, SyncRun, who.account_id, cursor, limit, connection_id=connection_id, kind=kind, status=status
    )
    return Page(items=[run_out(r) for r in rows], next_cursor=next_cursor([r.id for r in rows], limit))


@router.get("/{run_id}", summary="Read a sync run")
async def read_run(run_id: IdPath, hub: HubDep, who: Reader) -> SyncRunOut:
    async with hub.db.session() as s:
        return run_out(await owned(s, SyncRun, run_id, who.account_id, "sync run"))

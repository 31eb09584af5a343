"""Sync runs with live progress: running runs show their counts and heartbeat, refreshed while they run."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from marketbridge.store.tables import SyncRun
from marketbridge.web.pages import IdQuery, Page, hub_of, render
from marketbridge.web.views.common import account_connections

router = APIRouter()

SHOWN = 100


async def _runs(request: Request, account_id: int, connection: int | None, status: str) -> list[SyncRun]:
    query = select(SyncRun).where(SyncRun.account_id == account_id)
    if connection is not None:
        query = query.where(SyncRun.connection_id == connection)
    if status in ("running", "ok", "partial", "failed"):
        query = query.where(SyncRun.status == status)
    async with hub_of(request).db.session() as s:
        return list((await s.execute(query.order_by(SyncRun.id.desc()).limit(SHOWN))).scalars())


@router.get("/runs")
async def runs_page(request: Request, viewer: Page, connection: IdQuery = None, status: str = "") -> Response:
    hub = hub_of(request)
    runs = await _runs(request, viewer.account_id, connection, status)
    template = (
        "runs_table.html"
        if request.headers.get("HX-Request") and request.query_params.get("part")
        else "runs.html"
    )
    return render(
        request,
        viewer,
        template,
        runs=runs,
        running=any(r.status == "running" for r in runs),
        connections=await account_connections(hub, viewer.account_id),
        connection=connection,
        status=status,
    )

"""Connections with their health (last credential check), last sync of each kind and open errors."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from marketbridge.store.tables import Connection, InboxItem, PendingChange, SyncRun
from marketbridge.store.types import utcnow
from marketbridge.sync.connection_check import check_connection, failing
from marketbridge.sync.dispatch import JobKind
from marketbridge.web.pages import IdPath, Page, checked_form, hub_of, redirect, render, url
from marketbridge.web.views.common import account_connections

router = APIRouter()


@router.get("/connections")
async def connections_page(request: Request, viewer: Page) -> Response:
    hub = hub_of(request)
    connections = await account_connections(hub, viewer.account_id)
    ids = list(connections)
    last_runs: dict[int, dict[str, SyncRun]] = defaultdict(dict)
    failed_runs: dict[int, int] = {}
    failed_pushes: dict[int, int] = {}
    failed_inbox: dict[int, int] = {}
    if ids:
        async with hub.db.session() as s:
            newest = (
                select(SyncRun.connection_id, SyncRun.kind, func.max(SyncRun.id).label("id"))
                .where(SyncRun.connection_id.in_(ids))
                .group_by(SyncRun.connection_id, SyncRun.kind)
                .subquery()
            )
            for run in (await s.execute(select(SyncRun).join(newest, newest.c.id == SyncRun.id))).scalars():
                last_runs[run.connection_id][run.kind] = run
            since = utcnow() - timedelta(hours=24)
            failed_runs = dict(
                (
                    await s.execute(
                        select(SyncRun.connection_id, func.count())
                        .where(
                            SyncRun.connection_id.in_(ids),
                            SyncRun.status == "failed",
                            SyncRun.started_at >= since,
                        )
                        .group_by(SyncRun.connection_id)
                    )
                ).all()
            )
            failed_pushes = dict(
                (
                    await s.execute(
                        select(PendingChange.connection_id, func.count())
                        .where(PendingChange.connection_id.in_(ids), PendingChange.last_error.is_not(None))
                        .group_by(PendingChange.connection_id)
                    )
                ).all()
            )
            failed_inbox = dict(
                (
                    await s.execute(
                        select(InboxItem.connection_id, func.count())
                        .where(InboxItem.connection_id.in_(ids), InboxItem.status == "failed")
                        .group_by(InboxItem.connection_id)
                    )
                ).all()
            )
    health = {cid: _health(c.row, last_runs.get(cid, {})) for cid, c in connections.items()}
    return render(
        request,
        viewer,
        "connections.html",
        health=health,
        connections=connections,
        last_runs=last_runs,
        failed_runs=failed_runs,
        failed_pushes=failed_pushes,
        failed_inbox=failed_inbox,
        kinds=[k.value for k in JobKind],
    )


def _health(row: Connection, runs: dict[str, SyncRun]) -> str:
    """error when the last check or the last run of any kind failed (a run before the last
    passing check does not count); ok when the last check passed
    or the runs all went well; unknown before anything was tried."""
    if row.last_check_error or any(failing(row, r.started_at, r.status) for r in runs.values()):
        return "error"
    if row.last_check_at is not None or runs:
        return "ok"
    return "unknown"


async def _owned(request: Request, account_id: int, connection_id: IdPath) -> Connection | None:
    async with hub_of(request).db.session() as s:
        row = await s.get(Connection, connection_id)
    return row if row is not None and row.account_id == account_id else None


@router.post("/connections/{connection_id}/check")
async def check(request: Request, connection_id: IdPath, viewer: Page) -> Response:
    back = url("/connections")
    _, t, refused = await checked_form(request, viewer, back)
    if refused:
        return refused
    hub = hub_of(request)
    row = await _owned(request, viewer.account_id, connection_id)
    if row is None:
        return redirect(request, back, ("error", t("not_found.text")))
    error, _, _ = await check_connection(hub, row)
    if error:
        return redirect(request, back, ("error", f"{row.name}: {error}"))
    return redirect(request, back, ("ok", f"{row.name}: {t('conn.checked_ok')}"))


@router.post("/connections/{connection_id}/sync")
async def sync(request: Request, connection_id: IdPath, viewer: Page) -> Response:
    back = url("/connections")
    form, t, refused = await checked_form(request, viewer, back)
    if refused:
        return refused
    row = await _owned(request, viewer.account_id, connection_id)
    if row is None:
        return redirect(request, back, ("error", t("not_found.text")))
    if not row.enabled:
        return redirect(request, back, ("error", t("conn.disabled")))
    try:
        kind = JobKind(form.get("kind") or "")
    except ValueError:
        return redirect(request, back, ("error", t("map.bad")))
    await hub_of(request).dispatcher.kick(connection_id, kind)
    return redirect(request, url("/runs"), ("ok", t("conn.sync_requested")))

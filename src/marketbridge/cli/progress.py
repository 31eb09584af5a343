"""Running one job from the command line with a live Rich display of its counts."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from marketbridge.runtime.redaction import redact
from marketbridge.store import accounts
from marketbridge.store.db import NotMigratedError
from marketbridge.store.tables import Connection, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.jobs import run_job
from marketbridge.wiring import Hub


async def run_with_progress(hub: Hub, connection_id: int, kind: JobKind) -> str:
    """Run the job, show its counts while it runs; returns the run's final status."""
    console = Console()
    try:
        await hub.db.check_migrated()
        async with hub.db.session() as s:
            conn = await s.get(Connection, connection_id)
            enabled = conn is not None and await accounts.account_enabled(s, conn.account_id)
            last = (
                await s.execute(select(SyncRun.id).order_by(SyncRun.id.desc()).limit(1))
            ).scalar_one_or_none() or 0
        if conn is None:
            console.print(f"[red]no connection {connection_id}[/red]")
            return "failed"
        if not enabled:
            console.print(f"[red]the account of connection {connection_id} is disabled[/red]")
            return "failed"
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task(f"{kind.value} on {conn.kind} '{conn.name}'", total=None)
            job = asyncio.create_task(run_job(hub, connection_id, kind, trigger="manual"))
            while not job.done():
                await asyncio.sleep(0.5)
                row = await _latest(hub, connection_id, kind, last)
                if row is not None:
                    counts = ", ".join(f"{k} {v}" for k, v in sorted(row.counts.items()))
                    bar.update(task, description=f"{kind.value} on {conn.kind} '{conn.name}': {counts}")
            try:
                started = job.result()
            except Exception as exc:  # told to the operator: the run is failed
                console.print(f"[red]failed: {redact(f'{type(exc).__name__}: {exc}')}[/red]")
                return "failed"
            if not started:
                console.print("[yellow]another worker is running this job right now[/yellow]")
                return "busy"
        row = await _latest(hub, connection_id, kind, last)
        if row is None:
            console.print("[yellow]nothing to do[/yellow]")
            return "ok"
        colour = {"ok": "green", "partial": "yellow"}.get(row.status, "red")
        console.print(
            f"[{colour}]{row.status}[/{colour}] {row.counts}" + (f" — {row.error}" if row.error else "")
        )
        for item in row.errors[:20]:
            console.print(f"  {item.get('key')}: {item.get('message')}")
        return row.status
    except NotMigratedError as exc:
        console.print(f"[red]{exc}[/red]")
        return "failed"
    finally:
        await hub.aclose()


async def _latest(hub: Hub, connection_id: int, kind: JobKind, after: int) -> SyncRun | None:
    async with hub.db.session() as s:
        return (
            await s.execute(
                select(SyncRun)
                .where(SyncRun.connection_id == connection_id, SyncRun.kind == kind.value, SyncRun.id > after)
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

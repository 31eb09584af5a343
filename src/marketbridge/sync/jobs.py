"""Running one job of one kind for one connection: under a lease, recorded as a sync run.

The lease makes sure that each (connection, kind) runs in at most one worker at a time on
any number of machines; a run renews it while it works, and a crashed holder's lease
expires so another worker takes over. A run writes three times: the lease taken, the run
row, and the run's outcome with the lease released in one transaction (if that commit
fails, the lease runs out after its time to live, as a crashed holder's does). A read of the
new-order feed, one call, writes twice: its run row is written at its end, with the release.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.roles import (
    CardExporter,
    CatalogSource,
    NewOrderFeed,
    OrderSource,
    PriceSink,
    PriceSource,
    ReturnsSource,
    StockSink,
    StockSource,
    has_role,
)
from marketbridge.store import accounts, leases
from marketbridge.store.tables import Connection, Link
from marketbridge.sync import catalog, ledger, orders, pushing, returns, stock_import
from marketbridge.sync.dispatch import ChangeKind, JobKind
from marketbridge.sync.runs import recorded_run

if TYPE_CHECKING:
    from marketbridge.sync.services import Services


#: The role a connection's channel must play for a job of each kind to make sense.
JOB_ROLES: dict[JobKind, type] = {
    JobKind.STOCKS: StockSink,
    JobKind.PRICES: PriceSink,
    JobKind.ORDERS: OrderSource,
    JobKind.NEW_ORDERS: NewOrderFeed,
    JobKind.CATALOG: CatalogSource,
    JobKind.RETURNS: ReturnsSource,
    JobKind.MODERATION: CardExporter,
    JobKind.PRICE_IMPORT: PriceSource,
    JobKind.STOCK_IMPORT: StockSource,
}

#: Jobs of one call, recorded once at their end (nothing to watch while they run).
ONE_CALL_JOBS = frozenset({JobKind.NEW_ORDERS})


def lease_name(connection_id: int, kind: JobKind) -> str:
    return f"job:{connection_id}:{kind.value}"


async def _renew(hub: Services, name: str) -> None:
    ttl = hub.settings.lease_ttl
    while True:
        await asyncio.sleep(ttl / 3)
        await leases.renew(hub.db, name, hub.worker_id, ttl)


async def run_job(hub: Services, connection_id: int, kind: JobKind, trigger: str = "schedule") -> bool:
    """Run the job if nobody else is running it; returns False when the lease was taken."""
    name = lease_name(connection_id, kind)
    if not await leases.acquire(hub.db, name, hub.worker_id, hub.settings.lease_ttl):
        return False
    renewer = asyncio.create_task(_renew(hub, name))
    released = False

    async def release_with_run(s: AsyncSession) -> None:
        nonlocal released
        await leases.drop(s, name, hub.worker_id)
        released = True

    try:
        async with hub.db.reading() as s:
            conn = await s.get(Connection, connection_id)
            active = conn is not None and conn.enabled and await accounts.account_enabled(s, conn.account_id)
        if conn is None or not active:
            return True
        change_kind = ChangeKind.pushed_by(kind)
        if change_kind is not None and not await pushing.has_due(hub.db, conn.id, change_kind):
            return True
        await _execute(hub, conn, kind, trigger, also=release_with_run)
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        if not released:  # no run was recorded (nothing to do)
            await leases.release(hub.db, name, hub.worker_id)
    return True


async def _execute(
    hub: Services,
    conn: Connection,
    kind: JobKind,
    trigger: str,
    also: Callable[[AsyncSession], Awaitable[object]] | None = None,
) -> None:
    """One run; the changes and events it records kick the worker after their commits. `also`
    goes into the transaction that records the run's end."""
    channel = hub.channels.get(conn)
    role = JOB_ROLES.get(kind)
    if role is not None and not has_role(channel, role):
        return  # the marketplace has no such role: nothing to run, no run recorded
    async with recorded_run(
        hub.db, conn.account_id, conn.id, kind.value, trigger, also=also, at_start=kind not in ONE_CALL_JOBS
    ) as rec:
        if kind == JobKind.STOCKS:
            await pushing.push_pending(hub.db, conn, channel, ChangeKind.STOCK, rec)
        elif kind == JobKind.PRICES:
            await pushing.push_pending(hub.db, conn, channel, ChangeKind.PRICE, rec)
        elif kind == JobKind.ORDERS:
            await orders.poll_orders(hub.db, conn, channel, rec)
        elif kind == JobKind.NEW_ORDERS:
            await orders.read_new_orders(hub.db, conn, channel, rec)
        elif kind == JobKind.CATALOG:
            await catalog.import_catalog(hub.db, conn, channel, rec)
        elif kind == JobKind.RETURNS:
            await returns.import_returns(hub.db, conn, channel, rec)
        elif kind == JobKind.MODERATION:
            rec.count("open", await catalog.follow_moderation(hub.db, conn, channel, rec))
        elif kind == JobKind.PRICE_IMPORT:
            await catalog.import_prices(hub.db, conn, channel, rec)
        elif kind == JobKind.STOCK_IMPORT:
            await stock_import.import_stocks(hub.db, conn, channel, rec)
        elif kind == JobKind.RECONCILE:
            async with hub.db.session() as s:
                offer_ids = [
                    r[0]
                    for r in await s.execute(
                        select(Link.entity_id).where(
                            Link.connection_id == conn.id, Link.entity_kind == "offer"
                        )
                    )
                ]
                await ledger.stock_changed(s, conn.account_id, offer_ids, connection_id=conn.id, force=True)
                await ledger.price_changed(s, conn.account_id, offer_ids, connection_id=conn.id, force=True)
            rec.count("queued", len(offer_ids))

"""The scheduler: decides what runs when, for every connection of every account.

Every tick (half a second, or at once when woken by `Dispatcher.wake`) it starts the
pushers of connections that have due pending changes, so a change reaches the marketplace
within about a second even if its kick was lost; the processing of received pushes (inbox);
a round of webhook delivery (outbox); and the periodic jobs whose interval has passed. A wake
starts the inbox and webhook rounds itself, without waiting for the tick's reads. Webhook
rounds started by wakes overlap (up to WEBHOOK_ROUNDS): a round ends only when every attempt
it sent is recorded, a write that can wait for the database's write lock, and the next order's
webhook need not wait for that (each round claims its deliveries, so none is sent twice).
Intervals are configurable per connection (`schedule` in the connection's settings, seconds
per job kind); without one, a connection polls orders (and reads its new-order feed, where the
marketplace has one) as often as its marketplace's declared quota allows (channels/quota.py),
the other jobs at DEFAULT_SCHEDULE. Jobs already running in this process are not started twice; across
processes the job lease decides. A worker runs at most `worker_jobs` jobs at once (MB_WORKER_JOBS),
periodic ones at most half of them; the others wait for a turn before they take their lease,
periodic ones in the order of sync/poll_turns.py (the new-order feed ahead of the other polls).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import func, select, update

from marketbridge.channels import registry
from marketbridge.channels.quota import poll_intervals
from marketbridge.store import leases
from marketbridge.store.tables import Account, Connection, InboxItem, PendingChange, SyncRun
from marketbridge.store.types import utcnow
from marketbridge.sync.dispatch import ChangeKind, JobKind
from marketbridge.sync.gauges import GAUGE_SECONDS, refresh_gauges
from marketbridge.sync.inbox import process_inbox
from marketbridge.sync.jobs import run_job
from marketbridge.sync.poll_turns import PollTurns
from marketbridge.sync.runs import prune_runs
from marketbridge.sync.webhook_delivery import deliver_due

if TYPE_CHECKING:
    from marketbridge.sync.services import Services

log = structlog.get_logger(__name__)

#: Default seconds between runs of each periodic job (0 switches a job off); for orders, the
#: slowest a marketplace's quota may make it.
DEFAULT_SCHEDULE: dict[JobKind, float] = {
    JobKind.ORDERS: 60,
    JobKind.RECONCILE: 15 * 60,
    JobKind.CATALOG: 15 * 60,
    JobKind.RETURNS: 10 * 60,
    JobKind.MODERATION: 60,
}
TICK_SECONDS = 0.5
#: Webhook rounds that may run at once when wakes come while one is recording its attempts.
WEBHOOK_ROUNDS = 3
#: How often the scheduler looks for periodic jobs that are due (and whenever the next one is).
DUE_CHECK_SECONDS = TICK_SECONDS
#: The shortest pause before looking for due periodic jobs again.
MIN_WAIT_SECONDS = 0.005
#: How often old runs that went well are deleted (sync/runs.py).
PRUNE_SECONDS = 60.0
#: How often the worker beats and reaps the runs of lost workers.
PERIODIC_CHECK_SECONDS = 2.0
#: "Never ran": a start long before any interval.
LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
#: A run that has not beaten for this long lost its worker.
LOST_RUN_SECONDS = 300.0


def schedule_for(kind: str, settings: dict[str, object]) -> dict[JobKind, float]:
    """Seconds between runs of each periodic job of a connection to marketplace `kind`.

    Precedence: the connection's `schedule` setting, then (orders, new orders) the intervals
    the marketplace's quota allows, then DEFAULT_SCHEDULE. New orders are read only where the
    marketplace has a feed of them (or the setting asks for it).
    """
    plan = dict(DEFAULT_SCHEDULE)
    try:
        polls = poll_intervals(registry.get(kind), plan[JobKind.ORDERS])
        plan[JobKind.ORDERS] = polls.orders
        if polls.new_orders is not None:
            plan[JobKind.NEW_ORDERS] = polls.new_orders
    except KeyError:
        log.warning("unknown_channel_kind", kind=kind)
    overrides = settings.get("schedule")
    if isinstance(overrides, dict):
        for name, seconds in overrides.items():
            try:
                plan[JobKind(name)] = float(seconds)
            except (ValueError, TypeError):
                log.warning("bad_schedule_entry", name=name, value=seconds)
    return plan


class Scheduler:
    def __init__(self, hub: Services) -> None:
        self.hub = hub
        self.running: dict[tuple[int, JobKind], asyncio.Task[bool]] = {}
        #: Jobs asked for while they were running: each runs once more right after.
        self._again: dict[tuple[int, JobKind], str] = {}
        self._wake = asyncio.Event()
        self._helpers: dict[str, asyncio.Task[int]] = {}
        #: Background rounds asked for by a wake while they were running: each runs once more after.
        self._helpers_again: dict[str, Callable[[], Awaitable[int]]] = {}
        #: How many rounds of each kind wakes may run at once (webhooks: WEBHOOK_ROUNDS).
        self._parallel: dict[str, int] = {}
        self._last_periodic = float("-inf")
        self._last_due_check = float("-inf")
        #: Loop time at which the next periodic job is due.
        self._due_at = float("inf")
        self._last_prune = float("-inf")
        #: (connection id, job) with its interval and last recorded start, read every PERIODIC_CHECK_SECONDS.
        self._plans: list[tuple[tuple[int, JobKind], float, datetime]] = []
        self._last_gauges = float("-inf")
        self._last_started: dict[tuple[int, JobKind], datetime] = {}
        self._stopping = False
        #: At most `worker_jobs` jobs run at once, so they never wait on each other for the
        #: database pool (which would fail them) but for a turn; periodic runs (polls) take at
        #: most half of the turns, so a change or a kick never queues behind a hundred polls.
        jobs = hub.settings.worker_jobs
        self._slots = asyncio.Semaphore(jobs)
        self._periodic_turns = PollTurns(max(1, jobs // 2))

    def wake(self) -> None:
        """New work was recorded (a push stored, an event written): the inbox and webhook rounds
        start now, or once more right after the running one, and the next tick comes at once."""
        if not self._stopping:
            self._start_helper("inbox", lambda: process_inbox(self.hub), again=True)
            self._start_helper("webhooks", lambda: deliver_due(self.hub), again=True, parallel=WEBHOOK_ROUNDS)
        self._wake.set()

    def start(self, connection_id: int, kind: JobKind, trigger: str = "schedule") -> bool:
        """Start the job now (True). If it is running (False), a kick or a due change runs it
        once more as soon as it ends (the run may have read its work before that change was
        committed); a periodic start just waits for the next period."""
        key = (connection_id, kind)
        task = self.running.get(key)
        if task is not None and not task.done():
            if trigger != "schedule":
                self._again.setdefault(key, trigger)
            return False
        self._last_started[key] = utcnow()
        task = asyncio.create_task(self._guarded(connection_id, kind, trigger))
        self.running[key] = task
        task.add_done_callback(lambda _: self._rerun(key))
        return True

    def _rerun(self, key: tuple[int, JobKind]) -> None:
        trigger = self._again.pop(key, None)
        if trigger is not None and not self._stopping:
            self.start(*key, trigger)

    async def _guarded(self, connection_id: int, kind: JobKind, trigger: str) -> bool:
        try:
            async with contextlib.AsyncExitStack() as turn:
                if trigger == "schedule":
                    await turn.enter_async_context(self._periodic_turns.turn(kind))
                await turn.enter_async_context(self._slots)
                return await run_job(self.hub, connection_id, kind, trigger)
        except Exception as exc:  # recorded on the run row already; the worker goes on
            log.warning(
                "job_failed",
                connection_id=connection_id,
                kind=kind.value,
                error=f"{type(exc).__name__}: {exc}",
            )
            return False

    def _start_helper(
        self, name: str, fn: Callable[[], Awaitable[int]], again: bool = False, parallel: int = 1
    ) -> None:
        """Start a background round (inbox, webhooks, ...) unless one is running (`parallel`: unless
        that many are). With `again` (a wake: new work was recorded), a running round is followed
        by one more right after it, since the work may have been committed after it looked."""
        self._parallel[name] = max(parallel, self._parallel.get(name, 1))
        slots = [name] + [f"{name}:{n}" for n in range(1, parallel)]
        free = [slot for slot in slots if (t := self._helpers.get(slot)) is None or t.done()]
        if not free:
            if again:
                self._helpers_again[name] = fn
            return
        slot = free[0]

        async def guarded() -> int:
            try:
                return await fn()
            except Exception as exc:
                log.warning("background_failed", name=name, error=f"{type(exc).__name__}: {exc}")
                return 0

        task = asyncio.create_task(guarded())
        self._helpers[slot] = task
        task.add_done_callback(lambda _: self._helper_again(name))

    def _helper_again(self, name: str) -> None:
        fn = self._helpers_again.pop(name, None)
        if fn is not None and not self._stopping:
            self._start_helper(name, fn, again=True, parallel=self._parallel.get(name, 1))

    async def tick(self) -> None:
        now = utcnow()
        async with self.hub.db.reading() as s:
            due = (
                await s.execute(
                    select(PendingChange.connection_id, PendingChange.kind)
                    .join(Connection, Connection.id == PendingChange.connection_id)
                    .join(Account, Account.id == Connection.account_id)
                    .where(PendingChange.next_attempt_at <= now, Account.disabled_at.is_(None))
                    .distinct()
                )
            ).all()
            inbox_waiting = (
                await s.execute(select(InboxItem.id).where(InboxItem.status == "new").limit(1))
            ).first()
        for connection_id, kind in due:
            self.start(connection_id, ChangeKind(kind).job, "change")
        if inbox_waiting:
            self._start_helper("inbox", lambda: process_inbox(self.hub))
        self._start_helper("webhooks", lambda: deliver_due(self.hub))
        loop_now = asyncio.get_running_loop().time()
        if loop_now - self._last_prune >= PRUNE_SECONDS:
            self._last_prune = loop_now
            self._start_helper("prune", lambda: prune_runs(self.hub.db))
        if loop_now - self._last_gauges >= GAUGE_SECONDS:
            self._last_gauges = loop_now
            self._start_helper("gauges", lambda: refresh_gauges(self.hub.db))
        if loop_now - self._last_periodic >= PERIODIC_CHECK_SECONDS:
            self._last_periodic = loop_now
            await self._periodic(now)
        if loop_now >= self._due_at or loop_now - self._last_due_check >= DUE_CHECK_SECONDS:
            self._last_due_check = loop_now
            self._due_at = loop_now + self._start_due(now)

    async def _periodic(self, now: datetime) -> None:
        """Beat, reap lost runs, and read which periodic jobs each connection has and when they last ran."""
        await leases.beat(self.hub.db, self.hub.worker_id)
        await self._reap_lost_runs(now)
        async with self.hub.db.reading() as s:
            connections = [
                (conn_id, schedule_for(conn_kind, settings))
                for conn_id, conn_kind, settings in await s.execute(
                    select(Connection.id, Connection.kind, Connection.settings)
                    .join(Account, Account.id == Connection.account_id)
                    .where(Connection.enabled.is_(True), Account.disabled_at.is_(None))
                )
            ]
            # a job last run before the longest interval is due whenever it ran: only newer runs matter
            horizon = max((sec for _, plan in connections for sec in plan.values()), default=0.0)
            last_runs = {
                (conn_id, kind): started
                for conn_id, kind, started in await s.execute(
                    select(SyncRun.connection_id, SyncRun.kind, func.max(SyncRun.started_at))
                    .where(SyncRun.started_at >= now - timedelta(seconds=horizon + DUE_CHECK_SECONDS))
                    .group_by(SyncRun.connection_id, SyncRun.kind)
                )
            }
        self._plans = [
            ((conn_id, kind), seconds, _aware(last_runs.get((conn_id, kind.value))) or LONG_AGO)
            for conn_id, plan in connections
            for kind, seconds in plan.items()
            if seconds > 0
        ]

    def _start_due(self, now: datetime) -> float:
        """Start every periodic job whose interval has passed since it last started (here or anywhere);
        returns the seconds until the next one is due, so that the run loop looks again right then (an
        order poll every 1.2 s starts every 1.2 s, not at the next whole tick).

        A start here counts from its tick's `now`, so an interval is kept exactly: the run row
        of that start, written a moment later, is recognised as ours (recorded within a tick
        after it). A later recorded start is another worker's. A job due while it still runs
        starts at a later tick.
        """
        late = timedelta(seconds=DUE_CHECK_SECONDS)
        next_due = TICK_SECONDS
        for key, seconds, recorded in self._plans:
            ours = self._last_started.get(key)
            if ours is None:
                last = recorded
            elif recorded - ours < late:
                last = ours
            else:
                last = recorded
            left = (last + timedelta(seconds=seconds) - now).total_seconds()
            if left <= 0:
                if self.start(*key):
                    self._last_started[key] = now
                    next_due = min(next_due, seconds)
            else:
                next_due = min(next_due, left)
        return next_due

    async def _reap_lost_runs(self, now: datetime) -> None:
        """Mark runs whose worker stopped beating (it crashed) as failed, so none shows 'running' forever."""
        silent = now - timedelta(seconds=max(LOST_RUN_SECONDS, 10 * self.hub.settings.lease_ttl))
        async with self.hub.db.session() as s:
            await s.execute(
                update(SyncRun)
                .where(SyncRun.status == "running", SyncRun.heartbeat_at < silent)
                .values(
                    status="failed", finished_at=now, error="the worker running it stopped (no heartbeat)"
                )
            )

    async def run(self, stop: asyncio.Event) -> None:
        log.info("scheduler_started", worker=self.hub.worker_id)
        while not stop.is_set():
            # cleared before the tick: a wake that comes while the tick runs starts the next one at once
            self._wake.clear()
            try:
                await self.tick()
            except Exception as exc:  # a database hiccup must not end the worker
                log.warning("tick_failed", error=f"{type(exc).__name__}: {exc}")
            await self._until_next_tick(stop)
        await self.drain()

    async def _until_next_tick(self, stop: asyncio.Event) -> None:
        """Wait TICK_SECONDS or for a wake; a periodic job due meanwhile is started when it is due
        (without the tick's reads), so an interval that is no whole number of ticks is kept."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time() + TICK_SECONDS
        while not stop.is_set():
            wait = min(next_tick, self._due_at) - loop.time()
            try:
                await asyncio.wait_for(self._wake.wait(), max(wait, MIN_WAIT_SECONDS))
                return
            except TimeoutError:
                if loop.time() >= next_tick:
                    return
                self._due_at = loop.time() + self._start_due(utcnow())

    async def drain(self) -> None:
        self._stopping = True
        self._again.clear()
        self._helpers_again.clear()
        tasks = [t for t in (*self.running.values(), *self._helpers.values()) if not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)

"""Order polling follows each marketplace's declared quota, and a connection setting overrides it.

Polling may use at most half of every rate-limit group its calls belong to; a full poll never
runs more often than once a second, a read of the new-order feed (where the marketplace has
one, taking most of that half) never more often than twice a second, neither less often than
the hub's default interval.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from marketbridge.channels import registry
from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.channels.quota import (
    FASTEST_NEW_ORDERS,
    FASTEST_POLL,
    NEW_ORDERS_SHARE,
    POLL_SHARE,
    PollIntervals,
    poll_intervals,
)
from marketbridge.channels.roles import NewOrderFeed, has_role
from marketbridge.channels.spec import ChannelSpec
from marketbridge.runtime.ratelimit import RateLimit
from marketbridge.runtime.settings import Settings
from marketbridge.sync import scheduler as scheduler_module
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.scheduler import DEFAULT_SCHEDULE, LONG_AGO, TICK_SECONDS, Scheduler, schedule_for

#: The scheduler reads only its settings from the hub in these tests.
NO_HUB = SimpleNamespace(settings=Settings())

LIST = Endpoint("GET", "/orders", "orders")
STATUS = Endpoint("POST", "/orders/status", "orders")
SLOW = Endpoint("GET", "/orders/slow", "slow")
NEW = Endpoint("GET", "/orders/new", "orders")


def _spec(
    limits: dict[str, RateLimit], calls: tuple[Endpoint, ...], feed: tuple[Endpoint, ...] = ()
) -> ChannelSpec:
    api = ApiDeclaration.of((LIST, STATUS, SLOW, NEW), limits)
    return ChannelSpec("test", "Test", (), {}, object, api=api, order_poll_calls=calls, new_order_calls=feed)


def order_poll_seconds(spec: ChannelSpec, default: float) -> float:
    return poll_intervals(spec, default).orders


def test_each_call_of_a_poll_counts_against_half_of_its_group() -> None:
    # 300 a minute: a call every 0.2 s; two calls at half the budget: a poll every 0.8 s -> 1 s floor
    spec = _spec({"orders": RateLimit(300, 60), "slow": RateLimit(1, 60)}, (LIST, STATUS))
    assert order_poll_seconds(spec, 60) == FASTEST_POLL
    # 60 a minute: two calls at half the budget: every 4 s
    spec = _spec({"orders": RateLimit(60, 60), "slow": RateLimit(1, 60)}, (LIST, STATUS))
    assert order_poll_seconds(spec, 60) == pytest.approx(2 / POLL_SHARE)


def test_the_tightest_group_decides_and_the_default_is_the_slowest() -> None:
    spec = _spec({"orders": RateLimit(300, 60), "slow": RateLimit(20, 60)}, (LIST, SLOW))
    assert order_poll_seconds(spec, 60) == pytest.approx(6.0)
    spec = _spec({"orders": RateLimit(300, 60), "slow": RateLimit(1, 60)}, (LIST, SLOW))
    assert order_poll_seconds(spec, 60) == 60


def test_without_declared_poll_calls_the_default_holds() -> None:
    spec = ChannelSpec("test", "Test", (), {}, object)
    assert poll_intervals(spec, 60) == PollIntervals(60, None)


def test_a_new_order_feed_takes_most_of_the_share_and_the_full_poll_the_rest() -> None:
    # 300 a minute (a call every 0.2 s), half for polling: 2.5 calls a second in all
    spec = _spec({"orders": RateLimit(300, 60), "slow": RateLimit(1, 60)}, (NEW, LIST, STATUS), (NEW,))
    plan = poll_intervals(spec, 60)
    assert plan.new_orders == pytest.approx(0.2 / (POLL_SHARE * NEW_ORDERS_SHARE))
    feed_share = 0.2 / plan.new_orders
    assert plan.orders == pytest.approx(3 * 0.2 / (POLL_SHARE - feed_share))
    calls_per_second = 1 / plan.new_orders + 3 / plan.orders
    assert calls_per_second == pytest.approx(POLL_SHARE * 300 / 60)
    # a generous quota: both at their floors
    spec = _spec({"orders": RateLimit(6000, 60), "slow": RateLimit(1, 60)}, (LIST,), (NEW,))
    assert poll_intervals(spec, 60) == PollIntervals(FASTEST_POLL, FASTEST_NEW_ORDERS)
    # a feed in a group without a declared limit: the defaults
    api = ApiDeclaration.of((LIST, Endpoint("GET", "/feed", "default")), {"orders": RateLimit(300, 60)})
    undeclared = ChannelSpec(
        "test", "Test", (), {}, object, api=api, order_poll_calls=(LIST,), new_order_calls=api.endpoints[1:]
    )
    assert poll_intervals(undeclared, 60) == PollIntervals(60, None)


@pytest.mark.parametrize("kind", sorted(registry.load_all()))
def test_every_marketplace_polls_orders_as_its_quota_allows(kind: str) -> None:
    spec = registry.get(kind)
    assert spec.api is not None and spec.order_poll_calls, f"{kind} declares no order poll calls"
    assert all(call in spec.api.endpoints for call in (*spec.order_poll_calls, *spec.new_order_calls))
    plan = schedule_for(kind, {})
    assert plan[JobKind.ORDERS] == order_poll_seconds(spec, DEFAULT_SCHEDULE[JobKind.ORDERS])
    assert FASTEST_POLL <= plan[JobKind.ORDERS] < DEFAULT_SCHEDULE[JobKind.ORDERS]
    # a feed is read where, and only where, the channel has one and declares its calls
    feeds = has_role(spec.channel_class, NewOrderFeed)
    assert feeds == bool(spec.new_order_calls), f"{kind}: NewOrderFeed and new_order_calls go together"
    assert (JobKind.NEW_ORDERS in plan) == feeds
    if feeds:
        assert FASTEST_NEW_ORDERS <= plan[JobKind.NEW_ORDERS] < plan[JobKind.ORDERS]


@pytest.mark.parametrize("kind", sorted(registry.load_all()))
def test_a_schedule_setting_overrides_the_quota(kind: str) -> None:
    assert schedule_for(kind, {"schedule": {"orders": 300}})[JobKind.ORDERS] == 300
    assert schedule_for(kind, {"schedule": {"orders": 0}})[JobKind.ORDERS] == 0
    assert schedule_for(kind, {"schedule": {"returns": 5}})[JobKind.RETURNS] == 5
    assert schedule_for(kind, {"schedule": {"new_orders": 0}})[JobKind.NEW_ORDERS] == 0


def test_an_unknown_marketplace_keeps_the_defaults() -> None:
    assert schedule_for("no-such-market", {}) == DEFAULT_SCHEDULE


@pytest.fixture
def instant_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs that end at once (only when they start matters here)."""

    async def run_job(hub: object, connection_id: int, kind: JobKind, trigger: str = "schedule") -> bool:
        return True

    monkeypatch.setattr(scheduler_module, "run_job", run_job)


@pytest.mark.usefixtures("instant_jobs")
async def test_a_due_job_starts_again_exactly_one_interval_after_its_tick() -> None:
    started: list[datetime] = []

    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    key = (1, JobKind.ORDERS)
    scheduler._plans = [(key, 1.0, LONG_AGO)]
    tick = datetime(2030, 1, 1, tzinfo=UTC)
    for n in range(4):  # ticks every half second over 1.5 s: starts at 0 s and at 1 s
        now = tick + timedelta(seconds=n / 2)
        scheduler._start_due(now)
        if scheduler._last_started.get(key) == now:
            started.append(now)
        await scheduler.drain()
    assert started == [tick, tick + timedelta(seconds=1)]


@pytest.mark.usefixtures("instant_jobs")
async def test_a_run_another_worker_started_counts_in_full() -> None:
    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    key = (1, JobKind.ORDERS)
    tick = datetime(2030, 1, 1, tzinfo=UTC)
    scheduler._plans = [(key, 1.0, LONG_AGO)]
    scheduler._start_due(tick)  # ours, at 0 s
    await scheduler.drain()
    scheduler._stopping = False
    elsewhere = tick + timedelta(seconds=0.7)  # another worker's run, recorded later
    scheduler._plans = [(key, 1.0, elsewhere)]
    scheduler._start_due(tick + timedelta(seconds=1.5))
    assert scheduler._last_started[key] == tick, "0.8 s after the other worker's run: not due"
    scheduler._start_due(tick + timedelta(seconds=2))
    assert scheduler._last_started[key] == tick + timedelta(seconds=2)
    await scheduler.drain()


@pytest.mark.usefixtures("instant_jobs")
async def test_the_next_tick_comes_when_the_next_job_is_due() -> None:
    """An interval that is no whole number of ticks is kept: the scheduler is told when to look again."""

    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    key = (1, JobKind.ORDERS)
    scheduler._plans = [(key, 1.2, LONG_AGO)]
    tick = datetime(2030, 1, 1, tzinfo=UTC)
    assert scheduler._start_due(tick) == TICK_SECONDS  # started; due again after more than a tick
    await scheduler.drain()
    assert scheduler._start_due(tick + timedelta(seconds=1)) == pytest.approx(0.2)
    assert scheduler._last_started[key] == tick
    scheduler._start_due(tick + timedelta(seconds=1.2))
    assert scheduler._last_started[key] == tick + timedelta(seconds=1.2)
    await scheduler.drain()

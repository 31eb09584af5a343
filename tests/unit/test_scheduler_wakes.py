"""A wake is never lost: it starts the inbox and webhook rounds at once (or once more right after
a running one; webhook rounds also beside a running one, up to WEBHOOK_ROUNDS), and a wake
that comes during a tick starts the next tick without waiting.

Otherwise a push stored, or an event written, while the worker is busy would wait for the
clock's next tick instead of being handled at once.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from marketbridge.runtime.settings import Settings
from marketbridge.sync import scheduler as scheduler_module
from marketbridge.sync.scheduler import Scheduler

NO_HUB = SimpleNamespace(settings=Settings())


class GatedRounds:
    """Stands in for the inbox and webhook rounds: each waits for its gate; rounds are recorded."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: list[asyncio.Event] = []

    def round(self, name: str) -> Any:
        async def one(hub: Any) -> int:
            gate = asyncio.Event()
            self.gates.append(gate)
            self.started.append(name)
            await gate.wait()
            return 1

        return one

    async def finish_all(self) -> None:
        for gate in self.gates:
            gate.set()
        for _ in range(5):  # let the done-callbacks and any next rounds start
            await asyncio.sleep(0)


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> GatedRounds:
    fake = GatedRounds()
    monkeypatch.setattr(scheduler_module, "process_inbox", fake.round("inbox"))
    monkeypatch.setattr(scheduler_module, "deliver_due", fake.round("webhooks"))
    return fake


async def test_a_wake_starts_the_rounds_and_one_more_after_a_running_one(
    rounds: GatedRounds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "WEBHOOK_ROUNDS", 2)
    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    scheduler.wake()
    await asyncio.sleep(0)
    assert sorted(rounds.started) == ["inbox", "webhooks"]  # started by the wake, no tick needed
    scheduler.wake()  # more work recorded while both run: a second webhook round starts beside the first
    await asyncio.sleep(0)
    assert sorted(rounds.started) == ["inbox", "webhooks", "webhooks"]
    scheduler.wake()  # every webhook round is taken now: these only ask for one more after
    scheduler.wake()
    await asyncio.sleep(0)
    assert len(rounds.started) == 3
    await rounds.finish_all()
    assert sorted(rounds.started) == ["inbox", "inbox", "webhooks", "webhooks", "webhooks"]  # one more each
    await rounds.finish_all()
    assert len(rounds.started) == 5
    await scheduler.drain()


async def test_a_round_started_by_the_clock_adds_no_second_round(rounds: GatedRounds) -> None:
    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    webhooks = scheduler_module.deliver_due
    scheduler._start_helper("webhooks", lambda: webhooks(None))
    await asyncio.sleep(0)
    scheduler._start_helper("webhooks", lambda: webhooks(None))  # a tick: the next tick looks anyway
    await rounds.finish_all()
    assert rounds.started == ["webhooks"]
    await scheduler.drain()


async def test_a_wake_during_a_tick_starts_the_next_tick_at_once(
    rounds: GatedRounds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "TICK_SECONDS", 3600.0)  # only a wake can start a tick
    scheduler = Scheduler(hub=SimpleNamespace(worker_id="w1", settings=Settings()))  # type: ignore[arg-type]
    stop = asyncio.Event()
    ticks: list[int] = []

    async def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 2:
            stop.set()
        scheduler.wake()  # e.g. a push was stored while this tick read the database

    scheduler.tick = tick  # type: ignore[method-assign]
    await asyncio.wait_for(scheduler.run(stop), 60)
    assert ticks == [0, 1]

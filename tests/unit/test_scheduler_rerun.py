"""A kick that arrives while its job runs is not lost: the job runs once more right after.

The run may have read its pending changes before the kicked change was committed; without a
second run that change would wait for the scheduler's next tick. A periodic start during a
run adds nothing (the next period comes anyway).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from marketbridge.runtime.settings import Settings
from marketbridge.sync import scheduler as scheduler_module
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.scheduler import Scheduler

#: The scheduler reads only its settings from the hub in these tests.
NO_HUB = SimpleNamespace(settings=Settings())


class GatedJobs:
    """Stands in for run_job: each run waits for its gate, and every run is recorded."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, JobKind, str]] = []
        self.gates: list[asyncio.Event] = []

    async def __call__(self, hub: Any, connection_id: int, kind: JobKind, trigger: str = "schedule") -> bool:
        gate = asyncio.Event()
        self.gates.append(gate)
        self.runs.append((connection_id, kind, trigger))
        await gate.wait()
        return True

    async def finish_current(self) -> None:
        self.gates[-1].set()
        for _ in range(5):  # let the done-callback and any rerun start
            await asyncio.sleep(0)


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> GatedJobs:
    fake = GatedJobs()
    monkeypatch.setattr(scheduler_module, "run_job", fake)
    return fake


async def test_kicks_during_a_run_give_exactly_one_more_run(jobs: GatedJobs) -> None:
    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    scheduler.start(1, JobKind.STOCKS, "kick")
    await asyncio.sleep(0)
    scheduler.start(1, JobKind.STOCKS, "kick")
    scheduler.start(1, JobKind.STOCKS, "change")
    assert len(jobs.runs) == 1
    await jobs.finish_current()
    assert jobs.runs == [(1, JobKind.STOCKS, "kick"), (1, JobKind.STOCKS, "kick")]
    await jobs.finish_current()
    assert len(jobs.runs) == 2  # nothing was asked during the second run
    await scheduler.drain()


async def test_a_periodic_start_during_a_run_adds_no_run(jobs: GatedJobs) -> None:
    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    scheduler.start(2, JobKind.ORDERS)
    await asyncio.sleep(0)
    scheduler.start(2, JobKind.ORDERS)
    await jobs.finish_current()
    assert jobs.runs == [(2, JobKind.ORDERS, "schedule")]
    await scheduler.drain()


async def test_no_rerun_after_the_scheduler_drained(jobs: GatedJobs) -> None:
    scheduler = Scheduler(hub=NO_HUB)  # type: ignore[arg-type]
    scheduler.start(3, JobKind.PRICES, "kick")
    await asyncio.sleep(0)
    scheduler.start(3, JobKind.PRICES, "kick")
    await scheduler.drain()
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(jobs.runs) == 1

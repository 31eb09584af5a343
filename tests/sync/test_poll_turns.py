"""Periodic runs of a saturated worker: who goes next when a turn frees (sync/poll_turns.py)."""

from __future__ import annotations

import asyncio

from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.poll_turns import HEAD_START, PollTurns


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _queue(turns: PollTurns, kind: JobKind, order: list[str], name: str) -> asyncio.Task[None]:
    async def run() -> None:
        async with turns.turn(kind):
            order.append(name)

    task = asyncio.create_task(run())
    await asyncio.sleep(0)  # it asks for its turn now
    return task


async def _run_in_line(arrivals: list[tuple[float, JobKind, str]]) -> list[str]:
    """One holder; the runs ask for a turn at the clock times given; the order they got it."""
    clock, order = Clock(), []
    turns = PollTurns(1, clock=clock)
    tasks = []
    async with turns.turn(JobKind.CATALOG):
        for at, kind, name in arrivals:
            clock.now = at
            tasks.append(await _queue(turns, kind, order, name))
    await asyncio.gather(*tasks)
    return order


async def test_the_new_order_feed_goes_before_polls_that_asked_a_little_earlier() -> None:
    order = await _run_in_line(
        [(0.0, JobKind.ORDERS, "poll"), (1.0, JobKind.RETURNS, "returns"), (2.0, JobKind.NEW_ORDERS, "feed")]
    )
    assert order == ["feed", "poll", "returns"]


async def test_a_poll_that_waited_longer_than_the_head_start_goes_first() -> None:
    late = HEAD_START[JobKind.NEW_ORDERS] + 1.0
    order = await _run_in_line([(0.0, JobKind.ORDERS, "poll"), (late, JobKind.NEW_ORDERS, "feed")])
    assert order == ["poll", "feed"]


async def _both_turns_free(turns: PollTurns) -> None:
    async with asyncio.timeout(1), turns.turn(JobKind.ORDERS), turns.turn(JobKind.ORDERS):
        pass  # a lost turn would leave the second one waiting until the timeout


async def test_a_waiter_cancelled_while_it_waits_loses_no_turn() -> None:
    turns = PollTurns(2)
    order: list[str] = []
    async with turns.turn(JobKind.ORDERS), turns.turn(JobKind.ORDERS):
        gone = await _queue(turns, JobKind.NEW_ORDERS, order, "gone")
        kept = await _queue(turns, JobKind.ORDERS, order, "kept")
        gone.cancel()
        await asyncio.sleep(0)
    await kept
    assert order == ["kept"] and gone.cancelled()
    await _both_turns_free(turns)


async def test_a_waiter_cancelled_just_after_it_was_handed_the_turn_passes_it_on() -> None:
    turns = PollTurns(2)
    order: list[str] = []
    async with turns.turn(JobKind.ORDERS), turns.turn(JobKind.ORDERS):
        handed = await _queue(turns, JobKind.ORDERS, order, "handed")
    handed.cancel()  # the turn was handed to it as the block ended; it is cancelled before it runs
    await asyncio.gather(handed, return_exceptions=True)
    assert order == [] and handed.cancelled()
    await _both_turns_free(turns)

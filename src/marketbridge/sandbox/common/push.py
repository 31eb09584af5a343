"""Outgoing pushes of a sandbox: the marketplace calling the seller's URL.

Deliveries retry with growing pauses as the real marketplaces do (`retry_delays`, or a
marketplace's own schedule in `retry_pause`; answers in `final_statuses` are not repeated);
faults can duplicate a push or hold one back so that it arrives after a later one (out of
order). A marketplace that checks a new URL first (`greeting`) sends that when the URL is set. Every attempt
is recorded for the control API to read back. `emit` may be called from any thread (the
control API's handlers run in worker threads): it hands the push to the app's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class PushAttempt:
    url: str
    body: dict[str, Any]
    status: int | None
    error: str | None
    at: float


@dataclass
class PushSender:
    """Sends pushes to `url` in the background; `duplicate_rate` and `reorder_rate` inject faults."""

    url: str | None = None
    #: What the marketplace appends to the seller's URL (e.g. "/notification").
    suffix: str = ""
    #: The app's event loop (set when the app starts), for pushes emitted from other threads.
    loop: asyncio.AbstractEventLoop | None = None
    retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
    #: Where given: the pause after the n-th failed attempt (None: give up), instead of `retry_delays`.
    retry_pause: Callable[[int], float | None] | None = None
    #: Answers that end a delivery though they are no success (the marketplace does not repeat them).
    final_statuses: frozenset[int] = frozenset()
    #: Where given: the body sent first to a newly set URL (a marketplace's check of the URL).
    greeting: Callable[[], dict[str, Any]] | None = None
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0
    reorder_delay: float = 0.5
    timeout: float = 5.0
    attempts: list[PushAttempt] = field(default_factory=list)
    delivered: int = 0
    failed: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None
    _rng: random.Random = field(default_factory=random.Random)

    def set_url(self, url: str | None) -> None:
        """Point the pushes at `url`; a new URL gets the `greeting` first, where there is one."""
        changed, self.url = url != self.url, url
        if changed and url and self.greeting is not None:
            self.emit(self.greeting())

    def _pause(self, failed: int) -> float | None:
        if self.retry_pause is not None:
            return self.retry_pause(failed)
        return self.retry_delays[failed - 1] if failed <= len(self.retry_delays) else None

    def emit(self, body: dict[str, Any]) -> None:
        """`send` from the loop's thread or from a worker thread."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            self.send(body)
        elif self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.send, body)

    def send(self, body: dict[str, Any]) -> None:
        """Queue one push; returns at once. Nothing happens when no URL is configured."""
        if not self.url:
            return
        copies = 2 if self._rng.random() < self.duplicate_rate else 1
        delay = self.reorder_delay if self._rng.random() < self.reorder_rate else 0.0
        for _ in range(copies):
            task = asyncio.get_running_loop().create_task(self._deliver(self.url + self.suffix, body, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, body: dict[str, Any], delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        payload = json.dumps(body, ensure_ascii=False).encode()
        failed = 0
        while True:
            status: int | None = None
            error: str | None = None
            try:
                response = await self._client.post(
                    url, content=payload, headers={"Content-Type": "application/json"}
                )
                status = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            self.attempts.append(PushAttempt(url, body, status, error, time.time()))
            if status is not None and 200 <= status < 300:
                self.delivered += 1
                return
            failed += 1
            pause = None if status in self.final_statuses else self._pause(failed)
            if pause is None:
                break
            await asyncio.sleep(pause)
        self.failed += 1

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for every queued push to be delivered or given up."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None

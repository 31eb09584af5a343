"""Serving ASGI apps with uvicorn: on a loopback port in a background thread or in the running
loop (where several apps run in one process: the demo, the benchmarks and the tests), and the
hub's own server, which says where it listens before it answers anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import uvicorn

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` as `asyncio.run` does, on uvloop where it is installed (uvicorn[standard]
    brings it on Linux and macOS): its event loop and transports cost a fraction of the
    standard ones per request, which is most of what a cheap request costs."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or uvicorn without its extras
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


#: A collection of the youngest generation starts after this many more container objects were
#: made than freed (CPython's default is 700). A page of offers builds hundreds of dicts and
#: lists, and 50 requests in flight hold them at once, so with the default the collector ran
#: about a hundred times a second and the full collection it leads to every second or so, each
#: a pause of tens of milliseconds that every request in flight waited out. With 10,000 the
#: offers page took 0.95 ms of server CPU instead of 1.25 ms and its p99 halved (docs/performance.md).
GC_YOUNG_THRESHOLD = 10_000

#: How long an idle keep-alive connection stays open. uvicorn's default is 5 s, the same as the
#: idle expiry of httpx's pool: a client that reuses a connection just as the server closes it
#: gets "Server disconnected without sending a response". A server that waits longer than its
#: clients (httpx 5 s, browsers and most pools under a minute) leaves the closing to them.
KEEP_ALIVE_SECONDS = 75


def server_config(app: Any, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for every server here: quiet, with the app's lifespan, no access log,
    and idle connections kept KEEP_ALIVE_SECONDS."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def settle_garbage_collection() -> None:
    """Once a process has started: collect, freeze what start-up built (it lives as long as the
    process, so no collection walks it again) and collect the youngest generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that calls `announce` once it listens, before it handles a connection:
    uvicorn's start-up ends without giving the loop a turn after the socket is bound, so whoever
    reads the announcement after a first answer (a script waiting for the health check) finds it."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._announce()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """uvicorn in its own thread and event loop; `url` is its base URL."""

    def __init__(self, app: Any, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.server = uvicorn.Server(server_config(app, host, self.port))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"server-{self.port}")

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self, timeout: float = 15.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextmanager
def serve_app(app: Any, port: int | None = None) -> Iterator[ThreadedServer]:
    server = ThreadedServer(app, port).start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def serve_in_loop(app: Any, port: int | None = None, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve `app` as a task of the running event loop (sharing its resources); yields the base URL."""
    port = port or free_port(host)
    server = uvicorn.Server(server_config(app, host, port))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]  # the caller owns signals
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"server on port {port} did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task

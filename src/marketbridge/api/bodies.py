"""Request bodies: a size cap per route, the API key checked before a body is read, a read deadline.

A pure ASGI middleware, the outermost layer of the app, so nothing reads a body before it:
1. a `Content-Length` over the route's cap is answered 413 at once, before any of the body
   is read (`max_body_bytes`; the bulk routes have `max_bulk_body_bytes`);
2. on the seller API (`/api/`) the bearer key is checked next: a missing or unknown key is
   answered 401 without reading the body, and the caller found is handed to the route
   (`deps.reader`) so the key is looked up once;
3. the body is then read whole, counted as it arrives (413 once over the cap, also for a
   chunked body without a length) and within `body_timeout` seconds (408 for a client that
   sends too slowly); the app gets the body already read.
Refusals close the connection. A body found over its cap while being read is first drained
(discarded) up to `DRAIN_BYTES` more, for a short while, so a client still sending reads the 413
instead of a reset connection; past that bound the connection is simply closed.
"""

from __future__ import annotations

import asyncio
import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketbridge.api.deps import PRINCIPAL_SCOPE_KEY, authenticate, client_address
from marketbridge.api.problems import Problem, problem_response
from marketbridge.wiring import Hub

#: Routes taking up to 50,000 items: they get the larger cap.
BULK_ROUTES = re.compile(
    r"/api/v1/(catalog/(products|offers|bundles)/bulk|stocks/bulk|prices/bulk"
    r"|connections/[^/]+/category-mappings)/?"
)


#: How much more of a body over its cap is read and discarded before the 413 is sent.
DRAIN_BYTES = 1 << 20
#: How long the discarding may take, in seconds.
DRAIN_SECONDS = 2.0


class _TooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


def bearer_key(headers: Headers) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None."""
    scheme, _, raw = headers.get("authorization", "").partition(" ")
    return (raw.strip() or None) if scheme.lower() == "bearer" else None


class BodyGuard:
    """See the module docstring; `hub.settings` holds the caps and the deadline."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    def cap(self, path: str) -> int:
        settings = self.hub.settings
        return settings.max_bulk_body_bytes if BULK_ROUTES.fullmatch(path) else settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is None and "chunked" not in headers.get("transfer-encoding", "").lower():
            await self.app(scope, receive, send)  # no body
            return
        cap = self.cap(scope["path"])
        if length is not None and length.isdigit() and int(length) > cap:
            await _refuse(scope, receive, send, _too_large(cap))
            return
        if scope["path"].startswith("/api/"):
            try:
                scope[PRINCIPAL_SCOPE_KEY] = await authenticate(
                    self.hub, bearer_key(headers), client_address(scope), scope["path"]
                )
            except Problem as refused:
                await _refuse(scope, receive, send, refused)
                return
        try:
            body = await asyncio.wait_for(_read(receive, cap), self.hub.settings.body_timeout)
        except _TooLarge:
            await _drain(receive)
            await _refuse(scope, receive, send, _too_large(cap))
            return
        except TimeoutError:
            timeout = self.hub.settings.body_timeout
            late = Problem(408, "body_timeout", f"the body was not received within {timeout:g} seconds")
            await _refuse(scope, receive, send, late)
            return
        except _ClientGone:
            return
        await self.app(scope, _replay(body, receive), send)


def _too_large(cap: int) -> Problem:
    return Problem(413, "payload_too_large", f"the body of this route may be at most {cap} bytes")


async def _refuse(scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
    response = problem_response(problem)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


async def _read(receive: Receive, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _drain(receive: Receive) -> None:
    """Read and discard the rest of a body, within `DRAIN_BYTES` and `DRAIN_SECONDS`."""

    async def discard() -> None:
        size = 0
        while size <= DRAIN_BYTES:
            message = await receive()
            size += len(message.get("body", b""))
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return

    try:
        await asyncio.wait_for(discard(), DRAIN_SECONDS)
    except TimeoutError:
        return


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over the body read already, then whatever the client does next."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay

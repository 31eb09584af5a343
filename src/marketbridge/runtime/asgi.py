"""Request middlewares that cost nothing on the requests they leave alone.

A function middleware (`app.middleware("http")`, Starlette's `BaseHTTPMiddleware`) wraps every
request it sees in a task, two memory streams and a streaming response, whether it acts on
the request or not; with several of them stacked that was most of the time a simple GET took.
`Selective` is a pure ASGI layer that hands only the requests its `applies(scope)` accepts to
such a function, and passes every other one straight to the app.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.middleware.base import BaseHTTPMiddleware, DispatchFunction
from starlette.types import ASGIApp, Receive, Scope, Send

Applies = Callable[[Scope], bool]


class Selective:
    """Run `dispatch` (a function middleware) on the HTTP requests `applies` accepts only."""

    def __init__(self, app: ASGIApp, dispatch: DispatchFunction, applies: Applies) -> None:
        self.app = app
        self.applies = applies
        self.wrapped = BaseHTTPMiddleware(app, dispatch=dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.applies(scope):
            await self.wrapped(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def has_header(scope: Scope, name: bytes) -> bool:
    """Whether the request carries header `name` (lower case)."""
    return any(key == name for key, _ in scope["headers"])

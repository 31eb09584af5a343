"""Refuses NUL characters anywhere in a request: no database stores them in text, so they are a 422 up front.

Checked in the path, the query string and JSON bodies (as the `\\u0000` escape; a raw NUL byte
is not valid JSON and fails parsing anyway).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.types import Scope

from marketbridge.api.problems import FieldError, Problem, problem_response

#: `\u0000` preceded by an even number of backslashes (so not an escaped backslash followed by text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def _refuse(where: str) -> Response:
    return problem_response(
        Problem(
            422,
            "nul_character",
            "text must not contain the NUL character (U+0000)",
            errors=[FieldError(field=where, message="contains U+0000")],
        )
    )


def nul_guard_applies(scope: Scope) -> bool:
    """Requests `nul_guard_middleware` has something to check in: a body, or a NUL in the path or query."""
    if scope["method"] in ("POST", "PUT", "PATCH"):
        return True
    path: str = scope["path"]
    query: bytes = scope["query_string"]
    return "\x00" in path or "%00" in path or b"%00" in query or b"\x00" in query


async def nul_guard_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if "\x00" in request.url.path or "%00" in request.url.path:
        return _refuse("path")
    if "%00" in request.url.query or "\x00" in request.url.query:
        return _refuse("query")
    if request.method in ("POST", "PUT", "PATCH") and request.url.path.startswith("/api/"):
        body = await request.body()
        if _JSON_NUL.search(body):
            return _refuse("body")
    return await call_next(request)

"""Yandex Market's answers on errors and the request helpers every route module shares.

Every error is `{"status": "ERROR", "errors": [{"code", "message"}]}` (ApiErrorResponse).
Handlers raise `YmError`; the app turns it into that body. Page tokens are opaque to the
client: here, the offset to resume from, base64-encoded.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


class YmError(Exception):
    """An error answer: HTTP status and one or more (code, message)."""

    def __init__(self, status: int, code: str, message: str, *more: tuple[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [(code, message), *more]


def error_body(errors: list[tuple[str, str]]) -> dict[str, Any]:
    return {"status": "ERROR", "errors": [{"code": c, "message": m} for c, m in errors]}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body([(code, message)]), status_code=status, headers=headers)


def ok(result: Any = None, **extra: Any) -> dict[str, Any]:
    """A successful answer: `{"status": "OK", "result": ...}` (no result for EmptyApiResponse)."""
    body: dict[str, Any] = {"status": "OK", **extra}
    if result is not None:
        body["result"] = result
    return body


async def json_object(request: Request, required: bool = True) -> dict[str, Any]:
    """The request's JSON object (an absent body is {} where the method allows it), or 400."""
    raw = await request.body()
    if not raw:
        if required:
            raise YmError(400, "BAD_REQUEST", "Request body is required")
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", "Request body is not a valid JSON") from exc
    if not isinstance(body, dict):
        raise YmError(400, "BAD_REQUEST", "Request body must be a JSON object")
    return body


def items(body: dict[str, Any], key: str, *, most: int, least: int = 1) -> list[Any]:
    """`body[key]` as a list of `least`..`most` entries, or 400 naming the field."""
    value = body.get(key)
    if not isinstance(value, list):
        raise YmError(400, "BAD_REQUEST", f"{key}: must be an array")
    if not least <= len(value) <= most:
        raise YmError(400, "BAD_REQUEST", f"{key}: size must be between {least} and {most}")
    return value


def page_limit(request: Request, default: int, most: int) -> int:
    """The `limit` query parameter: a value above the maximum is cut down to it (truncateLimit)."""
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", "limit: must be an integer") from exc
    if value < 1:
        raise YmError(400, "BAD_REQUEST", "limit: must be greater than or equal to 1")
    return min(value, most)


def page_offset(request: Request) -> int:
    """Where the page starts: from `page_token` (or its alias `pageToken`), 0 without one."""
    token = request.query_params.get("page_token") or request.query_params.get("pageToken")
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode() + b"==").decode())
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", "page_token: invalid token") from exc
    if offset < 0:
        raise YmError(400, "BAD_REQUEST", "page_token: invalid token")
    return offset


def paging(offset: int, limit: int, total: int) -> dict[str, str]:
    """ForwardScrollingPagerDTO: the next page's token while items remain."""
    end = offset + limit
    if end >= total:
        return {}
    return {"nextPageToken": base64.urlsafe_b64encode(str(end).encode()).decode().rstrip("=")}


def string_list(value: Any, name: str, most: int) -> list[str] | None:
    """An optional filter list of strings (None when absent)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > most:
        raise YmError(400, "BAD_REQUEST", f"{name}: must be an array of at most {most} strings")
    return value

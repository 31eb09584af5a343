"""HTTP calls to the Partner API: the Api-Key header, the sending limits, Market's error shape, 420.

Every call goes through `ApiClient.send` with a declared endpoint; an item-counted method
spends one unit of its limit per item. Market's error body is
`{"status": "ERROR", "errors": [{"code", "message"}]}`; HTTP 420 is its "over the limit".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.errors import BadResponse
from marketbridge.channels.http import ApiClient, decode_json
from marketbridge.channels.yandex_market.endpoints import LIMIT_STATUS, SENDING_LIMITS

KIND = "yandex-market"


def parse_error(body: Any) -> tuple[str | None, str | None]:
    """(code, message) of an ApiErrorResponse: the first error's code, every message."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return None, None
    codes = [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")]
    messages = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")]
    return (codes[0] if codes else None, "; ".join(messages) or None)


def error_messages(body: Any) -> list[str]:
    """Every error message of an ApiErrorResponse (for naming the items a refusal is about)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("message") or "") for e in errors if isinstance(e, dict)]


class YmApi:
    """The Partner API for one connection."""

    def __init__(
        self,
        connection_id: str,
        base_url: str,
        api_key: str,
        limiter: Any,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = ApiClient(
            channel=KIND,
            hosts={"default": base_url},
            headers={"Api-Key": api_key, "Content-Type": "application/json"},
            key_prefix=f"{KIND}:{connection_id}",
            limiter=limiter,
            error_parser=parse_error,
            rate_limit_statuses=(LIMIT_STATUS, 429),
            transport=transport,
            limits=SENDING_LIMITS,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        endpoint: Endpoint,
        *,
        path: Mapping[str, object] | None = None,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        cost: int = 1,
    ) -> dict[str, Any]:
        """Send one call; the JSON object answered (BadResponse for anything else)."""
        response = await self.http.send(endpoint, path_params=path, json=body, params=query, cost=cost)
        data = decode_json(response, KIND)
        if not isinstance(data, dict):
            raise BadResponse(
                f"{KIND} {endpoint.path}: a JSON object was expected", status=response.status_code
            )
        return data

    async def document(
        self, endpoint: Endpoint, *, path: Mapping[str, object], query: Mapping[str, Any] | None = None
    ) -> bytes:
        """Send one call answered by a PDF; its bytes (BadResponse for anything else)."""
        response = await self.http.send(endpoint, path_params=path, params=query)
        if not response.content.startswith(b"%PDF"):
            raise BadResponse(f"{KIND} {endpoint.path}: a PDF was expected", status=response.status_code)
        return response.content


def field(data: Any, *path: str) -> Any:
    """A required field of an answer, by its path; BadResponse when the answer has another shape."""
    node = data
    for name in path:
        if not isinstance(node, dict) or name not in node:
            raise BadResponse(f"{KIND}: the answer has no {'.'.join(path)!r}")
        node = node[name]
    return node


def rows(data: Any, *path: str) -> list[dict[str, Any]]:
    """A required list of objects of an answer."""
    found = field(data, *path)
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        raise BadResponse(f"{KIND}: {'.'.join(path)} is not a list of objects")
    return found


def next_token(data: Any, *path: str) -> str | None:
    """paging.nextPageToken under `path`, None at the last page."""
    node = data
    for name in (*path, "paging"):
        node = node.get(name) if isinstance(node, dict) else None
    token = node.get("nextPageToken") if isinstance(node, dict) else None
    return str(token) if token else None


def int_of(value: Any, what: str) -> int:
    """An integer id of an answer; BadResponse when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise BadResponse(f"{KIND}: {what} is not an integer id: {value!r}")
    return int(value)

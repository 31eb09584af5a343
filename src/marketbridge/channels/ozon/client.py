"""HTTP calls to the Ozon Seller API: auth headers, the sending limits and Ozon's error shape.

The methods and Ozon's published limits are declared in `endpoints.py`; here every call goes
out through `ApiClient.send` at a margin under those limits, and a call of a group with its
own limit also waits on the global budget of the Client-Id. Ozon answers a wrong Api-Key
with 404 (code 5), so such answers are turned into AuthError here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.errors import (
    AuthError,
    BadResponse,
    ChannelError,
    NotFoundError,
    RequestRejected,
    TransientError,
)
from marketbridge.channels.http import ApiClient, decode_json
from marketbridge.channels.ozon.endpoints import OZON_API
from marketbridge.runtime.ratelimit import Limiter, RateLimit

DEFAULT_BASE_URL = "https://api-seller.ozon.ru"

#: How far under each published limit the connector sends: (requests fewer per period, burst),
#: so that jitter on the way never makes the server see more than Ozon allows.
MARGINS: dict[str, tuple[float, int]] = {
    "global": (5, 10),  # 45/s
    "stocks": (2, 20),  # 78/min
    "prices": (10, 10),  # 40/s
    "import": (10, 10),  # 40/s
}


def sending_limits(published: Mapping[str, RateLimit]) -> dict[str, RateLimit]:
    """What the connector's limiter enforces per group: each published figure less its margin."""
    missing = set(published) - set(MARGINS)
    if missing:
        raise ValueError(f"ozon: no sending margin for {', '.join(sorted(missing))}")
    return {
        group: RateLimit(
            count=limit.count - MARGINS[group][0], per_seconds=limit.per_seconds, burst=MARGINS[group][1]
        )
        for group, limit in published.items()
    }


LIMITS = sending_limits(OZON_API.limits)


def parse_error(body: Any) -> tuple[str | None, str | None]:
    """(code, message) of Ozon's rpcStatus body `{code, message, details}`."""
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message")
        return (str(code) if code is not None else None, str(message) if message is not None else None)
    return None, None


def _is_auth(error: ChannelError) -> bool:
    text = str(error)
    return "Api-Key" in text or "Api-key" in text or "Client-Id" in text


class OzonApi:
    """The Seller API for one connection."""

    def __init__(
        self,
        connection_id: str,
        base_url: str,
        client_id: str,
        api_key: str,
        limiter: Limiter,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.limiter = limiter
        self.key_prefix = f"ozon:{connection_id}"
        self.http = ApiClient(
            channel="ozon",
            hosts={"default": base_url},
            headers={"Client-Id": client_id, "Api-Key": api_key, "Content-Type": "application/json"},
            key_prefix=self.key_prefix,
            limiter=limiter,
            error_parser=parse_error,
            transport=transport,
            limits=LIMITS,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _send(self, endpoint: Endpoint, body: Mapping[str, Any] | None) -> httpx.Response:
        if endpoint.group != "global":
            await self.limiter.acquire(f"{self.key_prefix}:global", LIMITS["global"])
        try:
            return await self.http.send(endpoint, json=dict(body or {}))
        except (NotFoundError, RequestRejected) as exc:
            if _is_auth(exc):
                raise AuthError(str(exc), status=exc.status, code=exc.code) from exc
            raise

    async def call(self, endpoint: Endpoint, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST a JSON body; returns the JSON object answered (BadResponse for anything else)."""
        response = await self._send(endpoint, body)
        data = decode_json(response, "ozon")
        if not isinstance(data, dict):
            raise BadResponse(
                f"ozon {endpoint.path}: a JSON object was expected", status=response.status_code
            )
        return data

    async def call_pdf(self, endpoint: Endpoint, body: Mapping[str, Any]) -> bytes:
        """POST a JSON body to a method that answers a PDF file."""
        response = await self._send(endpoint, body)
        if not response.content.startswith(b"%PDF"):
            raise BadResponse(f"ozon {endpoint.path}: the answer is not a PDF", status=response.status_code)
        return response.content

    async def download(self, url: str) -> bytes:
        """Fetch a file Ozon points to (a label on its CDN). No credentials are sent there."""
        if not url.startswith(("https://", "http://")):
            raise BadResponse(f"ozon: not a file URL: {url[:100]!r}")
        async with httpx.AsyncClient(timeout=60.0, transport=self.http.transport) as client:
            try:
                response = await client.get(url)
            except httpx.HTTPError as exc:
                raise TransientError(f"ozon: cannot download {url[:100]}: {exc}") from exc
        if response.status_code != 200:
            raise BadResponse(
                f"ozon: file download answered HTTP {response.status_code}", status=response.status_code
            )
        return response.content

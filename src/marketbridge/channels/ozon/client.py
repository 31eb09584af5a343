"""HTTP calls to the Ozon Seller API: auth headers, method versions and rate limits in one place.

Every method the connector calls is named here with the version it uses (the newest the
documentation offers), its rate-limit group and its batch size. Every call also waits on the
global budget of 50 requests per second per Client-Id. Ozon answers a wrong Api-Key with
404 (code 5), so such answers are turned into AuthError here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from marketbridge.channels.errors import (
    AuthError,
    BadResponse,
    ChannelError,
    NotFoundError,
    RequestRejected,
    TransientError,
)
from marketbridge.channels.http import ApiClient, decode_json
from marketbridge.runtime.ratelimit import Limiter, RateLimit

DEFAULT_BASE_URL = "https://api-seller.ozon.ru"


@dataclass(frozen=True)
class Method:
    path: str
    group: str = "global"


# --- the methods and their versions -------------------------------------------------
WAREHOUSES = Method("/v1/warehouse/list")
PRODUCT_LIST = Method("/v3/product/list")
PRODUCT_INFO = Method("/v3/product/info/list")
STOCKS = Method("/v2/products/stocks", "stocks")
PRICES = Method("/v1/product/import/prices", "prices")
PRICE_INFO = Method("/v5/product/info/prices")
POSTING_LIST = Method("/v4/posting/fbs/list")
POSTING_GET = Method("/v3/posting/fbs/get")
SHIP = Method("/v4/posting/fbs/ship")
EXEMPLAR_CREATE_OR_GET = Method("/v6/fbs/posting/product/exemplar/create-or-get")
EXEMPLAR_SET = Method("/v6/fbs/posting/product/exemplar/set")
EXEMPLAR_STATUS = Method("/v5/fbs/posting/product/exemplar/status")
LABEL_CREATE = Method("/v3/posting/fbs/package-label/create")
LABEL_GET = Method("/v2/posting/fbs/package-label/get")
CARRIAGE_CREATE = Method("/v1/carriage/create")
CARRIAGE_APPROVE = Method("/v1/carriage/approve")
ACT_PDF = Method("/v2/posting/fbs/digital/act/get-pdf")
CANCEL = Method("/v2/posting/fbs/cancel")
RETURNS = Method("/v1/returns/list")
CATEGORY_TREE = Method("/v1/description-category/tree")
CATEGORY_ATTRIBUTES = Method("/v1/description-category/attribute")
ATTRIBUTE_VALUES = Method("/v1/description-category/attribute/values")
CARD_IMPORT = Method("/v3/product/import", "import")
CARD_IMPORT_INFO = Method("/v1/product/import/info")

# --- limits (per Client-Id) -----------------------------------------------------------
#: 50 requests per second across all methods; kept a little under so that jitter on the
#: way never makes the server see more.
GLOBAL_LIMIT = RateLimit(count=45, per_seconds=1, burst=10)
#: Per-group limits on top of the global one.
LIMITS: dict[str, RateLimit] = {
    "global": GLOBAL_LIMIT,
    "stocks": RateLimit(count=78, per_seconds=60, burst=20),  # 80 requests/min per seller account
    "prices": RateLimit(count=40, per_seconds=1, burst=10),
    "import": RateLimit(count=40, per_seconds=1, burst=10),
}

# --- batch sizes ------------------------------------------------------------------------
MAX_STOCK_BATCH = 100
MAX_PRICE_BATCH = 1000
MAX_CARD_BATCH = 100
MAX_INFO_IDS = 1000
MAX_LABELS = 20
PAGE_SIZE = 1000
RETURNS_PAGE = 500
VALUES_PAGE = 2000


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
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _send(self, method: Method, body: Mapping[str, Any] | None, idempotent: bool) -> httpx.Response:
        if method.group != "global":
            await self.limiter.acquire(f"{self.key_prefix}:global", GLOBAL_LIMIT)
        try:
            return await self.http.request(
                "POST",
                method.path,
                group=method.group,
                limit=LIMITS[method.group],
                json=dict(body or {}),
                idempotent=idempotent,
            )
        except (NotFoundError, RequestRejected) as exc:
            if _is_auth(exc):
                raise AuthError(str(exc), status=exc.status, code=exc.code) from exc
            raise

    async def call(
        self, method: Method, body: Mapping[str, Any] | None = None, *, idempotent: bool = True
    ) -> dict[str, Any]:
        """POST a JSON body; returns the JSON object answered (BadResponse for anything else)."""
        response = await self._send(method, body, idempotent)
        data = decode_json(response, "ozon")
        if not isinstance(data, dict):
            raise BadResponse(f"ozon {method.path}: a JSON object was expected", status=response.status_code)
        return data

    async def call_pdf(self, method: Method, body: Mapping[str, Any]) -> bytes:
        """POST a JSON body to a method that answers a PDF file."""
        response = await self._send(method, body, idempotent=True)
        if not response.content.startswith(b"%PDF"):
            raise BadResponse(f"ozon {method.path}: the answer is not a PDF", status=response.status_code)
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

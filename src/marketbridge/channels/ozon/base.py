"""What every part of the Ozon channel shares: the Seller API of the connection, caches, product infos.

The channel is composed of one part per role (catalog, cards, stocks and prices, orders);
each part is a class over `OzonBase`, and `OzonChannel` (channel.py) puts them together.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import mapping
from marketbridge.channels.ozon.client import DEFAULT_BASE_URL, OzonApi
from marketbridge.channels.roles import ConnectionConfig
from marketbridge.runtime.ratelimit import Limiter

CACHE_SECONDS = 3600.0


class OzonBase:
    """The connection's API client and the caches every part reads."""

    def __init__(self, config: ConnectionConfig, limiter: Limiter) -> None:
        base = config.base_urls.get("default") or DEFAULT_BASE_URL
        self.config = config
        self.api = OzonApi(
            config.connection_id,
            base,
            config.credentials["client_id"],
            config.credentials["api_key"],
            limiter,
        )
        self._cache: dict[str, tuple[float, Any]] = {}
        self._product_of: dict[str, int] = {}

    async def aclose(self) -> None:
        await self.api.aclose()

    async def check(self) -> None:
        await self.api.call(api.WAREHOUSES, {})

    def _cached(self, key: str) -> Any:
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        return None

    async def _infos(self, product_ids: Sequence[int]) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for chunk in batched(product_ids, api.MAX_INFO_IDS):
            answer = await self.api.call(api.PRODUCT_INFO, {"product_id": [str(i) for i in chunk]})
            out.extend(mapping.items(answer.get("items"), "product info items"))
        return out

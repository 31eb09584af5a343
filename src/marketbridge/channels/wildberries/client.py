"""HTTP calls to the Wildberries seller APIs: hosts, endpoint versions and rate limits in one place.

WB splits its API over hosts by area; every call names its host alias (marketplace, content,
prices, common, returns) so that one configuration maps each alias to its real host (or
all of them to one sandbox URL). Limits per method group are WB's published figures; the
limiter waits rather than fail, and a 429 pauses the group for WB's X-Ratelimit-Retry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from marketbridge.channels.http import ApiClient, decode_json
from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter, RateLimit

#: Real hosts per alias, used when a connection does not override them.
DEFAULT_HOSTS: dict[str, str] = {
    "marketplace": "https://marketplace-api.wildberries.ru",
    "content": "https://content-api.wildberries.ru",
    "prices": "https://discounts-prices-api.wildberries.ru",
    "common": "https://common-api.wildberries.ru",
    "returns": "https://returns-api.wildberries.ru",
    "statistics": "https://statistics-api.wildberries.ru",
}

#: Rate limits per method group (WB token-bucket figures: count per period, burst).
LIMITS: dict[str, RateLimit] = {
    "marketplace": RateLimit(300, 60, 20),  # /api/v3/orders*, /api/v3/supplies*
    "orders_cancel": RateLimit(100, 60, 20),  # PATCH /api/v3/orders/{id}/cancel
    "meta": RateLimit(1000, 60, 20),  # PUT /api/v3/orders/{id}/meta/*
    "stocks": RateLimit(300, 60, 20),  # /api/v3/stocks/{warehouseId}
    "warehouses": RateLimit(300, 60, 20),  # /api/v3/warehouses, /api/v3/offices
    "prices": RateLimit(10, 6, 5),  # the whole prices-and-discounts category
    "content": RateLimit(100, 60, 5),  # the whole content category
    "cards_upload": RateLimit(10, 60, 5),  # /content/v2/cards/upload, error/list
    "returns": RateLimit(20, 60, 10),  # /api/v1/claims
    "ping": RateLimit(3, 30, 3),  # /ping, per host
}
#: A 409 answer counts as this many requests in the marketplace groups.
CONFLICT_COST = 10

#: Share of WB's rate and burst the connector uses: requests in flight reach WB a little
#: later or out of order, so sending at exactly the published rate would meet 429s.
MARGIN = 0.9


def with_margin(limit: RateLimit) -> RateLimit:
    """The limit the connector keeps to: 90 % of WB's rate, a burst a fifth smaller."""
    return RateLimit(limit.count * MARGIN, limit.per_seconds, max(1, limit.burst - max(1, limit.burst // 5)))


#: What the limiter enforces per group.
SENDING_LIMITS: dict[str, RateLimit] = {group: with_margin(limit) for group, limit in LIMITS.items()}

#: Endpoint paths (and so versions) the connector calls.
PATHS = {
    "ping": "/ping",
    "warehouses": "/api/v3/warehouses",
    "stocks": "/api/v3/stocks/{warehouse_id}",
    "orders_new": "/api/v3/orders/new",
    "orders": "/api/v3/orders",
    "orders_status": "/api/v3/orders/status",
    "order_cancel": "/api/v3/orders/{order_id}/cancel",
    "order_sgtin": "/api/v3/orders/{order_id}/meta/sgtin",
    "stickers": "/api/v3/orders/stickers",
    "supplies": "/api/v3/supplies",
    "supply": "/api/v3/supplies/{supply_id}",
    "supply_add": "/api/marketplace/v3/supplies/{supply_id}/orders",
    "supply_order_ids": "/api/marketplace/v3/supplies/{supply_id}/order-ids",
    "supply_deliver": "/api/v3/supplies/{supply_id}/deliver",
    "supply_barcode": "/api/v3/supplies/{supply_id}/barcode",
    "cards_list": "/content/v2/get/cards/list",
    "cards_upload": "/content/v2/cards/upload",
    "cards_update": "/content/v2/cards/update",
    "cards_errors": "/content/v2/cards/error/list",
    "subjects": "/content/v2/object/all",
    "charcs": "/content/v2/object/charcs/{subject_id}",
    "price_task": "/api/v2/upload/task",
    "price_task_size": "/api/v2/upload/task/size",
    "price_history": "/api/v2/history/tasks",
    "price_history_goods": "/api/v2/history/goods/task",
    "price_buffer": "/api/v2/buffer/tasks",
    "goods": "/api/v2/list/goods/filter",
    "claims": "/api/v1/claims",
}


def parse_error(body: Any) -> tuple[str | None, str | None]:
    """(code, message) from any of WB's error shapes."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return None, None
    if "errorText" in body:  # content / prices
        extra = body.get("additionalErrors")
        code = extra.get("code") if isinstance(extra, dict) else None
        return (str(code) if code else None), str(body.get("errorText") or "") or None
    if "title" in body and "status" in body:  # gateway
        return str(body.get("title")), str(body.get("detail") or "") or None
    code = body.get("code") or body.get("title")
    message = body.get("message") or body.get("detail")
    return (str(code) if code else None), (str(message) if message else None)


class WbApi:
    """The Wildberries endpoints the connector uses, over one ApiClient."""

    def __init__(
        self,
        connection_id: str,
        hosts: Mapping[str, str],
        token: str,
        limiter: Limiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        given = {k: v for k, v in hosts.items() if v}
        # A single "default" URL (one sandbox) stands for every alias not given on its own.
        base = dict.fromkeys(DEFAULT_HOSTS, given["default"]) if "default" in given else DEFAULT_HOSTS
        merged = {**base, **given}
        self.http = ApiClient(
            channel="wildberries",
            hosts=merged,
            headers={"Authorization": token, "Accept": "application/json"},
            key_prefix=f"wildberries:{connection_id}",
            limiter=limiter or MemoryLimiter(),
            error_parser=parse_error,
            retry_after_headers=("X-Ratelimit-Retry", "Retry-After"),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, name: str, **kwargs: Any) -> Any:
        """`request` and then the decoded JSON body (None for an empty body)."""
        return decode_json(await self.request(method, name, **kwargs), "wildberries")

    async def request(
        self,
        method: str,
        name: str,
        *,
        host: str,
        group: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool = True,
        **path_args: Any,
    ) -> httpx.Response:
        path = PATHS[name].format(**path_args)
        return await self.http.request(
            method, path, host=host, group=group, limit=SENDING_LIMITS[group], json=json, params=params,
            idempotent=idempotent,
        )  # fmt: skip

    async def charge(self, group: str, cost: int) -> None:
        """Count `cost` more requests against a group: WB counts a 409 answer as 10 requests."""
        await self.http.limiter.acquire(f"{self.http.key_prefix}:{group}", SENDING_LIMITS[group], cost)

    # --- marketplace -------------------------------------------------------------------

    async def ping(self, host: str) -> Any:
        return await self.call("GET", "ping", host=host, group="ping")

    async def warehouses(self) -> Any:
        return await self.call("GET", "warehouses", host="marketplace", group="warehouses")

    async def orders_new(self) -> Any:
        return await self.call("GET", "orders_new", host="marketplace", group="marketplace")

    async def orders(self, *, limit: int, next_: int, date_from: int, date_to: int) -> Any:
        params = {"limit": limit, "next": next_, "dateFrom": date_from, "dateTo": date_to}
        return await self.call("GET", "orders", host="marketplace", group="marketplace", params=params)

    async def orders_status(self, ids: Sequence[int]) -> Any:
        return await self.call(
            "POST", "orders_status", host="marketplace", group="marketplace", json={"orders": list(ids)}
        )

    async def cancel(self, order_id: int) -> None:
        await self.request(
            "PATCH", "order_cancel", host="marketplace", group="orders_cancel", order_id=order_id
        )

    async def set_sgtins(self, order_id: int, codes: Sequence[str]) -> None:
        await self.request(
            "PUT",
            "order_sgtin",
            host="marketplace",
            group="meta",
            json={"sgtins": list(codes)},
            order_id=order_id,
        )

    async def stickers(self, ids: Sequence[int], kind: str, width: int = 58, height: int = 40) -> Any:
        params = {"type": kind, "width": width, "height": height}
        return await self.call(
            "POST",
            "stickers",
            host="marketplace",
            group="marketplace",
            params=params,
            json={"orders": list(ids)},
        )

    async def create_supply(self, name: str) -> Any:
        return await self.call(
            "POST", "supplies", host="marketplace", group="marketplace", json={"name": name}, idempotent=False
        )

    async def supplies(self, *, limit: int, next_: int) -> Any:
        params = {"limit": limit, "next": next_}
        return await self.call("GET", "supplies", host="marketplace", group="marketplace", params=params)

    async def supply(self, supply_id: str) -> Any:
        return await self.call("GET", "supply", host="marketplace", group="marketplace", supply_id=supply_id)

    async def supply_order_ids(self, supply_id: str) -> Any:
        return await self.call(
            "GET", "supply_order_ids", host="marketplace", group="marketplace", supply_id=supply_id
        )

    async def add_to_supply(self, supply_id: str, ids: Sequence[int]) -> None:
        await self.request(
            "PATCH", "supply_add", host="marketplace", group="marketplace", json={"orders": list(ids)},
            supply_id=supply_id,
        )  # fmt: skip

    async def deliver(self, supply_id: str) -> None:
        await self.request(
            "PATCH", "supply_deliver", host="marketplace", group="marketplace", supply_id=supply_id
        )

    async def supply_barcode(self, supply_id: str, kind: str = "png") -> Any:
        return await self.call(
            "GET", "supply_barcode", host="marketplace", group="marketplace",
            params={"type": kind}, supply_id=supply_id,
        )  # fmt: skip

    async def put_stocks(self, warehouse_id: str, items: Sequence[dict[str, Any]]) -> httpx.Response:
        """PUT one batch; returns the 204 or the 409 (per-item errors), raises for anything else."""
        return await self.http.request(
            "PUT",
            PATHS["stocks"].format(warehouse_id=warehouse_id),
            host="marketplace",
            group="stocks",
            limit=SENDING_LIMITS["stocks"],
            json={"stocks": list(items)},
            accept=(409,),
        )

    # --- content -----------------------------------------------------------------------

    async def cards_list(self, cursor: Mapping[str, Any], text: str | None = None) -> Any:
        settings: dict[str, Any] = {"cursor": dict(cursor), "filter": {"withPhoto": -1}}
        if text:
            settings["filter"]["textSearch"] = text
        return await self.call(
            "POST", "cards_list", host="content", group="content", json={"settings": settings}
        )

    async def cards_upload(self, body: Sequence[dict[str, Any]]) -> Any:
        return await self.call(
            "POST", "cards_upload", host="content", group="cards_upload", json=list(body), idempotent=False
        )

    async def cards_update(self, body: Sequence[dict[str, Any]]) -> Any:
        return await self.call(
            "POST", "cards_update", host="content", group="cards_upload", json=list(body), idempotent=False
        )

    async def cards_errors(self) -> Any:
        return await self.call(
            "POST", "cards_errors", host="content", group="cards_upload",
            json={"cursor": {"limit": 100}, "order": {"ascending": False}},
        )  # fmt: skip

    async def subjects(self, *, limit: int, offset: int) -> Any:
        params = {"limit": limit, "offset": offset}
        return await self.call("GET", "subjects", host="content", group="content", params=params)

    async def charcs(self, subject_id: str) -> Any:
        return await self.call("GET", "charcs", host="content", group="content", subject_id=subject_id)

    # --- prices ------------------------------------------------------------------------

    async def price_task(self, rows: Sequence[dict[str, Any]], *, sizes: bool) -> Any:
        name = "price_task_size" if sizes else "price_task"
        return await self.call(
            "POST", name, host="prices", group="prices", json={"data": list(rows)}, idempotent=False
        )

    async def price_history(self, upload_id: int) -> Any:
        return await self.call(
            "GET", "price_history", host="prices", group="prices", params={"uploadID": upload_id}
        )

    async def price_buffer(self, upload_id: int) -> Any:
        return await self.call(
            "GET", "price_buffer", host="prices", group="prices", params={"uploadID": upload_id}
        )

    async def price_history_goods(self, upload_id: int, *, limit: int, offset: int) -> Any:
        params = {"uploadID": upload_id, "limit": limit, "offset": offset}
        return await self.call("GET", "price_history_goods", host="prices", group="prices", params=params)

    async def goods(self, *, limit: int, offset: int) -> Any:
        params = {"limit": limit, "offset": offset}
        return await self.call("GET", "goods", host="prices", group="prices", params=params)

    # --- returns -----------------------------------------------------------------------

    async def claims(self, *, archive: bool, limit: int, offset: int) -> Any:
        params = {"is_archive": "true" if archive else "false", "limit": limit, "offset": offset}
        return await self.call("GET", "claims", host="returns", group="returns", params=params)

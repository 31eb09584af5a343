"""HTTP calls to the Wildberries seller APIs, one method per declared endpoint.

Every call goes through `ApiClient.send` with an endpoint of `endpoints.API` (its host
alias, version and rate-limit group); the limiter waits at `SENDING_LIMITS` rather than
fail, and a 429 pauses the group for WB's X-Ratelimit-Retry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.errors import ChannelError
from marketbridge.channels.http import ApiClient, decode_json
from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.channels.wildberries.endpoints import (
    CONFLICT_COST,
    CONFLICT_COST_GROUPS,
    DEFAULT_HOSTS,
    SENDING_LIMITS,
)
from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter


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
            limits=SENDING_LIMITS,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        endpoint: Endpoint,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **path_params: object,
    ) -> Any:
        """Send one call and return the decoded JSON body (None for an empty body).

        A 409 counts as ten requests where WB says so: the rest is charged to the limiter.
        """
        try:
            response = await self.http.send(endpoint, path_params=path_params, json=json, params=params)
        except ChannelError as exc:
            if exc.status == 409 and endpoint.group in CONFLICT_COST_GROUPS:
                await self.charge(endpoint, CONFLICT_COST - 1)
            raise
        return decode_json(response, "wildberries")

    async def charge(self, endpoint: Endpoint, cost: int) -> None:
        """Count `cost` more requests against an endpoint's group: WB counts a 409 as 10 requests."""
        group = endpoint.group
        await self.http.limiter.acquire(f"{self.http.key_prefix}:{group}", SENDING_LIMITS[group], cost)

    # --- marketplace -------------------------------------------------------------------

    async def warehouses(self) -> Any:
        return await self.call(ep.WAREHOUSES)

    async def orders_new(self) -> Any:
        return await self.call(ep.ORDERS_NEW)

    async def orders(self, *, limit: int, next_: int, date_from: int, date_to: int) -> Any:
        params = {"limit": limit, "next": next_, "dateFrom": date_from, "dateTo": date_to}
        return await self.call(ep.ORDERS, params=params)

    async def orders_status(self, ids: Sequence[int]) -> Any:
        return await self.call(ep.ORDERS_STATUS, json={"orders": list(ids)})

    async def cancel(self, order_id: int) -> None:
        await self.call(ep.ORDER_CANCEL, orderId=order_id)

    async def set_sgtins(self, order_id: int, codes: Sequence[str]) -> None:
        await self.call(ep.ORDER_SGTIN, json={"sgtins": list(codes)}, orderId=order_id)

    async def set_meta(self, order_id: int, kind: str, value: str) -> None:
        """One UIN, IMEI, GTIN or expiry date (dd.mm.yyyy) of a task."""
        endpoint = {
            "uin": ep.ORDER_UIN,
            "imei": ep.ORDER_IMEI,
            "gtin": ep.ORDER_GTIN,
            "expiration": ep.ORDER_EXPIRATION,
        }[kind]
        await self.call(endpoint, json={kind: value}, orderId=order_id)

    async def stickers(self, ids: Sequence[int], kind: str, width: int = 58, height: int = 40) -> Any:
        params = {"type": kind, "width": width, "height": height}
        return await self.call(ep.STICKERS, params=params, json={"orders": list(ids)})

    async def create_supply(self, name: str) -> Any:
        return await self.call(ep.SUPPLY_CREATE, json={"name": name})

    async def supplies(self, *, limit: int, next_: int) -> Any:
        return await self.call(ep.SUPPLIES, params={"limit": limit, "next": next_})

    async def supply(self, supply_id: str) -> Any:
        return await self.call(ep.SUPPLY, supplyId=supply_id)

    async def supply_order_ids(self, supply_id: str) -> Any:
        return await self.call(ep.SUPPLY_ORDER_IDS, supplyId=supply_id)

    async def add_to_supply(self, supply_id: str, ids: Sequence[int]) -> None:
        await self.call(ep.SUPPLY_ADD, json={"orders": list(ids)}, supplyId=supply_id)

    async def deliver(self, supply_id: str) -> None:
        await self.call(ep.SUPPLY_DELIVER, supplyId=supply_id)

    async def supply_barcode(self, supply_id: str, kind: str = "png") -> Any:
        return await self.call(ep.SUPPLY_BARCODE, params={"type": kind}, supplyId=supply_id)

    async def put_stocks(self, warehouse_id: str, items: Sequence[dict[str, Any]]) -> httpx.Response:
        """PUT one batch; returns the 204 or the 409 (per-item errors), raises for anything else."""
        return await self.http.send(
            ep.STOCKS_PUT,
            path_params={"warehouseId": warehouse_id},
            json={"stocks": list(items)},
            accept=(409,),
        )

    async def get_stocks(self, warehouse_id: str, chrt_ids: Sequence[int]) -> Any:
        """The amounts set for these sizes in one seller warehouse (up to 1000 a call)."""
        return await self.call(ep.STOCKS_GET, json={"chrtIds": list(chrt_ids)}, warehouseId=warehouse_id)

    # --- content -----------------------------------------------------------------------

    async def cards_list(self, cursor: Mapping[str, Any], text: str | None = None) -> Any:
        settings: dict[str, Any] = {"cursor": dict(cursor), "filter": {"withPhoto": -1}}
        if text:
            settings["filter"]["textSearch"] = text
        return await self.call(ep.CARDS_LIST, json={"settings": settings})

    async def cards_upload(self, body: Sequence[dict[str, Any]]) -> Any:
        return await self.call(ep.CARDS_UPLOAD, json=list(body))

    async def cards_update(self, body: Sequence[dict[str, Any]]) -> Any:
        return await self.call(ep.CARDS_UPDATE, json=list(body))

    async def cards_errors(self) -> Any:
        return await self.call(
            ep.CARDS_ERRORS, json={"cursor": {"limit": 100}, "order": {"ascending": False}}
        )

    async def subjects(self, *, limit: int, offset: int) -> Any:
        return await self.call(ep.SUBJECTS, params={"limit": limit, "offset": offset})

    async def charcs(self, subject_id: str) -> Any:
        return await self.call(ep.CHARCS, subjectId=subject_id)

    # --- prices ------------------------------------------------------------------------

    async def price_task(self, rows: Sequence[dict[str, Any]], *, sizes: bool) -> Any:
        return await self.call(ep.PRICE_TASK_SIZE if sizes else ep.PRICE_TASK, json={"data": list(rows)})

    async def price_history(self, upload_id: int) -> Any:
        return await self.call(ep.PRICE_HISTORY, params={"uploadID": upload_id})

    async def price_history_goods(self, upload_id: int, *, limit: int, offset: int) -> Any:
        params = {"uploadID": upload_id, "limit": limit, "offset": offset}
        return await self.call(ep.PRICE_HISTORY_GOODS, params=params)

    async def goods(self, *, limit: int, offset: int) -> Any:
        return await self.call(ep.GOODS, params={"limit": limit, "offset": offset})

    # --- returns -----------------------------------------------------------------------

    async def claims(self, *, archive: bool, limit: int, offset: int) -> Any:
        params = {"is_archive": "true" if archive else "false", "limit": limit, "offset": offset}
        return await self.call(ep.CLAIMS, params=params)
